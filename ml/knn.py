"""Exact nearest neighbours by brute force: one float32 matrix product per block of queries, then a re-rank.

``BruteNeighbours(metric).fit(R)`` keeps the reference rows; ``kneighbors(Q, k)`` → ``(dist, idx)`` like
scikit-learn's ``NearestNeighbors.kneighbors``: for each query row the positions of its ``k`` nearest
reference rows and their distances (float32), nearest first, equal distances by position.

How: for a block of query rows, the scores ``|r|² − 2 q·r`` (euclidean; ``−q̂·r̂`` for cosine) of every
reference row come from one float32 BLAS product, and a compiled one-pass selection (one thread per
core) keeps the ``k + margin`` best as candidates. The candidates' distances are then computed again from the
differences (``|q − r|``, summed in float64; cosine ``1 − q̂·r̂``) and sorted. The product's rounding can only reorder rows
whose scores differ by about 1e-6, and the margin keeps such rows among the candidates, so the result is
the exact neighbours (an exact duplicate of a reference row is at distance 0).

Why not scikit-learn's brute search: for float32 input it computes the same product in float64 blocks
(twice the flops). The sample-fit placement of a 50,000-row run (30,000 rows placed, spread graph included)
took 22.1 s with it and 13.9 s here, 300,000 rows 206 s and 137 s (``scripts/bench_placement.py``). UMAP's
own neighbour graph (``ml.reduce.exact_knn``) keeps scikit-learn's search: a seeded layout follows the last
bits of the distances it is given, and the measured tables in docs/ablations.md are of those layouts.
Other metrics than euclidean and cosine use scikit-learn's search.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ml.forked import usable_cores

BLOCK_FLOATS = 1 << 24  # scores of one block of queries against all references (64 MB of float32)
MARGIN = 8  # candidates kept beyond k from the product, for rows whose scores round across each other
RERANK_ROWS = 1024  # query rows whose candidates' differences are computed at a time
FAST_METRICS = ("euclidean", "cosine")


def _unit(X: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1; zero rows stay zero (their cosine distance to anything is 1)."""
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1).astype(X.dtype)


def _threads() -> int:
    return usable_cores()


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(_threads(), thread_name_prefix="personas-knn")


@functools.cache
def _smallest():
    """``f(scores, out)``: for each row of ``scores`` the positions of its ``out.shape[1]`` smallest values,
    ascending, equal values by position (a sorted buffer per row, one pass). Serial, compiled with numba
    without the GIL, so threads share the rows (no parallel kernel: see ``ml.reduce.import_umap``)."""
    import numba

    @numba.njit(nogil=True, cache=True)
    def smallest(scores, out):
        n = out.shape[1]
        vals = np.empty(n, dtype=scores.dtype)
        for i in range(scores.shape[0]):
            row = scores[i]
            for j in range(n):
                v, at = row[j], j
                while at > 0 and vals[at - 1] > v:
                    vals[at], out[i, at] = vals[at - 1], out[i, at - 1]
                    at -= 1
                vals[at], out[i, at] = v, j
            worst = vals[n - 1]
            for j in range(n, row.shape[0]):
                v = row[j]
                if v < worst:
                    at = n - 1
                    while at > 0 and vals[at - 1] > v:
                        vals[at], out[i, at] = vals[at - 1], out[i, at - 1]
                        at -= 1
                    vals[at], out[i, at] = v, j
                    worst = vals[n - 1]

    return smallest


