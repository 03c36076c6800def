"""Dimension reduction: UMAP to ``n_components`` dims for clustering, plus 2-D map coordinates.

In: the fused matrix (n, d). Out: ``transform`` → (n, n_components) float32; ``embedding_2d_``
holds the 2-D map of the fitted rows.

Reproducible without paying blindly for it
------------------------------------------
A fixed ``random_state`` makes UMAP single-threaded. The expensive part that it would otherwise
parallelise is the nearest-neighbour search, so for fits of up to ``fit_sample_size`` rows we
compute the exact k-nearest-neighbour graph ourselves (brute force through BLAS, multi-threaded and
deterministic) and hand it to UMAP as ``precomputed_knn``; only the layout optimisation runs
single-threaded under the seed. The same graph is reused for the 2-D map, so the neighbours are
searched once. Larger inputs are fitted on a deterministic sample of ``fit_sample_size`` rows and
the rest is placed with ``UMAP.transform`` (a global step fitted on a sample, applied per batch).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

# The one default for the UMAP dimensions (``ReduceConfig.n_components`` and ``--dims`` read it):
# 5 was as good as the design's 50 on Banking77 over 5 seeds and 4-9x less UMAP time (docs/ablations.md).
N_COMPONENTS = 5


def import_umap():
    """Import umap-learn with numba's on-disk cache switched on for its kernels.

    umap-learn 0.5.12 compiles its layout kernels with ``numba.njit`` without ``cache=True``,
    so every new process spent 30–90 s compiling them again. Importing it while ``njit``
    defaults to ``cache=True`` stores the compiled kernels under ``NUMBA_CACHE_DIR`` (set by
    ``ml/__init__.py``); measured: a second process imports and fits in 5 s instead of 47 s.
    """
    import sys

    if "umap" in sys.modules:
        return sys.modules["umap"]
    import numba

    original = numba.njit

    def njit_cached(*args, **kwargs):
        kwargs.setdefault("cache", True)
        return original(*args, **kwargs)

    numba.njit = njit_cached
    try:
        import umap
    finally:
        numba.njit = original
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


class UMAPReducer(BaseEstimator, TransformerMixin):
    """UMAP to ``n_components`` dims (default ``N_COMPONENTS``), plus a 2-D map.

    Attributes: ``umap_`` (fitted UMAP), ``map_`` (2-D UMAP or None), ``embedding_`` (reduced
    coordinates of the fitted rows), ``embedding_2d_``, ``fit_index_`` (rows used for fitting).
    """

    def __init__(
        self,
        n_components: int = N_COMPONENTS,
        n_neighbors: int = 30,
        min_dist: float = 0.0,
        metric: str = "euclidean",
        random_state: int | None = 42,
        fit_sample_size: int = 20000,
        map_2d: bool = True,
        low_memory: bool = True,
    ):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.random_state = random_state
        self.fit_sample_size = fit_sample_size
        self.map_2d = map_2d
        self.low_memory = low_memory

    def _umap(self, n_components: int, knn, n_epochs=None):
        umap = import_umap()

        return umap.UMAP(
            n_components=n_components,
            n_neighbors=self.n_neighbors,
            min_dist=self.min_dist,
            metric=self.metric,
            random_state=self.random_state,
            low_memory=self.low_memory,
            precomputed_knn=knn,
            n_epochs=n_epochs,
            verbose=False,
        )

    def fit(self, X: np.ndarray, y=None):
        X = np.asarray(X, dtype=np.float32)
        n = X.shape[0]
        if n <= self.n_neighbors + 1:
            raise ValueError(f"UMAP needs more than n_neighbors+1={self.n_neighbors + 1} rows, got {n}")
        if n > self.fit_sample_size:
            rng = np.random.default_rng(self.random_state if self.random_state is not None else 0)
            self.fit_index_ = np.sort(rng.choice(n, size=self.fit_sample_size, replace=False))
            knn = (None, None, None)  # UMAP builds a search index so the rest can be transformed
        else:
            self.fit_index_ = np.arange(n)
            idx, dist = exact_knn(X, self.n_neighbors, self.metric)
            knn = (idx, dist, None)
        Xf = X[self.fit_index_]
        n_comp = min(self.n_components, max(2, Xf.shape[0] - 2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.umap_ = self._umap(n_comp, knn).fit(Xf)
            self.map_ = self._umap(2, knn, n_epochs=200).fit(Xf) if self.map_2d else None
        self.n_fit_ = Xf.shape[0]
        self.embedding_ = self._place(self.umap_, X)
        self.embedding_2d_ = self._place(self.map_, X) if self.map_ is not None else None
        return self

    def _place(self, model, X: np.ndarray) -> np.ndarray:
        """Coordinates for every row of X: fitted rows keep their layout, others are transformed."""
        out = np.zeros((X.shape[0], model.embedding_.shape[1]), dtype=np.float32)
        out[self.fit_index_] = model.embedding_
        rest = np.setdiff1d(np.arange(X.shape[0]), self.fit_index_)
        if rest.size:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for start in range(0, rest.size, 10000):
                    part = rest[start : start + 10000]
                    out[part] = model.transform(X[part])
        return out

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Reduced coordinates of new rows (requires a fit with a search index, i.e. a sampled fit)."""
        check_is_fitted(self, "umap_")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(self.umap_.transform(np.asarray(X, dtype=np.float32)), dtype=np.float32)

    def fit_transform(self, X, y=None, **_):
        return self.fit(X).embedding_
