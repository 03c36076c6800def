"""Noise reassignment: every HDBSCAN noise point joins the nearest persona centroid, flagged.

In: cluster labels (−1 = noise) and the vectors of the space to measure in (by default the
L2-normalised text embeddings, compared by cosine). Out: labels without −1, a ``reassigned``
flag per member and each member's distance to its persona centroid.

The fitted centroids are also the persona model's assignment rule for new conversations
(``predict``), so new members are placed exactly as noise was.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted


def _normalize(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


class NoiseReassigner(BaseEstimator):
    """Nearest-centroid reassignment of noise.

    Parameters
    ----------
    metric: ``cosine`` (centroids re-normalised; distance = 1 − cos) or ``euclidean``.
    noise_quantile: for ``predict``: a new point farther from its centroid than this quantile of
        the centroid's core members' distances "would have been noise".

    Attributes: ``persona_ids_`` (sorted cluster ids), ``centroids_`` (one row each),
    ``radius_`` (per persona, the noise_quantile of core distances).
    """

    def __init__(self, metric: str = "cosine", noise_quantile: float = 0.95):
        self.metric = metric
        self.noise_quantile = noise_quantile

    def fit(self, vectors: np.ndarray, labels: np.ndarray):
        V = np.asarray(vectors, dtype=np.float64)
        labels = np.asarray(labels)
        ids = np.unique(labels[labels >= 0])
        if ids.size == 0:
            raise ValueError("no clusters to reassign noise to (every point is noise)")
        if self.metric not in {"cosine", "euclidean"}:
            raise ValueError(f"metric must be 'cosine' or 'euclidean', got {self.metric!r}")
        cents = np.vstack([V[labels == c].mean(axis=0) for c in ids])
        self.persona_ids_ = ids
        self.centroids_ = _normalize(cents) if self.metric == "cosine" else cents
        core = labels >= 0
        d_core = self._distances(V[core])[np.arange(core.sum()), np.searchsorted(ids, labels[core])]
        self.radius_ = np.array(
            [np.quantile(d_core[labels[core] == c], self.noise_quantile) for c in ids], dtype=np.float64
        )
        return self

    def _distances(self, V: np.ndarray) -> np.ndarray:
        if self.metric == "cosine":
            return 1.0 - _normalize(V) @ self.centroids_.T
        sq = (V**2).sum(1)[:, None] - 2 * V @ self.centroids_.T + (self.centroids_**2).sum(1)[None, :]
        return np.sqrt(np.maximum(sq, 0.0))

    def predict(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest persona id, distance to it, and whether it lies beyond the persona's radius."""
        check_is_fitted(self, "centroids_")
        D = self._distances(np.asarray(vectors, dtype=np.float64))
        best = D.argmin(axis=1)
        dist = D[np.arange(D.shape[0]), best]
        return self.persona_ids_[best], dist, dist > self.radius_[best]

    def reassign(self, vectors: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Labels with noise replaced, the reassigned flag, and every member's centroid distance."""
        check_is_fitted(self, "centroids_")
        labels = np.asarray(labels).copy()
        noise = labels < 0
        D = self._distances(np.asarray(vectors, dtype=np.float64))
        nearest = self.persona_ids_[D.argmin(axis=1)]
        labels[noise] = nearest[noise]
        dist = D[np.arange(D.shape[0]), np.searchsorted(self.persona_ids_, labels)]
        return labels, noise, dist
