"""Sample-fit placement: rows left out of a sampled fit take their nearest fitted rows' layout and persona.

In: the fitted (sampled) rows' vectors; later any rows' vectors in the same space. Out, per placed row:
its ``n_neighbors`` nearest fitted rows (``kneighbors``), then from them the mean of the fitted rows'
coordinates (``mean_of``: the UMAP layout and the 2-D map) and the weighted vote of their labels (``vote``:
the persona, noise included, so a row among noise stays noise for the reassignment step to handle).

The persona vote then **spreads** over the placed rows' own neighbourhood (``spread_rounds``, default 5): each
placed row's ``n_neighbors`` nearest rows among *all* rows (fitted and placed; above ``spread_rows`` rows,
among the fitted rows plus a seeded sample of the placed ones up to that many) vote again, fitted rows keep
their labels, until nothing changes. With 30% fitted most of a placed row's true neighbours are placed rows,
so the sampled neighbours alone decide from a sparser picture; spreading moved the 30% sample-fit cost from
−0.013/−0.010 NMI to −0.007/−0.006 on Banking77/GoogleNews-TS (mean of seeds 0–2; docs/benchmarks.md,
"Sample-fit"). The same spread over the 5-d layout, or over 32 principal axes of the input, lost NMI instead.

Why not ``UMAP.transform`` / ``hdbscan.approximate_predict``: ``transform`` optimises every new point
against the fitted graph (418 s for 2,500 rows + 20,000 fitted in issue 17's measurement); a brute-force
neighbour search through BLAS is exact, deterministic and linear in the rows placed (one (chunk × sample)
distance block at a time), and its result is shared by the layout, the map and the persona vote.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ml.knn import BruteNeighbours

CHUNK_ROWS = 8192  # rows searched per call; results (rows × k) are written into preallocated arrays
BLOCK_ROWS = 65536  # placed rows whose weights, votes and means are computed at a time


@dataclass
class Placement:
    """Which rows a sampled fit placed, and from which fitted rows.

    ``fit_index`` (rows fitted, sorted), ``placed`` (bool per row), ``neighbours`` (placed rows × k:
    positions in ``fit_index``) and ``weights`` (same shape, rows sum to 1), in the row order of the input;
    ``graph`` (optional): (placed rows × k row positions among all rows, weights) the vote spreads over,
    for at most ``spread_rounds`` rounds.
    """

    fit_index: np.ndarray
    placed: np.ndarray
    neighbours: np.ndarray
    weights: np.ndarray
    graph: tuple[np.ndarray, np.ndarray] | None = None
    spread_rounds: int = 0

    @property
    def n_placed(self) -> int:
        return int(self.placed.sum())

    def labels(self, fitted_labels: np.ndarray) -> np.ndarray:
        """Labels of every row: the fitted rows' own, each placed row the vote of its neighbours."""
        out = np.empty(self.placed.size, dtype=np.asarray(fitted_labels).dtype)
        out[self.fit_index] = fitted_labels
        out[self.placed] = vote(fitted_labels, self.neighbours, self.weights)
        if self.graph is None or not self.n_placed:
            return out
        graph_idx, graph_w = self.graph
        for _ in range(self.spread_rounds):
            again = vote(out, graph_idx, graph_w)
            if np.array_equal(again, out[self.placed]):
                break
            out[self.placed] = again
        return out


def sample_index(n: int, size: int, seed: int | None) -> np.ndarray:
    """A seeded uniform sample of ``size`` of ``n`` row positions, sorted."""
    rng = np.random.default_rng(seed if seed is not None else 0)
    return np.sort(rng.choice(n, size=min(size, n), replace=False))


