"""Reduce and cluster for a run, with sample-fit above ``reduce.fit_sample_size``.

``fit_reduce(params, fused, cache_root)`` → ``(reduced, coords_2d, placement)``: ``UMAPReducer(**params)``
fitted on ``fused``, cached on disk by (parameters, input matrix) under ``cache_root/reduce`` when a root is
given, so a re-run on the same data with the same settings (and the stability check's refits) does not fit
UMAP again. ``placement`` is the ``ml.cluster.placement.Placement`` of a sampled fit, else None.

``cluster_fitted(clusterer, reduced, embeddings, placement, n_total)`` → ``(clusterer, labels)``: the
clusterer fitted on the rows UMAP was fitted on; placed rows take their nearest sampled rows' vote.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ml.cluster.density import PersonaClusterer
from ml.cluster.placement import Placement
from ml.features.fusion import FusedRows, as_rows
from ml.reduce import UMAPReducer

Reduced = tuple[np.ndarray, np.ndarray | None, Placement | None]


def _fit_reduce(params: dict, fused: np.ndarray) -> Reduced:
    """Reduced and 2-D coordinates of ``fused`` and the placement (module-level so joblib can cache it)."""
    reducer = UMAPReducer(**params).fit(fused)
    return reducer.embedding_, reducer.embedding_2d_, reducer.placement_


def fit_reduce(params: dict, fused: np.ndarray, cache_root: Path | None = None) -> Reduced:
    """See the module docstring; ``cache_root`` None: no disk cache."""
    fit = _fit_reduce
    if cache_root is not None:
        import joblib

        fit = joblib.Memory(Path(cache_root) / "reduce", verbose=0).cache(_fit_reduce)
    rows = as_rows(fused)  # a FusedRows view is hashed by its parts, never built whole
    return fit(params, rows if isinstance(rows, FusedRows) else np.ascontiguousarray(rows))


def cluster_fitted(clusterer: PersonaClusterer, reduced: np.ndarray, embeddings: np.ndarray,
                   placement: Placement | None, n_total: int | None = None) -> tuple[PersonaClusterer, np.ndarray]:
    """Fit ``clusterer`` on the fitted rows of ``reduced``; labels of every row (placed rows: the vote).

    A fixed ``min_cluster_size`` counts members of all ``n_total`` rows (default: all of ``reduced``), so it
    is scaled to the share of them fitted; the share rule (``min_cluster_size`` None) scales by itself.
    """
    fit = placement.fit_index if placement is not None else np.arange(reduced.shape[0])
    n_total = n_total or reduced.shape[0]
    size = clusterer.min_cluster_size
    if size and fit.size < n_total:
        clusterer.set_params(min_cluster_size=max(2, int(size * fit.size / n_total)))
    clusterer.fit(reduced[fit], embeddings=embeddings[fit])
    labels = placement.labels(clusterer.labels_) if placement is not None else clusterer.labels_
    return clusterer, labels
