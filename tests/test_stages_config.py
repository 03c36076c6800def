"""build_stages: config sections match the estimators' parameters one to one; the fusion's metadata rule;
the flags on the feature specs; the ablation builds the same estimators as the pipeline."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ml.features.behavioral import BehavioralFeatures
from ml.features.fusion import FeatureFusion
from ml.features.specs import FEATURE_SPECS, metadata_columns
from ml.runtime.config import PipelineConfig
from ml.runtime.stages import NOT_PARAMETERS, SET_BY_PIPELINE, build_stages

SECTIONS = {"embed": "embedder", "fusion": "fusion", "reduce": "reducer", "cluster": "clusterer",
            "reassign": "reassigner", "hierarchy": "families"}


def _params(estimator) -> dict:
    if hasattr(estimator, "get_params"):
        return estimator.get_params(deep=False)
    return {k: v for k, v in vars(estimator).items() if not k.endswith("_")}


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_config_sections_are_the_estimators_parameters(section):
    config = PipelineConfig()
    keys = set(getattr(config, section).model_dump())
    params = _params(getattr(build_stages(config), SECTIONS[section]))
    assert keys - set(NOT_PARAMETERS.get(section, {})) <= set(params), "a config key no estimator takes"
    assert set(params) - keys == set(SET_BY_PIPELINE.get(section, {})), "an estimator parameter no config sets"


def test_build_stages_passes_the_values():
    config = PipelineConfig().updated({"seed": 7, "reduce": {"n_components": 9, "n_neighbors": 12},
                                       "cluster": {"min_cluster_size": 33}, "fusion": {"text_weight": 0.6},
                                       "reassign": {"space": "embedding", "model_space": "fused"},
                                       "hierarchy": {"max_families": 4}})
    s = build_stages(config, show_progress=True)
    assert (s.reducer.n_components, s.reducer.n_neighbors, s.reducer.random_state) == (9, 12, 7)
    assert (s.clusterer.min_cluster_size, s.clusterer.random_state) == (33, 7)
    assert s.fusion.text_weight == 0.6 and s.fusion.metadata_columns == metadata_columns()
    assert s.reassigner.metric == "cosine" and s.model_reassigner.metric == "euclidean"
    assert s.families.max_families == 4 and s.embedder.show_progress is True


def test_one_default_for_the_umap_dimensions():
    from ml.reduce import N_COMPONENTS, UMAPReducer

    assert PipelineConfig().reduce.n_components == N_COMPONENTS == UMAPReducer().n_components


def _frame(with_metadata: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    texts = ["@Brand my card was charged twice!!", "thanks, works now", "WHY is my bag lost? #fail", "me again",
             "where is my refund", "please help asap"]
    msgs = pd.DataFrame({"message_id": [f"m{i}" for i in range(6)], "text": texts})
    if with_metadata:
        msgs["author"] = ["a", "b", "a", "c", "b", "a"]
        msgs["reply_to"] = [None, "m0", "m1", None, "m3", None]
        msgs["timestamp"] = pd.to_datetime(["2017-10-30 10:00", "2017-10-30 10:30", "2017-10-30 11:30",
                                            "2017-11-04 23:00", "2017-11-05 01:00", "2017-11-06 09:00"], utc=True)
        msgs["local_hour"] = msgs["timestamp"].dt.hour.astype("Int64")
        msgs["local_weekday"] = msgs["timestamp"].dt.day_of_week.astype("Int64")
    members = pd.DataFrame({"member_id": msgs["message_id"], "message_ids": [[m] for m in msgs["message_id"]],
                            "text": msgs["text"]})
    return members, msgs


def test_needs_metadata_matches_what_the_features_do():
    flags = np.array([s.needs_metadata for s in FEATURE_SPECS])
    members, msgs = _frame(with_metadata=False)
    bare = BehavioralFeatures().fit_transform(members, msgs)
    assert np.isnan(bare[:, flags]).all() and np.isfinite(bare[:, ~flags]).all()
    members, msgs = _frame(with_metadata=True)
    full = BehavioralFeatures().fit_transform(members, msgs)
    assert np.isfinite(full[:, flags]).any(axis=0).all()


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    E = rng.normal(size=(n, 16))
    F = np.full((n, len(FEATURE_SPECS)), np.nan)
    style = ~np.array([s.needs_metadata for s in FEATURE_SPECS])
    F[:, style] = rng.normal(size=(n, int(style.sum())))
    return E / np.linalg.norm(E, axis=1, keepdims=True), F


def test_fusion_is_text_only_when_no_metadata_feature_varies():
    E, F = _data()
    meta = list(metadata_columns())
    fusion = FeatureFusion(0.75, metadata_columns=metadata_columns()).fit(E, F)
    assert fusion.effective_text_weight_ == 1.0 and fusion.text_share_ == 1.0
    assert "no behavioral metadata" in fusion.weight_reason_
    F[:, meta[0]] = 3.0  # a metadata column that is known but constant still says nothing
    assert FeatureFusion(0.75, metadata_columns=metadata_columns()).fit(E, F).effective_text_weight_ == 1.0
    F[::2, meta[0]] = 5.0  # now it varies
    fusion = FeatureFusion(0.75, metadata_columns=metadata_columns()).fit(E, F)
    assert fusion.effective_text_weight_ == 0.75 and fusion.weight_reason_ == "as configured"
    assert fusion.text_share_ == pytest.approx(0.75)
    off = FeatureFusion(0.75, require_metadata=False, metadata_columns=metadata_columns()).fit(*_data())
    assert off.effective_text_weight_ == 0.75 and off.text_share_ == pytest.approx(0.75)
    with pytest.raises(ValueError, match="metadata_columns"):
        FeatureFusion(metadata_columns=(99,)).fit(E, F)


def test_a_fusion_pickled_before_the_rule_keeps_its_weight():
    E, F = _data()
    fusion = FeatureFusion(1.0, require_metadata=False).fit(E, F)
    state = fusion.__getstate__()
    for key in ("require_metadata", "metadata_columns", "effective_text_weight_", "weight_reason_"):
        state.pop(key)
    old = FeatureFusion.__new__(FeatureFusion)
    old.__setstate__(state)
    loaded = pickle.loads(pickle.dumps(old))
    assert loaded.effective_text_weight_ == 1.0 and loaded.require_metadata is False
    assert np.array_equal(loaded.transform(E, F), fusion.transform(E, F))


def test_ablation_builds_the_pipelines_estimators():
    from scripts.ablation.evaluate import Experiment

    config = PipelineConfig().updated({"seed": 5})
    E, F = _data()
    exp = Experiment(SimpleNamespace(embeddings=E, features=F, n=len(E), labels={}), config, seeds=[0])
    stages = build_stages(config)
    from ml.runtime.layout import layout_neighbors

    neighbors = layout_neighbors(None, stages.clusterer, len(E))  # as the pipeline chooses them for these rows
    assert exp.reducer({}, 5).get_params() == stages.reducer.set_params(map_2d=False, n_neighbors=neighbors).get_params()
    assert exp.reducer({"n_neighbors": 40}, 5).n_neighbors == 40  # a group's own value wins
    clusterer = exp.clusterer({"min_cluster_size": 9}).get_params()
    assert clusterer == stages.clusterer.set_params(min_cluster_size=9, random_state=0).get_params()
    assert exp.effective_text_weight() == 1.0  # no metadata in these data
    assert np.array_equal(exp.fused({}), stages.fusion.fit_transform(E, F))
    assert np.array_equal(exp.fused({"text_weight": 0.5}), FeatureFusion(0.5, require_metadata=False)
                          .fit_transform(E, F))


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_config_defaults_are_the_estimators_defaults(section):
    """Where the estimator has a default of its own, the config's is the same (so neither drifts)."""
    import inspect

    estimator = type(getattr(build_stages(PipelineConfig()), SECTIONS[section]))
    defaults = {k: p.default for k, p in inspect.signature(estimator.__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    # "auto" in the config, resolved by build_stages; None: per fit, from the data (ml.runtime.layout.layout_neighbors)
    resolved = {("reassign", "metric"), ("reduce", "n_neighbors")}
    for key, value in getattr(PipelineConfig(), section).model_dump().items():
        if key in defaults and (section, key) not in resolved:
            assert value == defaults[key], f"{section}.{key}: config {value!r}, {estimator.__name__} {defaults[key]!r}"
