"""Dimension reduction: UMAP to ``n_components`` dims for clustering, plus 2-D map coordinates.

In: the fused matrix (n, d), or a ``FusedRows`` view of it (rows built as read). Out: ``transform`` → (n, n_components) float32; ``embedding_2d_``
holds the 2-D map of the fitted rows.

Reproducible without paying blindly for it
------------------------------------------
A fixed ``random_state`` makes UMAP single-threaded. The expensive part that it would otherwise
parallelise is the nearest-neighbour search, so we compute the exact k-nearest-neighbour graph
ourselves (brute force through BLAS, multi-threaded and deterministic) and hand it to UMAP as
``precomputed_knn``; only the layout optimisation runs single-threaded under the seed. The same graph
is reused for the 2-D map, so the neighbours are searched once; the map starts from the layout's first
two principal axes (``map_init``) instead of a second spectral embedding, and runs ``MAP_EPOCHS``.

Sample-fit above ``SAMPLE_ABOVE``·``fit_sample_size`` rows
-------------------------------------------------------
Inputs of more than 1.5 × ``fit_sample_size`` rows (30,000 by default; ``fitted_rows``) are fitted on a seeded
uniform sample of ``fit_sample_size`` rows; up to there every row is fitted: a sample that would place under a
third of the rows saves little time and costs quality (23,781 texts of Banking77 and GoogleNews-TS, 3,781 placed:
reduce 17-18 s against 23-24 s fitting all, NMI / ARI / ACC .880 / .632 / .682 against .890 / .666 / .722 over
seeds 0-2; docs/benchmarks.md, "Sample-fit"). Every other row of a sampled fit is
*placed* (``ml.cluster.placement``): its ``place_neighbors`` nearest sampled rows in the input space give
its layout and map coordinates (inverse-distance weighted mean) and, in the pipeline, its persona (vote,
then spread for ``spread_rounds`` over each placed row's nearest rows among all rows, at most ``spread_rows``).
A sampled fit uses ``sample_n_neighbors`` (default 15) instead of ``n_neighbors``: a sample's groups are
smaller, and 30 neighbours spanned too much of each (Banking77 fitted on 30%: NMI 0.797 with 30, 0.810
with 15; docs/benchmarks.md, "Sample-fit").
``placement_`` says which rows were placed and from which neighbours. This replaced ``UMAP.transform``,
which was 5x slower than fitting everything at 22,500 rows (issue 17).
"""

from __future__ import annotations

import threading

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

from ml.cluster.placement import NeighbourPlacer, Placement, mean_of, sample_index
from ml.features.fusion import FusedRows, as_rows
from ml.runtime.gcfreeze import after_import

#: a fit is sampled only above this many times ``fit_sample_size`` rows (module docstring)
SAMPLE_ABOVE = 1.5


def fitted_rows(n: int, fit_sample_size: int) -> int:
    """The rows a fit of ``n`` rows is fitted on: all of them up to ``SAMPLE_ABOVE``·``fit_sample_size``, else a
    sample of ``fit_sample_size``."""
    return n if n <= SAMPLE_ABOVE * fit_sample_size else fit_sample_size

# The one default for the UMAP dimensions (``ReduceConfig.n_components`` and ``--dims`` read it):
# 5 was as good as the design's 50 on Banking77 over 5 seeds and 4-9x less UMAP time (docs/ablations.md).
N_COMPONENTS = 5
# The 2-D map starts from the layout's first two principal axes, so it needs fewer epochs than a
# spectral start (measured: docs/benchmarks.md, "Peers").
MAP_EPOCHS = 100


_UMAP_IMPORT = threading.Lock()


