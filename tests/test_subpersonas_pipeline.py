"""Sub-personas end to end: the config section (SubPersonas' parameters one to one), SubPersonas.predict for
placed members, the pipeline step (personas carry their sub-personas, assignments their sub-persona id,
the manifest the level), the contract (older documents still load) and the store round trip."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from ml.cluster.subpersonas import SubPersonas
from ml.profile.name_share import name_share
from ml.runtime.config import PipelineConfig
from ml.runtime.errors import InputError
from ml.runtime.stages import NOT_PARAMETERS, build_stages
from tests.test_cluster_subpersonas import fitted


def test_config_section_is_subpersonas_parameters_one_to_one():
    keys = set(PipelineConfig().hierarchy.subpersonas.model_dump())
    params = set(inspect.signature(SubPersonas.__init__).parameters) - {"self"}
    assert keys - set(NOT_PARAMETERS["hierarchy.subpersonas"]) == params
    defaults = {k: p.default for k, p in inspect.signature(SubPersonas.__init__).parameters.items() if k != "self"}
    assert {k: v for k, v in PipelineConfig().hierarchy.subpersonas.model_dump().items() if k in params} == defaults
    stage = build_stages(PipelineConfig().updated({"hierarchy": {"subpersonas": {"ratio": 0.5, "smallest": 8}}}))
    assert (stage.subpersonas.ratio, stage.subpersonas.smallest) == (0.5, 8)


def test_config_takes_a_bool_and_refuses_a_bad_ratio_in_one_line():
    assert PipelineConfig().hierarchy.subpersonas.enabled is True
    off = PipelineConfig().updated({"hierarchy": {"subpersonas": False}})
    assert off.hierarchy.subpersonas.enabled is False and off.hierarchy.subpersonas.ratio == 0.25
    with pytest.raises(InputError, match=r"'hierarchy\.subpersonas\.ratio'"):
        PipelineConfig().updated({"hierarchy": {"subpersonas": {"ratio": 1.5}}})


def test_predict_gives_fitted_members_their_sub_persona_and_never_crosses_a_persona():
    X, _, _, labels, model = fitted(0)
    assert np.array_equal(model.predict(X, labels), model.sub_labels_)
    moved = X + np.random.default_rng(1).normal(scale=0.3, size=X.shape)  # new rows near the old ones
    pred = model.predict(moved, labels)
    assert (pred[model.sub_labels_ == -1] == -1).all()
    for s, parent in model.parent_of_.items():
        assert set(labels[pred == s]) == {parent}
    assert (pred == model.sub_labels_).mean() > 0.99
    with pytest.raises(ValueError, match="dimensions"):
        model.predict(X[:, :2], labels)
    with pytest.raises(Exception, match="not fitted"):
        SubPersonas().predict(X, labels)


@pytest.fixture(scope="module")
def slice_csv(tmp_path_factory):
    from tests.fixtures.runs import SAMPLE_TWCS

    path = tmp_path_factory.mktemp("sub") / "twcs_slice.csv"
    pd.read_csv(SAMPLE_TWCS, dtype=str).head(1500).to_csv(path, index=False)
    return path


def _run(path, **overrides):
    from ml.runtime.pipeline import PersonaPipeline

    cfg = PipelineConfig().updated({"input": {"min_members": 10, "inbound_only": True},
                                    "metrics": {"stability": False}, **overrides})
    return PersonaPipeline(cfg, progress=False).run([path])


@pytest.fixture(scope="module")
def sampled_run(slice_csv):
    return _run(slice_csv, reduce={"fit_sample_size": 400})


def test_sampled_run_nests_every_member_and_records_the_level(sampled_run):
    from ml.runtime.rundir import assignments_frame

    r = sampled_run
    assert r.manifest.counts.placed > 0
    h = r.manifest.hierarchy
    split = [p for p in r.personas if p.sub_personas]
    assert h.levels == ["family", "persona", "sub-persona"] and split
    assert h.n_subpersonas == sum(len(p.sub_personas) for p in split) and "min_cluster_size" in h.subpersona_rule
    frame = assignments_frame(r.members)
    assert str(frame["subpersona_id"].dtype) == "Int64"
    for p in r.personas:
        ids = frame.loc[frame["persona_id"] == p.id, "subpersona_id"]
        if not p.sub_personas:
            assert ids.isna().all()
            continue
        assert ids.notna().all(), "every member of a split persona, placed ones too, has a sub-persona"
        assert sorted(ids.unique()) == sorted(s.id for s in p.sub_personas)
        assert sum(s.size for s in p.sub_personas) == p.size and len(p.sub_personas) >= 2
        for s in p.sub_personas:
            assert s.parent_id == p.id and s.level == 2 and s.size == int((ids == s.id).sum())
            assert s.share_of_parent == pytest.approx(s.size / p.size) and s.top_terms and s.name
        sizes = [s.size for s in p.sub_personas]
        assert sizes == sorted(sizes, reverse=True), "sub-personas are listed largest first, placed members counted"
        assert len({s.name.lower() for s in p.sub_personas}) == len(p.sub_personas)
        for s in p.sub_personas:  # one author's share of a sub-persona is said, as of a persona (a support review)
            rows = frame.loc[frame["subpersona_id"] == s.id, "author"].dropna()
            top = int(rows.value_counts().iloc[0]) if len(rows) else 0
            assert (s.one_voice is not None) == (top > s.size / 3), (s.name, top, s.size)
            if s.one_voice:
                assert s.one_voice.startswith(f"One author accounts for {top:,} of its {s.size:,} members")
            assert s.name_share is not None and 0 <= s.name_share <= 1  # the run's texts: the next test reads them
    evidence = [(s, e) for p in split for s in p.sub_personas for e in s.evidence]
    assert evidence and all(len(s.evidence) <= 1 for p in split for s in p.sub_personas)
    for s, e in evidence:  # the snippet is a member of that sub-persona
        assert frame.loc[frame["member_id"] == e.member_id, "subpersona_id"].item() == s.id


def test_switched_off_there_are_no_sub_personas(slice_csv):
    from ml.runtime.rundir import assignments_frame

    r = _run(slice_csv, hierarchy={"subpersonas": False})
    assert r.manifest.hierarchy.levels == ["family", "persona"] and r.manifest.hierarchy.n_subpersonas is None
    assert all(not p.sub_personas for p in r.personas)
    assert assignments_frame(r.members)["subpersona_id"].isna().all()


def test_privacy_floor_withholds_sub_persona_evidence(sampled_run):
    from ml.runtime.subpersona_step import subpersona_documents

    r = sampled_run
    labels = r.members["persona_id"].to_numpy()
    ids = r.members["subpersona_id"].fillna(-1).astype(int).to_numpy()
    stage = build_stages().subpersonas
    stage.subs_of_ = {p.id: [s.id for s in p.sub_personas] for p in r.personas if p.sub_personas}
    stage.sub_labels_ = ids  # the fitted state subpersona_records reads
    docs = subpersona_documents(stage, ids, r.members, labels, r.members["reassigned"].to_numpy(), r.embeddings,
                                min_authors=10_000)
    subs = [d for ds in docs.values() for d in ds]
    assert subs and all(d["evidence_withheld"] and d["evidence"] == [] for d in subs)
    # how much of it its name describes, read as a persona's (an explorer review, 2026-12-06: "CEO & travel" held 9
    # of its 148 members, unmarked)
    texts = r.members["text"].astype(str).to_numpy()
    for d in subs:
        assert d["name_share"] == name_share(d["name"], list(texts[ids == d["id"]]))


def test_persona_documents_with_and_without_sub_personas_load_and_store(sampled_run):
    from ml.runtime.contracts import parse_persona
    from ml.store import records as R

    p = next(p for p in sampled_run.personas if p.sub_personas)
    doc = p.model_dump(mode="json")
    stored = R.persona_profile(doc)
    assert stored["sub_personas"] == doc["sub_personas"]
    old = {k: v for k, v in doc.items() if k != "sub_personas"}  # a persona stored before level 2
    assert parse_persona(old).sub_personas == []
    with pytest.raises(Exception, match="level"):
        parse_persona({**doc, "sub_personas": [{**doc["sub_personas"][0], "level": 1}]})
