"""Clustering: HDBSCAN on the reduced space, then an optional merge of near-identical personas.

In: reduced coordinates (n, d) and, for the merge, the L2-normalised text embeddings (n, 384).
Out: ``labels_`` (−1 = noise, personas numbered 0.. by decreasing size), ``n_clusters_``.

No k is given by the user: ``min_cluster_size`` defaults to a share of the data size
(``auto_min_cluster_size``). HDBSCAN tends to split one intent into several dense pieces when the
data are large; the merge step joins clusters whose centroids in embedding space are closer than
``merge_threshold`` (cosine distance, average linkage over centroids), which is what brings the
persona count toward the number of real segments (measured in docs/ablations.md).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted


def auto_min_cluster_size(n: int, share: float = 0.005, floor: int = 10, ceiling: int = 500) -> int:
    """Default HDBSCAN min_cluster_size for n members: ``share`` of n, within [floor, ceiling]."""
    return int(min(ceiling, max(floor, round(n * share))))


def relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0..k-1 by decreasing size (ties by old id); −1 stays −1."""
    labels = np.asarray(labels)
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    order = ids[np.lexsort((ids, -counts))]
    mapping = {int(old): new for new, old in enumerate(order)}
    return np.array([mapping.get(int(x), -1) for x in labels], dtype=np.int64)


def merge_close_clusters(labels: np.ndarray, vectors: np.ndarray, threshold: float) -> np.ndarray:
    """Join clusters whose centroids are within ``threshold`` cosine distance (average linkage)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    labels = np.asarray(labels).copy()
    ids = np.unique(labels[labels >= 0])
    if ids.size < 2 or threshold <= 0:
        return labels
    V = np.asarray(vectors, dtype=np.float64)
    cents = np.vstack([V[labels == c].mean(axis=0) for c in ids])
    cents /= np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
    groups = fcluster(linkage(pdist(cents, metric="cosine"), method="average"), t=threshold, criterion="distance")
    lookup = dict(zip(ids.tolist(), groups.tolist()))
    return np.array([lookup.get(int(x), 0) - 1 if x >= 0 else -1 for x in labels], dtype=np.int64)


class PersonaClusterer(BaseEstimator, ClusterMixin):
    """HDBSCAN (the ``hdbscan`` package: faster here, and can predict new points) plus a merge.

    Parameters
    ----------
    min_cluster_size: None → ``auto_min_cluster_size(n, min_cluster_share)``.
    min_samples: HDBSCAN's density smoothing.
    cluster_selection_method: ``eom`` or ``leaf``.
    cluster_selection_epsilon: HDBSCAN's epsilon.
    merge_threshold: cosine distance between embedding-space centroids below which clusters are
        merged; 0 disables the merge.
    max_cluster_share: HDBSCAN may not select a cluster holding more than this share of the data
        (its ``max_cluster_size``); 1 disables. Without it, excess-of-mass selection collapses loosely
        structured data (support tweets) into one persona: on the bundled TWCS sample 2 personas,
        the largest 99%; capped at 0.5: 20 personas, the largest 10%. When the cap leaves no
        cluster at all, the uncapped result is kept.

    Attributes: ``labels_``, ``n_clusters_``, ``min_cluster_size_`` (the value used),
    ``n_clusters_before_merge_``, ``hdbscan_`` (the fitted model, for DBCV), ``probabilities_``.
    """

    def __init__(
        self,
        min_cluster_size: int | None = None,
        min_cluster_share: float = 0.005,
        min_samples: int | None = 5,
        cluster_selection_method: str = "eom",
        cluster_selection_epsilon: float = 0.0,
        merge_threshold: float = 0.0,
        max_cluster_share: float = 0.5,
    ):
        self.min_cluster_size = min_cluster_size
        self.min_cluster_share = min_cluster_share
        self.min_samples = min_samples
        self.cluster_selection_method = cluster_selection_method
        self.cluster_selection_epsilon = cluster_selection_epsilon
        self.merge_threshold = merge_threshold
        self.max_cluster_share = max_cluster_share

    def fit(self, X: np.ndarray, y=None, embeddings: np.ndarray | None = None):
        import hdbscan

        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        mcs = self.min_cluster_size or auto_min_cluster_size(n, self.min_cluster_share)
        self.min_cluster_size_ = int(max(2, min(mcs, n)))
        ms = None if self.min_samples is None else int(max(1, min(self.min_samples, n - 1)))
        def fit_hdbscan(max_size: int):
            return hdbscan.HDBSCAN(
                min_cluster_size=self.min_cluster_size_,
                min_samples=ms,
                cluster_selection_method=self.cluster_selection_method,
                cluster_selection_epsilon=float(self.cluster_selection_epsilon),
                max_cluster_size=max_size,
                core_dist_n_jobs=-1,
            ).fit(X)

        cap = int(self.max_cluster_share * n) if self.max_cluster_share < 1 else 0
        self.hdbscan_ = fit_hdbscan(cap)
        if cap and (self.hdbscan_.labels_ < 0).all():
            self.hdbscan_ = fit_hdbscan(0)
        labels = self.hdbscan_.labels_.astype(np.int64)
        self.probabilities_ = self.hdbscan_.probabilities_
        self.n_clusters_before_merge_ = int(np.unique(labels[labels >= 0]).size)
        if self.merge_threshold and embeddings is not None:
            labels = merge_close_clusters(labels, embeddings, self.merge_threshold)
        self.labels_ = relabel_by_size(labels)
        self.n_clusters_ = int(np.unique(self.labels_[self.labels_ >= 0]).size)
        return self

    def fit_predict(self, X, y=None, embeddings=None, **_):
        return self.fit(X, embeddings=embeddings).labels_

    @property
    def noise_share_(self) -> float:
        check_is_fitted(self, "labels_")
        return float((self.labels_ < 0).mean()) if self.labels_.size else 0.0