def import_umap():
    """Import umap-learn with numba's on-disk cache switched on for its kernels, and the GIL released in the
    serial ones.

    umap-learn 0.5.12 compiles its layout kernels with ``numba.njit`` without ``cache=True``,
    so every new process spent 30–90 s compiling them again. Importing it while ``njit``
    defaults to ``cache=True`` stores the compiled kernels under ``NUMBA_CACHE_DIR`` (set by
    ``ml/__init__.py``); measured: a second process imports and fits in 5 s instead of 47 s.
    ``nogil=True`` on the kernels that are not ``parallel`` (the seeded layout's epochs among them) lets a
    second fit run in a thread while this one goes on (the run's 2-D map and its stability refits,
    ``ml.runtime.pipeline``): two 6,000-row fits in two threads took 4.2 s, as one alone, against 8.1 s
    with the GIL held. The ``parallel`` kernels keep the GIL, so two threads never enter one at once: numba's
    "workqueue" threading layer (where neither OpenMP nor TBB is installed) aborts the process on that.
    numba's cache does not tell kernels compiled with and without ``nogil`` apart, so when ``NUMBA_CACHE_DIR``
    is set these live in its subfolder ``umap-nogil-serial``. umap's notes to its caller ("n_jobs overridden by
    setting random_state", "precomputed_knn[2] is not an NNDescent object") are filtered for good, by
    module, instead of ``warnings.catch_warnings`` around each fit (which is not safe with threads). The
    import holds a lock: a second thread never sees a half-imported module.
    """
    import os
    import sys
    import warnings

    with _UMAP_IMPORT:
        warnings.filterwarnings("ignore", category=UserWarning, module=r"umap(\.|$)")
        if "umap" in sys.modules:
            return sys.modules["umap"]
        import numba

        original, cache_dir = numba.njit, numba.config.CACHE_DIR

        def njit_cached(*args, **kwargs):
            kwargs.setdefault("cache", True)
            if not kwargs.get("parallel"):
                kwargs.setdefault("nogil", True)
            return original(*args, **kwargs)

        numba.njit = njit_cached
        if cache_dir:
            numba.config.CACHE_DIR = os.path.join(cache_dir, "umap-nogil-serial")
        try:
            import umap
        finally:
            numba.njit, numba.config.CACHE_DIR = original, cache_dir
        after_import()  # umap, numba, pynndescent out of the run's garbage collections
        return umap


def exact_knn(X: np.ndarray, k: int, metric: str = "euclidean") -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours of every row (the row itself first), deterministic."""
    nn = NearestNeighbors(n_neighbors=k, algorithm="brute", metric=metric, n_jobs=-1).fit(X)
    dist, idx = nn.kneighbors(X)
    # make the self-neighbour come first even with duplicate rows
    rows = np.arange(X.shape[0])
    self_pos = np.argmax(idx == rows[:, None], axis=1)
    has_self = (idx == rows[:, None]).any(axis=1)
    for r in np.where(~has_self | (self_pos != 0))[0]:
        others = [j for j in idx[r] if j != r][: k - 1]
        idx[r] = [r, *others]
        dist[r] = np.r_[0.0, np.linalg.norm(X[others] - X[r], axis=1)] if metric == "euclidean" else dist[r]
    return idx.astype(np.int64), dist.astype(np.float32)


def map_init(layout: np.ndarray) -> np.ndarray:
    """Start of the 2-D map: the layout's first two principal axes, scaled like UMAP's spectral start (|x| ≤ 10)."""
    centred = np.asarray(layout, dtype=np.float64) - np.mean(layout, axis=0)
    _, _, vt = np.linalg.svd(centred[:, :], full_matrices=False)
    init = centred @ vt[:2].T
    if init.shape[1] < 2:
        init = np.c_[init, np.zeros(len(init))]
    return (10.0 * init / max(np.abs(init).max(), 1e-12)).astype(np.float32)


def place_rows(fitted: np.ndarray, n: int, fit_index: np.ndarray, placement: Placement | None) -> np.ndarray:
    """Coordinates for all ``n`` rows: fitted rows keep their layout, placed rows their neighbours' mean."""
    out = np.zeros((n, fitted.shape[1]), dtype=np.float32)
    out[fit_index] = fitted
    if placement is not None and placement.n_placed:
        out[placement.placed] = mean_of(fitted, placement.neighbours, placement.weights)
    return out


