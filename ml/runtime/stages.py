"""``build_stages(config)``: the configured, unfitted estimators of a conversation run.

In: a ``PipelineConfig``. Out: ``Stages`` (embedder, fusion, reducer, clusterer, reassigner,
model_reassigner, families, subpersonas), each built from its config section, whose keys are the estimator's
parameters one to one:

==============  ==================  ==================================================================
section         estimator           set here rather than from the section
==============  ==================  ==================================================================
``embed``       SentenceEmbedder    ``show_progress`` (the caller's ``--quiet``)
``fusion``      FeatureFusion       ``metadata_columns`` (``ml.features.specs.metadata_columns()``)
``reduce``      UMAPReducer         ``random_state`` = ``seed``; ``map_2d`` per fit (``set_params``)
``cluster``     PersonaClusterer    ``random_state`` = ``seed``
``reassign``    NoiseReassigner     ``metric`` ``auto`` resolved by ``space``
``hierarchy``   PersonaFamilies     ``subpersonas``: its own section, nested (below)
``hierarchy.    SubPersonas         ``enabled``: whether the pipeline runs it
subpersonas``
==============  ==================  ==================================================================

Section keys that are no estimator's parameter are listed in ``NOT_PARAMETERS`` with where the
pipeline applies them. ``PersonaPipeline`` and the ablation scripts both build their stages here, so
an ablation row differs from a run only by the ``set_params`` it names
(``clone(stages.reducer).set_params(n_components=50)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ml.cluster.density import PersonaClusterer
from ml.cluster.hierarchy import PersonaFamilies
from ml.cluster.reassign import NoiseReassigner
from ml.cluster.subpersonas import SubPersonas
from ml.features.embed import SentenceEmbedder
from ml.features.fusion import FeatureFusion
from ml.features.specs import metadata_columns
from ml.reduce import UMAPReducer
from ml.runtime.config import PipelineConfig

# config keys that are not estimator parameters → where the pipeline applies them
NOT_PARAMETERS: dict[str, dict[str, str]] = {
    "embed": {"strip_handles_urls": "texts are cleaned before the embedder sees them (and by the model)"},
    "reassign": {"space": "the vectors the run's noise is reassigned in",
                 "model_space": "the vectors the saved persona model places new members in"},
    "hierarchy": {"subpersonas": "a section of its own: SubPersonas (SUBSECTIONS)"},
    "hierarchy.subpersonas": {"enabled": "the pipeline splits personas only when true (PersonaPipeline._subpersonas)"},
}
# sections nested in another section → the Stages field built from them
SUBSECTIONS: dict[str, str] = {"hierarchy.subpersonas": "subpersonas"}
# estimator parameters that no config key sets → who sets them
SET_BY_PIPELINE: dict[str, dict[str, str]] = {
    "embed": {"show_progress": "the command line's --quiet"},
    "fusion": {"metadata_columns": "ml.features.specs.metadata_columns()"},
    "reduce": {"random_state": "config.seed", "map_2d": "per fit: the run's 2-D map, not the stability refits"},
    "cluster": {"random_state": "config.seed"},
}


@dataclass(frozen=True)
class Stages:
    """The estimators of one run, unfitted; ``clone`` one before changing it with ``set_params``."""

    embedder: SentenceEmbedder
    fusion: FeatureFusion
    reducer: UMAPReducer
    clusterer: PersonaClusterer
    reassigner: NoiseReassigner        # the run's noise, in ``reassign.space``
    model_reassigner: NoiseReassigner  # the saved model's placement, in ``reassign.model_space``
    families: PersonaFamilies
    subpersonas: SubPersonas           # level 2, fitted on the persona tree after the noise step


def reassign_metric(space: str, metric: str = "auto") -> str:
    """``metric``, or for ``auto`` the one that fits ``space``: cosine for embeddings, else Euclidean."""
    if metric != "auto":
        return metric
    return "cosine" if space == "embedding" else "euclidean"


def section_params(config: PipelineConfig, section: str) -> dict:
    """The section's keys that are estimator parameters (``NOT_PARAMETERS`` left out)."""
    skip = set(NOT_PARAMETERS.get(section, {}))
    values = config
    for part in section.split("."):  # "hierarchy.subpersonas": a section nested in another
        values = getattr(values, part)
    return {k: v for k, v in values.model_dump().items() if k not in skip}


def build_stages(config: PipelineConfig | None = None, show_progress: bool = False) -> Stages:
    """Every estimator of a conversation run, configured by ``config`` (see the module docstring)."""
    config = config or PipelineConfig()
    seed, r = config.seed, config.reassign
    reassign = section_params(config, "reassign")
    return Stages(
        embedder=SentenceEmbedder(**section_params(config, "embed"), show_progress=show_progress),
        fusion=FeatureFusion(**section_params(config, "fusion"), metadata_columns=metadata_columns()),
        # n_neighbors None: set per fit from the data's size (ml.runtime.layout.layout_neighbors); 30 until then
        reducer=UMAPReducer(**{**section_params(config, "reduce"), "n_neighbors": config.reduce.n_neighbors or 30},
                            random_state=seed),
        clusterer=PersonaClusterer(**section_params(config, "cluster"), random_state=seed),
        reassigner=NoiseReassigner(**{**reassign, "metric": reassign_metric(r.space, r.metric)}),
        model_reassigner=NoiseReassigner(**{**reassign, "metric": reassign_metric(r.model_space)}),
        families=PersonaFamilies(**section_params(config, "hierarchy")),
        subpersonas=SubPersonas(**section_params(config, "hierarchy.subpersonas")),
    )