class BruteNeighbours:
    """Exact k nearest reference rows (module docstring). Learned: ``R_`` (float32 reference rows, unit
    rows for cosine), ``Ra_`` (the same with a last column ``|r|²``, euclidean), ``n_samples_fit_``."""

    def __init__(self, metric: str = "euclidean"):
        self.metric = metric

    def fit(self, R: np.ndarray):
        R = np.ascontiguousarray(R, dtype=np.float32)
        if R.ndim != 2 or R.shape[0] < 1:
            raise ValueError("BruteNeighbours needs a 2-D array with at least one row")
        if self.metric not in FAST_METRICS:
            from sklearn.neighbors import NearestNeighbors

            self.sk_ = NearestNeighbors(algorithm="brute", metric=self.metric, n_jobs=-1).fit(R)
        if self.metric == "euclidean":  # [r, |r|²]: one product with [−2q, 1] gives |r|² − 2 q·r
            self.Ra_ = np.hstack([R, np.einsum("ij,ij->i", R, R)[:, None]])
            self.R_ = self.Ra_[:, :-1]  # a view: the rows are held once
        else:
            self.Ra_ = self.R_ = _unit(R) if self.metric == "cosine" else R
        self.n_samples_fit_ = R.shape[0]
        return self

    def kneighbors(self, Q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(distances float32, positions int64), each (rows of ``Q``) × ``k``; ``k`` ≤ the reference rows."""
        if not 1 <= k <= self.n_samples_fit_:
            raise ValueError(f"k={k} must be between 1 and the {self.n_samples_fit_} reference rows")
        Q = np.ascontiguousarray(Q, dtype=np.float32)
        if self.metric not in FAST_METRICS:
            dist, idx = self.sk_.kneighbors(Q, n_neighbors=k)
            return dist.astype(np.float32), idx.astype(np.int64)
        Q = _unit(Q) if self.metric == "cosine" else Q
        dist = np.empty((Q.shape[0], k), dtype=np.float32)
        idx = np.empty((Q.shape[0], k), dtype=np.int64)
        n_cand = min(self.n_samples_fit_, k + MARGIN)
        step = max(1, BLOCK_FLOATS // self.n_samples_fit_)
        for s in range(0, Q.shape[0], step):
            cand = self._candidates(Q[s:s + step], n_cand)
            dist[s:s + step], idx[s:s + step] = self._rerank(Q[s:s + step], cand, k)
        return dist, idx

    def _candidates(self, q: np.ndarray, n_cand: int) -> np.ndarray:
        """Positions of the ``n_cand`` best scores of each query row (unordered), from the float32 product."""
        if self.metric == "euclidean":
            qa = np.empty((q.shape[0], q.shape[1] + 1), dtype=np.float32)
            np.multiply(q, -2.0, out=qa[:, :-1])
            qa[:, -1] = 1.0
        else:
            qa = -q
        scores = qa @ self.Ra_.T
        cand = np.empty((q.shape[0], n_cand), dtype=np.int64)
        select = _smallest()  # compiled (or loaded from numba's cache) once, before the threads share it
        parts = np.array_split(np.arange(q.shape[0]), min(_threads(), q.shape[0]))
        if len(parts) == 1:
            select(scores, cand)
        else:
            list(_pool().map(lambda rows: select(scores[rows[0]:rows[-1] + 1], cand[rows[0]:rows[-1] + 1]), parts))
        return cand

    def _rerank(self, q: np.ndarray, cand: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest candidates of each row by their distance from the differences (no cancellation),
        equal distances by position."""
        dist = np.empty(cand.shape, dtype=np.float32)
        for s in range(0, q.shape[0], RERANK_ROWS):
            qq, rr = q[s:s + RERANK_ROWS, None, :], self.R_[cand[s:s + RERANK_ROWS]]
            if self.metric == "cosine":
                dot = np.einsum("ijk,ijk->ij", np.broadcast_to(qq, rr.shape), rr, dtype=np.float64)
                dist[s:s + RERANK_ROWS] = np.maximum(1.0 - dot, 0.0)
            else:
                rr -= qq
                dist[s:s + RERANK_ROWS] = np.sqrt(np.einsum("ijk,ijk->ij", rr, rr, dtype=np.float64))
        order = np.lexsort((cand, dist), axis=1)[:, :k]
        return np.take_along_axis(dist, order, axis=1), np.take_along_axis(cand, order, axis=1)