class UMAPReducer(BaseEstimator, TransformerMixin):
    """UMAP to ``n_components`` dims (default ``N_COMPONENTS``), plus a 2-D map.

    Attributes: ``umap_`` (fitted UMAP), ``map_`` (2-D UMAP or None), ``embedding_`` (reduced
    coordinates of every row), ``embedding_2d_``, ``fit_index_`` (rows used for fitting), ``knn_`` (their
    exact neighbour graph: positions, distances),
    ``placement_`` (``ml.cluster.placement.Placement`` of a sampled fit, else None), ``placer_``.
    """

    def __init__(
        self,
        n_components: int = N_COMPONENTS,
        n_neighbors: int = 30,
        min_dist: float = 0.0,
        metric: str = "euclidean",
        random_state: int | None = 42,
        fit_sample_size: int = 20000,
        sample_n_neighbors: int | None = 15,
        place_neighbors: int = 10,
        spread_rounds: int = 5,
        spread_rows: int = 50000,
        n_epochs: int | None = None,
        map_2d: bool = True,
        low_memory: bool = True,
    ):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.random_state = random_state
        self.fit_sample_size = fit_sample_size
        self.sample_n_neighbors = sample_n_neighbors
        self.place_neighbors = place_neighbors
        self.spread_rounds = spread_rounds
        self.spread_rows = spread_rows
        self.n_epochs = n_epochs
        self.map_2d = map_2d
        self.low_memory = low_memory

    def _umap(self, n_components: int, knn, n_epochs=None, init="spectral"):
        umap = import_umap()

        return umap.UMAP(
            n_components=n_components,
            n_neighbors=knn[0].shape[1],
            min_dist=self.min_dist,
            metric=self.metric,
            random_state=self.random_state,
            low_memory=self.low_memory,
            precomputed_knn=knn,
            n_epochs=n_epochs,
            init=init,
            verbose=False,
        )

    def fit(self, X: np.ndarray | FusedRows, y=None):
        X = as_rows(X)  # a FusedRows view stays a view: only the sample and blocks of rows are built
        n = X.shape[0]
        if n <= self.n_neighbors + 1:
            raise ValueError(f"UMAP needs more than n_neighbors+1={self.n_neighbors + 1} rows, got {n}")
        sampled = fitted_rows(n, self.fit_sample_size) < n and n > self.n_neighbors + 2
        self.fit_index_ = sample_index(n, self.fit_sample_size, self.random_state) if sampled else np.arange(n)
        Xf = X[self.fit_index_]
        self.n_neighbors_ = self.sample_n_neighbors if sampled and self.sample_n_neighbors else self.n_neighbors
        idx, dist = exact_knn(Xf, self.n_neighbors_, self.metric)
        self.knn_ = (idx, dist)
        n_comp = min(self.n_components, max(2, Xf.shape[0] - 2))
        self.umap_ = self._umap(n_comp, (idx, dist, None), n_epochs=self.n_epochs).fit(Xf)
        self.n_fit_ = Xf.shape[0]
        self.placer_ = NeighbourPlacer(self.place_neighbors, self.metric).fit(Xf)
        self.placement_ = (self.placer_.place(X, self.fit_index_, self.spread_rounds, self.spread_rows,
                                              self.random_state) if sampled else None)
        self.embedding_ = place_rows(self.umap_.embedding_, n, self.fit_index_, self.placement_)
        self.map_, self.embedding_2d_ = None, None
        return self.fit_map(X, Xf) if self.map_2d else self

    def fit_map(self, X: np.ndarray | FusedRows, Xf: np.ndarray | None = None):
        """Fit the 2-D map (``map_``, ``embedding_2d_``) after ``fit``: the same neighbour graph (``knn_``),
        started from the layout's principal axes (``map_init``). ``fit`` calls it when ``map_2d``; a caller
        that fitted with ``map_2d=False`` can call it later, for example in a thread. ``Xf``: the fitted
        rows of ``X`` when already built."""
        check_is_fitted(self, "knn_")
        Xf = as_rows(X)[self.fit_index_] if Xf is None else Xf
        idx, dist = self.knn_
        init = map_init(self.embedding_[self.fit_index_])  # the fitted rows' layout
        self.map_ = self._umap(2, (idx, dist, None), n_epochs=MAP_EPOCHS, init=init).fit(Xf)
        self.embedding_2d_ = place_rows(self.map_.embedding_, as_rows(X).shape[0], self.fit_index_, self.placement_)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Reduced coordinates of new rows: the mean layout of their nearest fitted rows."""
        check_is_fitted(self, "umap_")
        idx, w = self.placer_.kneighbors(X)
        return mean_of(np.asarray(self.umap_.embedding_, dtype=np.float32), idx, w)

    def fit_transform(self, X, y=None, **_):
        return self.fit(X).embedding_
