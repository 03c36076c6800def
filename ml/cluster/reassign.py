"""Noise reassignment: every HDBSCAN noise point joins the nearest persona centroid, flagged.

In: cluster labels (−1 = noise) and the vectors of the space to measure in (by default the
L2-normalised text embeddings, compared by cosine). Out: labels without −1, a ``reassigned``
flag per member and each member's distance to its persona centroid.

The fitted centroids are also the persona model's assignment rule for new conversations
(``predict``), so new members are placed exactly as noise was.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted


def _separating_ratio(core: np.ndarray, noise: np.ndarray) -> float:
    """The cut-off t maximising (share of `noise` > t) − (share of `core` > t) (Youden's J)."""
    cuts = np.unique(np.concatenate([core, noise]))
    core_s, noise_s = np.sort(core), np.sort(noise)
    beyond_core = 1.0 - np.searchsorted(core_s, cuts, side="right") / core_s.size
    beyond_noise = 1.0 - np.searchsorted(noise_s, cuts, side="right") / noise_s.size
    return float(cuts[int(np.argmax(beyond_noise - beyond_core))])


def _normalize(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


CHUNK_ROWS = 16384  # rows converted to float64 at a time (a block and its normalised copy: ~160 MB at 420-d);
# a whole (n, 420) copy was 1 GB per 300k rows


def class_means(V: np.ndarray, labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Mean row of ``V`` per id in ``ids`` (sorted; every label ≥ 0 is one of them, −1 rows are left out),
    in float64, ``CHUNK_ROWS`` rows at a time: no float64 copy of all of ``V``."""
    sums, counts = np.zeros((ids.size, V.shape[1])), np.zeros(ids.size)
    for start in range(0, V.shape[0], CHUNK_ROWS):
        lab = labels[start : start + CHUNK_ROWS]
        rows = np.flatnonzero(lab >= 0)
        pos = np.searchsorted(ids, lab[rows])
        onehot = sp.csr_matrix((np.ones(rows.size), (pos, rows)), shape=(ids.size, lab.size))
        sums += onehot @ np.asarray(V[start : start + CHUNK_ROWS], dtype=np.float64)
        counts += np.bincount(pos, minlength=ids.size)
    return sums / counts[:, None]


class NoiseReassigner(BaseEstimator):
    """Nearest-centroid reassignment of noise, and the "would have been noise" rule for new points.

    Parameters
    ----------
    metric: ``cosine`` (centroids re-normalised; distance = 1 − cos) or ``euclidean``.
    noise_quantile: fallback radius when the fit sees fewer than ``min_noise`` noise points: a new
        point farther from its centroid than this quantile of the persona's core distances.
    min_noise: noise points needed to calibrate the radius on them.

    Calibration (``fit`` with noise): every distance is divided by its persona's median core
    distance; the ratio ``noise_ratio_`` that best separates the run's noise points from its core
    members (Youden's J: share of noise beyond it minus share of core beyond it, maximal) gives
    each persona's radius = ``noise_ratio_`` × its median core distance.

    Attributes: ``persona_ids_`` (sorted cluster ids), ``centroids_`` (one row each), ``radius_``
    (per persona), ``noise_ratio_`` (None when the quantile fallback was used) and ``calibration_``
    (shares of the fit's core and noise points beyond the radius).
    """

    def __init__(self, metric: str = "cosine", noise_quantile: float = 0.95, min_noise: int = 10):
        self.metric = metric
        self.noise_quantile = noise_quantile
        self.min_noise = min_noise

    def fit(self, vectors: np.ndarray, labels: np.ndarray, reassigned: np.ndarray | None = None):
        """Centroids of the clusters (labels ≥ 0) and the noise radius. Noise is ``labels == -1``, or,
        when ``labels`` are final (no −1), the members flagged in ``reassigned``."""
        V = np.asarray(vectors)  # float32 stays float32: blocks are converted as they are read
        labels = np.asarray(labels)
        ids = np.unique(labels[labels >= 0])
        if ids.size == 0:
            raise ValueError("no clusters to reassign noise to (every point is noise)")
        if self.metric not in {"cosine", "euclidean"}:
            raise ValueError(f"metric must be 'cosine' or 'euclidean', got {self.metric!r}")
        cents = class_means(V, labels, ids)
        self.persona_ids_ = ids
        self.centroids_ = _normalize(cents) if self.metric == "cosine" else cents
        noise = labels < 0 if reassigned is None else np.asarray(reassigned, dtype=bool) & (labels >= 0)
        core = (labels >= 0) & ~noise
        D = self._distances(V)
        d_core = D[core, np.searchsorted(ids, labels[core])]
        owner = np.where(labels >= 0, np.searchsorted(ids, np.clip(labels, ids[0], None)), D.argmin(axis=1))
        d_noise, noise_owner = D[noise, owner[noise]], owner[noise]
        core_owner = np.searchsorted(ids, labels[core])
        scale = np.array([np.median(d_core[core_owner == k]) if (core_owner == k).any() else np.nan
                          for k in range(ids.size)])
        self.radius_ = np.array([np.quantile(d_core[core_owner == k], self.noise_quantile)
                                 if (core_owner == k).any() else np.inf for k in range(ids.size)])
        self.noise_ratio_ = None
        if noise.sum() >= self.min_noise and np.isfinite(scale).all() and (scale > 0).all():
            self.noise_ratio_ = _separating_ratio(d_core / scale[core_owner], d_noise / scale[noise_owner])
            self.radius_ = self.noise_ratio_ * scale
        self.calibration_ = {
            "core_flagged": float(np.mean(d_core > self.radius_[core_owner])) if d_core.size else None,
            "noise_flagged": float(np.mean(d_noise > self.radius_[noise_owner])) if d_noise.size else None,
            "noise_ratio": self.noise_ratio_, "n_core": int(d_core.size), "n_noise": int(d_noise.size),
        }
        return self

    def _distances(self, V: np.ndarray) -> np.ndarray:
        """(n, n_personas) distances, ``CHUNK_ROWS`` rows of ``V`` at a time in float64."""
        out = np.empty((V.shape[0], self.centroids_.shape[0]))
        for start in range(0, V.shape[0], CHUNK_ROWS):
            out[start : start + CHUNK_ROWS] = self._block_distances(
                np.asarray(V[start : start + CHUNK_ROWS], dtype=np.float64))
        return out

    def _block_distances(self, V: np.ndarray) -> np.ndarray:
        if self.metric == "cosine":
            return 1.0 - _normalize(V) @ self.centroids_.T
        sq = (V**2).sum(1)[:, None] - 2 * V @ self.centroids_.T + (self.centroids_**2).sum(1)[None, :]
        return np.sqrt(np.maximum(sq, 0.0))

    def predict(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest persona id, distance to it, and whether it lies beyond the persona's radius."""
        check_is_fitted(self, "centroids_")
        D = self._distances(np.asarray(vectors))
        best = D.argmin(axis=1)
        dist = D[np.arange(D.shape[0]), best]
        return self.persona_ids_[best], dist, dist > self.radius_[best]

    def reassign(self, vectors: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Labels with noise replaced, the reassigned flag, and every member's centroid distance."""
        check_is_fitted(self, "centroids_")
        labels = np.asarray(labels).copy()
        noise = labels < 0
        D = self._distances(np.asarray(vectors))
        nearest = self.persona_ids_[D.argmin(axis=1)]
        labels[noise] = nearest[noise]
        dist = D[np.arange(D.shape[0]), np.searchsorted(self.persona_ids_, labels)]
        return labels, noise, dist


def placed_counts(reassigner: NoiseReassigner, vectors: np.ndarray) -> dict[int, int]:
    """Persona id → how many of ``vectors`` (the run's own members) ``reassigner.predict`` places there, ``CHUNK_ROWS``
    rows at a time: the run as its saved model would assign it, which is what fresh data placed by that model is
    compared with (``ml.lineage.novelty``: against the fitted shares, a run's own texts read PSI 0.039; 31 % of its
    members go to another persona than the fit gave them)."""
    counts = np.zeros(len(reassigner.persona_ids_), dtype=np.int64)
    for start in range(0, len(vectors), CHUNK_ROWS):
        D = reassigner._block_distances(np.asarray(vectors[start : start + CHUNK_ROWS], dtype=np.float64))
        counts += np.bincount(D.argmin(axis=1), minlength=len(counts))
    return {int(p): int(c) for p, c in zip(reassigner.persona_ids_, counts, strict=True)}


def core_confidence(persona_id: np.ndarray, distance: np.ndarray, reassigned: np.ndarray) -> np.ndarray:
    """Each member's confidence in 0..1: the share of its persona's core (not reassigned) members that
    lie as far from the persona centroid as it does, or farther. 1 = as near as the nearest core member (ties
    included: an events review saw typical users at distance 0, beside many others at 0, read 0.787), 0.5 = as
    near as the median core member, 0 = beyond every core member (most reassigned noise)."""
    persona_id = np.asarray(persona_id)
    distance = np.asarray(distance, dtype=np.float64)
    core = ~np.asarray(reassigned, dtype=bool)
    out = np.zeros(distance.size, dtype=np.float64)
    for pid in np.unique(persona_id):
        mine = persona_id == pid
        ref = np.sort(distance[mine & core])
        if ref.size:
            out[mine] = 1.0 - np.searchsorted(ref, distance[mine], side="left") / ref.size
    return out
