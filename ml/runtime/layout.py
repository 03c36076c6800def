"""Reduce and cluster for a run, with sample-fit above 1.5 × ``reduce.fit_sample_size`` (``ml.reduce.fitted_rows``).

``fit_reduce(params, fused, cache_root, background)`` → ``(reduced, coords_2d, placement)``:
``UMAPReducer(**params)`` fitted on ``fused``, the layout (by parameters and input matrix) and the 2-D map
(by parameters and the fitted rows, so the input is hashed once) each cached on disk under
``cache_root/reduce`` when a root is given, so a re-run on the same data with the same
settings (and the stability check's refits) does not fit UMAP again. ``placement`` is the
``ml.cluster.placement.Placement`` of a sampled fit, else None. With a ``background`` executor the map is
fitted there and ``coords_2d`` is a ``concurrent.futures.Future``: the run clusters and profiles meanwhile
(umap's kernels release the GIL: ``ml.reduce.import_umap``).

``cluster_fitted(clusterer, reduced, embeddings, placement, n_total)`` → ``(clusterer, labels)``: the
clusterer fitted on the rows UMAP was fitted on; placed rows take their nearest sampled rows' vote.

``Segmentation``: what ``PersonaPipeline.segment`` (reduce → cluster → noise step, no map) returns.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.cluster.density import PersonaClusterer
from ml.cluster.placement import Placement
from ml.features.fusion import FusedRows, as_rows
from ml.reduce import UMAPReducer, place_rows

Reduced = tuple[np.ndarray, np.ndarray | None, Placement | None]


@dataclass
class Segmentation:
    """What ``PersonaPipeline.segment`` fitted: ``layout`` (a ``Reduced``, the 2-D map None), the fitted
    ``clusterer``, ``raw_labels`` (-1 = noise), and after the noise step ``labels`` and ``reassigned``
    (None when the clusterer found no group)."""

    layout: Reduced
    clusterer: PersonaClusterer
    raw_labels: np.ndarray
    labels: np.ndarray | None
    reassigned: np.ndarray | None

    @property
    def n_placed(self) -> int:
        """Members placed by their sampled neighbours (0 without a sample fit)."""
        return self.layout[2].n_placed if self.layout[2] is not None else 0


NEIGHBORS = (15, 30)  # the range of UMAP neighbours layout_neighbors chooses from


def layout_neighbors(configured: int | None, clusterer: PersonaClusterer, n: int) -> int:
    """UMAP's neighbours for a fit of ``n`` rows: ``configured`` when set, else the minimum cluster size ``clusterer``
    starts from (``expected_min_cluster_size``: the fixed size or the share rule's; the rescue may keep smaller
    groups) within ``NEIGHBORS``. A neighbourhood wider than the smallest persona
    reaches past it into the next: 30 neighbours joined Banking77's intents at 20 texts each (40 personas for 77
    intents, below k-means told k), 15 found 61 and beat k-means; at 170 per intent 30 stays the better
    (docs/ablations.md, "Neighbours that follow the smallest persona"). Under 150 rows the lower end is a tenth of
    them (100 texts: 10), so a small dump's groups of 10 are not joined ("Small dumps"). A sampled fit uses
    ``sample_n_neighbors``."""
    if configured is not None:
        return int(configured)
    low, high = NEIGHBORS
    low = min(low, max(2, round(n / 10)))  # a small dump's neighbourhood: a tenth of it at most ("Small dumps")
    return int(min(high, max(low, clusterer.expected_min_cluster_size(n))))


def _fit_layout(params: dict, fused: np.ndarray) -> tuple[np.ndarray, Placement | None, np.ndarray, tuple]:
    """Reduced coordinates of ``fused``, the placement, the fitted rows and their neighbour graph (no map;
    module-level so joblib can cache it)."""
    reducer = UMAPReducer(**{**params, "map_2d": False}).fit(fused)
    return reducer.embedding_, reducer.placement_, reducer.fit_index_, reducer.knn_


def _fit_map(params: dict, fitted_rows: np.ndarray, fitted_layout: np.ndarray, knn: tuple) -> np.ndarray:
    """2-D coordinates of the fitted rows from their layout and neighbour graph (``UMAPReducer.fit_map``;
    module-level so joblib can cache it, keyed by the fitted rows only: the input is hashed once per run)."""
    reducer = UMAPReducer(**params)
    every = np.arange(fitted_rows.shape[0])
    reducer.embedding_, reducer.fit_index_, reducer.knn_, reducer.placement_ = fitted_layout, every, knn, None
    return reducer.fit_map(fitted_rows, fitted_rows).embedding_2d_


def _map_of_all(fit_map, params: dict, rows, reduced: np.ndarray, fit_index: np.ndarray, knn: tuple,
                placement: Placement | None) -> np.ndarray:
    """The fitted rows' map, then every placed row at its neighbours' mean (``place_rows``)."""
    fitted = fit_map(params, rows[fit_index], reduced[fit_index], knn)  # the rows fit() fitted on
    return place_rows(fitted, reduced.shape[0], fit_index, placement)


def fit_reduce(params: dict, fused: np.ndarray, cache_root: Path | None = None,
               background: Executor | None = None) -> Reduced:
    """See the module docstring; ``cache_root`` None: no disk cache. ``background``: an executor (threads)
    that fits the 2-D map while the caller goes on; the coordinates are then a ``Future``."""
    fit_layout, fit_map = _fit_layout, _fit_map
    if cache_root is not None:
        import joblib

        memory = joblib.Memory(Path(cache_root) / "reduce", verbose=0)
        fit_layout, fit_map = memory.cache(_fit_layout), memory.cache(_fit_map)
    rows = as_rows(fused)  # a FusedRows view is hashed by its parts, never built whole
    rows = rows if isinstance(rows, FusedRows) else np.ascontiguousarray(rows)
    reduced, placement, fit_index, knn = fit_layout(params, rows)
    if not params.get("map_2d", True):
        return reduced, None, placement
    job = (_map_of_all, fit_map, params, rows, reduced, fit_index, knn, placement)
    return reduced, background.submit(*job) if background is not None else job[0](*job[1:]), placement


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
