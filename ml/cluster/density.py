"""Clustering: HDBSCAN on the reduced space, the join of a topic's pieces, an optional merge of near-identical
personas.

In: reduced coordinates (n, d) and, for the join and the merge, the L2-normalised text embeddings (n, 384).
Out: ``labels_`` (−1 = noise, personas numbered 0.. by decreasing size), ``n_clusters_``.

No k is given by the user. ``granularity="share"`` (default): ``min_cluster_size`` is a share of
the data size (``auto_min_cluster_size``); ``granularity="silhouette"``: it is chosen from the data
(``ml.cluster.granularity``: HDBSCAN's tree built once, condensed at a grid of sizes, the size whose
personas are most coherent in the text-embedding space wins). The persona size cap
(``max_cluster_share``) is decided from the data either way: it is dropped only when it would turn
a majority cluster into noise rather than split it (one real majority topic), so a collapse of
several groups into one persona is still prevented; where it was needed, it is halved while a slice of
the collapse still holds more than half of it and splits the same way (``_cap_labels``).
Then, when the size was chosen by a rule and the cap was not needed, the same tree is read at half
that size (``rescue_ratio``) and its clusters that lie in the noise become personas too
(``ml.cluster.granularity.rescue_from_noise``): a dense topic smaller than ``min_cluster_size`` is
kept instead of being spread over its neighbours by the noise step, while the finer pieces inside
existing personas are left alone. Measured on five labelled sets in docs/ablations.md
("Granularity"): share + rescue meets the issue-12 targets on Banking77, GoogleNews-TS and Tweet on
every seed and leaves TWCS and airline unchanged; the silhouette choice wins on the short-text sets
and loses on Banking77, so it stays an option. Last, clusters that are pieces of one topic are joined
where the members' silhouette peaks (``join``, ``ml.cluster.join``): a data set of a few large topics
is otherwise cut into their dense sub-groups (docs/ablations.md, "Few large topics"). The optional merge
step joins clusters whose centroids in embedding space are closer than ``merge_threshold``
(cosine distance, average linkage over centroids); measured not to help, so it is off.
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from ml.cluster.granularity import (
    Candidate,
    candidate_sizes,
    coherence,
    labels_from_tree,
    rescue_from_noise,
    select_min_cluster_size,
    with_noise_assigned,
)
from ml.cluster.join import SilhouetteJoin, centroid_tree, promote_separated
from ml.params import keep_params
from ml.runtime.gcfreeze import after_import

#: the share rule's least ``min_cluster_size``, and the least a small dump's twentieth goes down to
FLOOR, SMALLEST_FLOOR = 10, 5
#: the smallest group the noise rescue makes a persona of: a small dump's floor (so there the rescue adds nothing
#: below it; a persona of two or three texts is no segment)
RESCUE_SMALLEST = SMALLEST_FLOOR


def small_dump_floor(n: int) -> int:
    """The share rule's least ``min_cluster_size`` for ``n`` members: 10, or a twentieth of a dump under 200
    members, never below 5. A floor of 10 in 100 texts allows ten personas at most and merged groups of 10-20
    texts; a twentieth keeps a persona at 5% of a small dump at least (docs/ablations.md, "Small dumps")."""
    return int(min(FLOOR, max(SMALLEST_FLOOR, round(n / 20))))


def auto_min_cluster_size(n: int, share: float = 0.005, floor: int | None = None, ceiling: int = 500) -> int:
    """``share`` of n within [floor, ceiling] (``floor`` None: ``small_dump_floor(n)``)."""
    floor = small_dump_floor(n) if floor is None else floor
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
    from scipy.cluster.hierarchy import fcluster

    labels = np.asarray(labels).copy()
    ids = np.unique(labels[labels >= 0])
    if ids.size < 2 or threshold <= 0:
        return labels
    ids, tree = centroid_tree(labels, vectors, ids)
    groups = fcluster(tree, t=threshold, criterion="distance")
    lookup = dict(zip(ids.tolist(), groups.tolist()))
    return np.array([lookup.get(int(x), 0) - 1 if x >= 0 else -1 for x in labels], dtype=np.int64)


class PersonaClusterer(BaseEstimator, ClusterMixin):
    """HDBSCAN (the ``hdbscan`` package: faster here, and can predict new points), the join, an optional merge.

    Parameters
    ----------
    min_cluster_size: an int fixes it; None → chosen by ``granularity``.
    min_cluster_share: ``granularity="share"``: ``auto_min_cluster_size(n, min_cluster_share)``.
    largest_min_cluster_size: ``granularity="share"``: the size the share rule never exceeds, in fitted
        members. Without it a dump of several topic families gets coarser personas the more it holds
        (docs/ablations.md, "A largest size"). 80 binds from about 16,100 fitted members; below, the share
        alone decides. A run above 1.5 × ``reduce.fit_sample_size`` fits a sample, so there the bound counts sampled
        members and acts as a share of the sample (80 of 20,000 = 0.4 %), not as a number of real members.
    min_samples: HDBSCAN's density smoothing.
    cluster_selection_method: ``eom`` or ``leaf``.
    cluster_selection_epsilon: HDBSCAN's epsilon.
    merge_threshold: cosine distance between embedding-space centroids below which clusters are
        merged; 0 disables the merge.
    max_cluster_share: HDBSCAN may not select a cluster holding more than this share of the data
        (its ``max_cluster_size``); 1 disables. Without it, excess-of-mass selection collapses loosely
        structured data (support tweets) into one persona. The cap is dropped when it would turn
        most of the over-cap cluster into noise instead of splitting it: under
        ``cap_min_split_share`` of its members in smaller clusters (one real majority topic).
    granularity: ``share`` or ``silhouette`` (see the module docstring).
    smallest_cluster_size, largest_cluster_share: ``silhouette``: the range of sizes tried.
    selection_tolerance: ``silhouette``: standard errors within which the larger size wins.
    selection_sample: members scored per candidate (one fixed sample, ``random_state``).
    min_cluster_floor: the share rule's least size; None: ``small_dump_floor`` (10, or a twentieth of a dump
        under 200 members, at least 5); 10: the rule before 2026-12-06.
    rescue_ratio: when the size was chosen by a rule (not given) and the cap was not needed, the
        clusters of the same tree at ``rescue_ratio``·min_cluster_size that lie in the noise become
        personas too (``ml.cluster.granularity.rescue_from_noise``); 0 disables (the former default).
    join: ``silhouette``: when the size was chosen by a rule (not given) and the size cap was not needed,
        clusters that are pieces of one topic are joined where the members' silhouette in the text-embedding
        space peaks, if that silhouette is at least ``join_floor`` (``ml.cluster.join.SilhouetteJoin``, on
        ``selection_sample`` members); ``off``: not (the former default). Runs before the merge.

    Attributes: ``labels_``, ``n_clusters_``, ``min_cluster_size_`` (the value used),
    ``granularity_`` (how size and cap were chosen: rule, candidates with their scores, the reason),
    ``n_clusters_before_merge_``, ``hdbscan_`` (the fitted model; its ``single_linkage_tree_`` is what
    ``ml.cluster.subpersonas.SubPersonas`` reads), ``max_cluster_size_`` (the size cap used, 0: none),
    ``probabilities_`` (HDBSCAN's membership strengths: 0 for noise and for rescued members), ``join_`` (the
    fitted ``SilhouetteJoin``, None when it did not run). ``n_clusters_before_merge_`` counts after the join.
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
        cap_min_split_share: float = 0.25,
        granularity: str = "share",
        smallest_cluster_size: int = 5,
        largest_cluster_share: float = 0.02,
        selection_tolerance: float = 1.0,
        selection_sample: int = 3000,
        rescue_ratio: float = 0.5,
        largest_min_cluster_size: int = 80,
        min_cluster_floor: int | None = None,
        join: str = "silhouette",
        join_floor: float = 0.25,
        promote_ratio: float = 0.0,
        promote_gain: float = 0.0,
        random_state: int = 0,
    ):
        keep_params(self, locals())

    def _hdbscan(self, X: np.ndarray, min_cluster_size: int, max_size: int):
        first = "hdbscan" not in sys.modules
        import hdbscan

        if first:
            after_import()

        n = X.shape[0]
        ms = None if self.min_samples is None else int(max(1, min(self.min_samples, n - 1)))
        return hdbscan.HDBSCAN(
            min_cluster_size=int(max(2, min(min_cluster_size, n))),
            min_samples=ms,
            cluster_selection_method=self.cluster_selection_method,
            cluster_selection_epsilon=float(self.cluster_selection_epsilon),
            max_cluster_size=max_size,
            core_dist_n_jobs=-1,
        ).fit(X)

    def _scorer(self, X: np.ndarray, embeddings: np.ndarray | None):
        """Members' silhouettes (noise given to the nearest centroid) on one fixed sample."""
        from sklearn.metrics import pairwise_distances

        n = X.shape[0]
        vectors, metric = (X, "euclidean") if embeddings is None else (np.asarray(embeddings), "cosine")
        sample = np.sort(np.random.default_rng(self.random_state).choice(
            n, size=min(n, self.selection_sample), replace=False))
        distances = pairwise_distances(vectors[sample], metric=metric).astype(np.float32)
        np.fill_diagonal(distances, 0.0)

        def score(labels: np.ndarray) -> np.ndarray | None:
            if np.unique(labels[labels >= 0]).size < 2:
                return None
            return coherence(distances, with_noise_assigned(X, labels, sample))

        return score

    def _cap_labels(self, tree: np.ndarray, size: int, cap: int) -> tuple[np.ndarray, int]:
        """Labels at ``size`` and the size cap they were selected under (0: none).

        The cap is kept when it splits the over-cap cluster into smaller clusters that hold at least
        ``cap_min_split_share`` of its members; when most of them would only become noise (one
        homogeneous majority topic, not a collapse of several), the uncapped labels are kept. A kept cap
        means the data collapsed into one blob that the cap cut into slices, and a slice can be nearly as
        large as the cap (45 % of the airline tweets on one seed, a blob of forty topics): so the same test
        runs again at half the cap, and again, while a cluster is above the halved cap and the halved cap is
        more than twice ``size``."""
        method, eps = self.cluster_selection_method, self.cluster_selection_epsilon
        labels, used = labels_from_tree(tree, size, method, eps, 0), 0
        while cap:
            ids, counts = np.unique(labels[labels >= 0], return_counts=True)
            over = np.isin(labels, ids[counts > cap])
            if not over.any():
                break
            capped = labels_from_tree(tree, size, method, eps, cap)
            if float((capped[over] >= 0).mean()) < self.cap_min_split_share:
                break
            labels, used = capped, cap
            cap = cap // 2 if cap // 2 > 2 * size else 0
        return labels, used

    def _choose(self, X: np.ndarray, embeddings: np.ndarray | None, size: int | None, cap: int) -> tuple[int, int]:
        """Choose the cap (and, when ``size`` is None, the size); record why in ``granularity_``."""
        n = X.shape[0]
        sizes = [size] if size else candidate_sizes(n, self.smallest_cluster_size, self.largest_cluster_share)
        shared = self.min_samples is not None  # with min_samples = size the tree changes with the size
        tree = self._hdbscan(X, sizes[0], 0).single_linkage_tree_.to_numpy() if shared else None
        score = self._scorer(X, embeddings) if size is None else None
        found, values = [], []
        for s in sizes:
            own = tree if shared else self._hdbscan(X, s, 0).single_linkage_tree_.to_numpy()
            labels, used = self._cap_labels(own, s, cap)
            values.append(score(labels) if score else None)
            mean = None if values[-1] is None else float(values[-1].mean())
            found.append(Candidate(s, bool(used), int(np.unique(labels[labels >= 0]).size),
                                   float((labels < 0).mean()), mean, cap=used or None))
        if size is None:
            best, found, why = select_min_cluster_size(found, values, float(self.selection_tolerance))
        else:
            best, why = found[0], self.granularity_["why"]
        used = best.cap or 0
        if used and used < cap:
            why += f"; size cap halved to {used} members (a slice of the collapse held more than half of it)"
        self.granularity_.update(space="embedding" if embeddings is not None else "reduced",
                                 chosen=best.min_cluster_size, capped=best.capped, cap=used or None, why=why,
                                 candidates=[c.to_dict() for c in found])  # the rule (and bound) as fit set them
        return best.min_cluster_size, used

    def expected_min_cluster_size(self, n: int) -> int:
        """The smallest cluster ``fit`` would keep among ``n`` fitted rows before reading the data: the fixed
        ``min_cluster_size``, else the share rule's size (also the estimate for ``granularity="silhouette"``)."""
        if self.min_cluster_size is not None:
            return int(self.min_cluster_size)
        return self._share_size(n)[0]

    def _share_size(self, n: int) -> tuple[int, int, int]:
        """The share rule for ``n`` members: ``(size, the share's size before largest_min_cluster_size, floor)``; the
        floor is ``min_cluster_floor``, else ``small_dump_floor(n)``."""
        floor = int(self.min_cluster_floor) if self.min_cluster_floor is not None else small_dump_floor(n)
        share_size = auto_min_cluster_size(n, self.min_cluster_share, floor, ceiling=max(n, 1))
        return min(share_size, self.largest_min_cluster_size), share_size, floor

    def fit(self, X: np.ndarray, y=None, embeddings: np.ndarray | None = None):
        if self.join not in ("silhouette", "off"):
            raise ValueError(f"join must be 'silhouette' or 'off', got {self.join!r}")
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        cap = int(self.max_cluster_share * n) if self.max_cluster_share < 1 else 0
        size, self.granularity_ = None, {"rule": "silhouette"}
        if self.min_cluster_size is not None:
            size = int(self.min_cluster_size)
            self.granularity_ = {"rule": "fixed", "why": "min_cluster_size set in the config"}
        elif self.granularity == "share":
            size, share_size, floor = self._share_size(n)
            bounded = size < share_size
            bound = f", at most {size}" if bounded else ""
            self.granularity_ = {"rule": "share", "bounded": bounded, "floor": floor,
                                 "why": f"{self.min_cluster_share} of {n} members (floor {floor}{bound})"}
        elif self.granularity != "silhouette":
            raise ValueError(f"granularity must be 'share' or 'silhouette', got {self.granularity!r}")
        if size is None or cap:
            size, cap = self._choose(X, embeddings, size and int(max(2, min(size, n))), cap)
        else:
            self.granularity_.update(chosen=size, capped=False, candidates=[])
        self.min_cluster_size_ = int(max(2, min(size, n)))
        self.hdbscan_ = self._hdbscan(X, self.min_cluster_size_, cap)
        if cap and (self.hdbscan_.labels_ < 0).all():  # not expected (the tree's reading found clusters)
            self.hdbscan_, cap = self._hdbscan(X, self.min_cluster_size_, 0), 0
            self.granularity_.update(capped=False, cap=None)
        self.max_cluster_size_ = int(cap)
        labels = self._rescue(self.hdbscan_.labels_.astype(np.int64), bool(cap))
        self.probabilities_ = self.hdbscan_.probabilities_
        labels = self._join_pieces(labels, embeddings)
        labels = self._promote(labels, embeddings)
        self.n_clusters_before_merge_ = int(np.unique(labels[labels >= 0]).size)
        if self.merge_threshold and embeddings is not None:
            labels = merge_close_clusters(labels, embeddings, self.merge_threshold)
        self.labels_ = relabel_by_size(labels)
        self.n_clusters_ = int(np.unique(self.labels_[self.labels_ >= 0]).size)
        return self

    def _rescue(self, labels: np.ndarray, capped: bool) -> np.ndarray:
        """Add the small dense clusters left in the noise (see ``rescue_ratio``); say so in ``why``."""
        if self.rescue_ratio <= 0 or self.granularity_["rule"] == "fixed":
            return labels
        if capped:  # personas are slices of one majority blob: islands in its noise are no topics
            self.granularity_["why"] += ("; the texts formed one loose mass that the size cap cut into slices, so no "
                                          "smaller groups were taken from its noise")
            return labels
        tree = self.hdbscan_.single_linkage_tree_.to_numpy()
        labels, added, size = rescue_from_noise(tree, labels, self.min_cluster_size_, float(self.rescue_ratio),
                                                self.cluster_selection_method, self.cluster_selection_epsilon,
                                                smallest=RESCUE_SMALLEST)
        self.granularity_["why"] += (f"; {added} smaller cluster{'' if added == 1 else 's'} (min_cluster_size {size}) "
                                     f"taken from the noise"
                                     if size < self.min_cluster_size_ else
                                     f"; the noise was not searched for smaller clusters (none are looked for "
                                     f"under {RESCUE_SMALLEST} members)")
        self.granularity_.update(rescued=int(added), rescue_size=int(size))
        return labels

    def _join_pieces(self, labels: np.ndarray, embeddings: np.ndarray | None) -> np.ndarray:
        """Join clusters that are pieces of one topic (see ``join``); say so in ``why``."""
        self.join_ = None
        if self.join == "off" or self.granularity_["rule"] == "fixed" or embeddings is None:
            return labels
        if self.max_cluster_size_:  # personas are slices of one majority blob, kept apart by the cap
            self.granularity_["why"] += "; the size cap's slices of one loose mass were not joined"
            return labels
        self.join_ = SilhouetteJoin(self.selection_sample, self.join_floor, self.random_state).fit(labels, embeddings)
        self.granularity_["why"] = f"{self.granularity_['why']}; {self.join_.why_}"
        if not self.join_.joined_:
            return labels
        self.granularity_.update(joined_from=self.join_.n_before_, joined_into=self.join_.n_after_)
        return self.join_.transform(labels)

    def _promote(self, labels: np.ndarray, embeddings: np.ndarray | None) -> np.ndarray:
        """Dense groups inside a persona that the silhouette separates become personas (``promote_ratio``)."""
        if (self.promote_ratio <= 0 or self.granularity_["rule"] == "fixed" or embeddings is None
                or self.max_cluster_size_):
            return labels
        labels, added, size, score = promote_separated(
            self.hdbscan_.single_linkage_tree_.to_numpy(), labels, embeddings, self.min_cluster_size_,
            float(self.promote_ratio), float(self.join_floor), float(self.promote_gain), self.selection_sample,
            self.random_state, self.cluster_selection_method, self.cluster_selection_epsilon)
        self.granularity_.update(promoted=int(added), promote_size=int(size), promote_silhouette=score)
        if added:
            many = "" if added == 1 else "s"
            self.granularity_["why"] += (f"; {added} dense group{many} inside personas (min_cluster_size {size}) made "
                                         f"persona{many}")
        return labels

    def fit_predict(self, X, y=None, embeddings=None, **_):
        return self.fit(X, embeddings=embeddings).labels_

    @property
    def noise_share_(self) -> float:
        check_is_fitted(self, "labels_")
        return float((self.labels_ < 0).mean()) if self.labels_.size else 0.0