def mean_of(values: np.ndarray, neighbours: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean of the neighbours' rows of ``values`` (fitted rows × d) for each placed row
    (``BLOCK_ROWS`` placed rows at a time: no (placed × k × d) array)."""
    values = np.asarray(values)
    out = np.empty((neighbours.shape[0], values.shape[1]), dtype=values.dtype)
    for s in range(0, neighbours.shape[0], BLOCK_ROWS):
        b = slice(s, s + BLOCK_ROWS)
        out[b] = np.einsum("nk,nkd->nd", weights[b], values[neighbours[b]])
    return out


def vote(labels: np.ndarray, neighbours: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The label with the largest summed weight among each row's neighbours (ties: the smaller label).

    Scores are summed neighbour by neighbour (per row in the order of its neighbours) for ``BLOCK_ROWS`` rows
    at a time: no (rows × labels) matrix of all rows."""
    labels = np.asarray(labels)
    codes, inverse = np.unique(labels, return_inverse=True)
    out = np.empty(neighbours.shape[0], dtype=labels.dtype)
    for s in range(0, neighbours.shape[0], BLOCK_ROWS):
        nb, w = neighbours[s:s + BLOCK_ROWS], weights[s:s + BLOCK_ROWS]
        scores = np.zeros((nb.shape[0], codes.size))
        at = np.arange(nb.shape[0])
        for j in range(nb.shape[1]):
            scores[at, inverse[nb[:, j]]] += w[:, j]
        out[s:s + BLOCK_ROWS] = codes[np.argmax(scores, axis=1)]
    return out


class NeighbourPlacer(BaseEstimator):
    """Nearest fitted rows of new rows, exact (brute force), in chunks.

    ``fit(X_fit)`` keeps the fitted rows' vectors; ``kneighbors(X)`` → (positions in X_fit, weights):
    inverse-distance weights normalised per row (an exact duplicate of a fitted row takes its values).
    """

    def __init__(self, n_neighbors: int = 10, metric: str = "euclidean"):
        self.n_neighbors = n_neighbors
        self.metric = metric

    def fit(self, X_fit: np.ndarray, y=None):
        X_fit = np.asarray(X_fit, dtype=np.float32)
        if X_fit.shape[0] < 1:
            raise ValueError("NeighbourPlacer needs at least one fitted row")
        self.k_ = int(min(self.n_neighbors, X_fit.shape[0]))
        self.nn_ = BruteNeighbours(self.metric).fit(X_fit)
        return self

    def kneighbors(self, X: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        idx, dist = self.kneighbors_dist(X, rows)
        return idx, _weights(dist)

    def kneighbors_dist(self, X: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(positions in X_fit, distances) of the nearest fitted rows of each row of ``X``, or of the rows
        ``rows`` of it (read a chunk at a time: no copy of all the queried rows)."""
        check_is_fitted(self, "nn_")
        X = X if hasattr(X, "shape") and hasattr(X, "__getitem__") else np.asarray(X)  # arrays and row views
        rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
        idx = np.empty((rows.size, self.k_), dtype=_index_dtype(self.nn_.n_samples_fit_))
        dist = np.empty((rows.size, self.k_), dtype=np.float32)
        for start in range(0, rows.size, CHUNK_ROWS):
            block = np.asarray(X[rows[start : start + CHUNK_ROWS]], dtype=np.float32)
            d, i = self.nn_.kneighbors(block, self.k_)
            idx[start : start + CHUNK_ROWS], dist[start : start + CHUNK_ROWS] = i, d
        return idx, dist

    def place(self, X: np.ndarray, fit_index: np.ndarray, spread_rounds: int = 0, spread_rows: int = 50000,
              seed: int | None = 0) -> Placement:
        """The ``Placement`` of all rows of ``X`` when the rows ``fit_index`` of it were the fitted ones;
        ``spread_rounds`` > 0 adds the graph the vote spreads over (module docstring)."""
        placed = np.ones(X.shape[0], dtype=bool)
        placed[fit_index] = False
        if not placed.any():
            empty = np.zeros((0, self.k_), dtype=np.int64), np.zeros((0, self.k_), dtype=np.float32)
            return Placement(np.asarray(fit_index), placed, *empty)
        idx, dist = self.kneighbors_dist(X, np.flatnonzero(placed))
        graph = (spread_graph(X, np.asarray(fit_index), placed, self, spread_rows, seed, fitted=(idx, dist))
                 if spread_rounds > 0 else None)
        return Placement(np.asarray(fit_index), placed, idx, _weights(dist), graph, spread_rounds)


def spread_graph(X: np.ndarray, fit_index: np.ndarray, placed: np.ndarray, placer: NeighbourPlacer,
                 max_rows: int, seed: int | None,
                 fitted: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each placed row's ``placer.k_`` nearest other rows among the reference rows (all rows, or above
    ``max_rows`` the fitted rows plus a seeded sample of the placed ones): (row positions, weights).

    ``fitted``: the placed rows' nearest fitted rows already found by ``placer`` (positions in ``fit_index``,
    distances), as ``place`` has them. Then only the placed reference rows are searched and the two lists
    merged: the k nearest rows of a union are among the k nearest of each part, so the result is the same
    as searching all reference rows (up to the order of rows at exactly equal distances: a fitted row comes
    first), and the fitted rows are not searched twice (at 50k rows with 20,000 fitted, 8 of the
    placement's 29 s)."""
    placed_rows = np.flatnonzero(placed)
    ref_placed = placed_rows
    if fit_index.size + placed_rows.size > max_rows:
        extra = max(0, max_rows - fit_index.size)
        ref_placed = placed_rows[sample_index(placed_rows.size, extra, seed)] if extra else placed_rows[:0]
    k = int(min(placer.k_, fit_index.size + ref_placed.size - 1))
    if fitted is None:
        fitted = placer.kneighbors_dist(X, placed_rows)
    dtype = _index_dtype(X.shape[0])
    parts = [(fit_index.astype(dtype)[fitted[0][:, :k]], fitted[1][:, :k])]
    if ref_placed.size:
        near = NeighbourPlacer(min(k + 1, ref_placed.size), placer.metric).fit(X[ref_placed])
        idx, dist = near.kneighbors_dist(X, placed_rows)
        parts.append((ref_placed.astype(dtype)[idx], dist))
    out_rows = np.empty((placed_rows.size, k), dtype=dtype)
    out_w = np.empty((placed_rows.size, k), dtype=np.float32)
    for s in range(0, placed_rows.size, BLOCK_ROWS):
        b = slice(s, s + BLOCK_ROWS)
        rows = np.concatenate([r[b] for r, _ in parts], axis=1)
        dist = np.concatenate([d[b] for _, d in parts], axis=1).astype(np.float64)
        dist[rows == placed_rows[b, None]] = np.inf  # the row itself is no neighbour of its own
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        out_rows[b] = np.take_along_axis(rows, order, axis=1)
        out_w[b] = _weights(np.take_along_axis(dist, order, axis=1))
    return out_rows, out_w


def _index_dtype(n: int) -> type:
    """int32 for positions among ``n`` rows below 2**31 (half the memory of int64), else int64."""
    return np.int32 if n < np.iinfo(np.int32).max else np.int64


def _weights(dist: np.ndarray) -> np.ndarray:
    """Inverse-distance weights per row, summing to 1; a zero distance takes all the weight (float64
    arithmetic ``BLOCK_ROWS`` rows at a time, float32 out)."""
    out = np.empty(dist.shape, dtype=np.float32)
    for s in range(0, dist.shape[0], BLOCK_ROWS):
        d = np.asarray(dist[s:s + BLOCK_ROWS], dtype=np.float64)
        zero = d <= 1e-12
        w = np.where(zero.any(axis=1, keepdims=True), zero.astype(np.float64), 1.0 / np.maximum(d, 1e-12))
        out[s:s + BLOCK_ROWS] = w / w.sum(axis=1, keepdims=True)
    return out
