"""Joining clusters that are pieces of one topic: the cut of the cluster-centroid tree where the members'
silhouettes in the text-embedding space peak.

``SilhouetteJoin(sample=3000, floor=0.25, random_state=0).fit(labels, embeddings)``

- in: ``labels`` (n,) cluster id per member, −1 = noise (left as it is); ``embeddings`` (n, d) L2-normalised
  text embeddings of the same members;
- learned: ``mapping_`` ({old id: new id}; ids of joined clusters map to one of them), ``n_before_`` /
  ``n_after_``, ``silhouettes_`` ({clusters in the cut: mean silhouette of the sampled members}),
  ``silhouette_before_`` / ``silhouette_after_``, ``joined_`` (whether a cut was applied) and ``why_``;
- ``transform(labels)`` renames the ids (−1 stays −1).

Why: density clustering at a size that is a share of the data (``ml.cluster.density``) cuts a data set of a
few large topics into their dense sub-groups: 839 Banking77 queries of 5 intents became 14–15 personas,
2,900 GoogleNews-TS texts of 10 stories 22–25 (docs/ablations.md, "Few large topics"). The sub-groups are real
in the embedding space, but a topic's pieces sit closer to each other than to other topics, so joining
them raises the members' silhouette, while joining two different topics lowers it.

Rule: average linkage (cosine) over the clusters' mean embeddings, every cut from 2 clusters up to all of
them scored by the mean silhouette (cosine distance) of one seeded sample of non-noise members (a cut in
which fewer than two groups hold sampled members is not scored); the best cut
(ties: the one with more clusters) is applied when it has fewer clusters than now and its silhouette is at
least ``floor``. 0.25 is Kaufman & Rousseeuw's line below which a silhouette shows "no substantial
structure" (Finding Groups in Data, 1990): there the silhouette cannot tell pieces of a topic from
neighbouring topics (Banking77's 77 intents: 0.21; support tweets: under 0.1) and the clusters are kept.

``promote_separated`` is the inverse, for long-tailed data, and off by default (``cluster.promote_ratio``): small
dense groups inside a persona become personas where that raises the silhouette. It wins on the long-tailed and
short-text sets and loses on few-topic Banking77 subsets (docs/ablations.md, "Long-tailed data").
"""

from __future__ import annotations

import numpy as np


def centroid_tree(labels: np.ndarray, vectors: np.ndarray, ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The clusters' ids (sorted, −1 left out; ``ids`` when the caller has them) and the average-linkage tree
    (scipy's linkage matrix, cosine distance) over their L2-normalised mean vectors."""
    from scipy.cluster.hierarchy import linkage

    from ml.cluster.reassign import class_means

    ids = np.unique(labels[labels >= 0]) if ids is None else ids
    cents = class_means(np.asarray(vectors), labels, ids)
    cents /= np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
    return ids, linkage(cents, method="average", metric="cosine")


def _silhouette(to_group: np.ndarray, size: np.ndarray, mine: np.ndarray) -> float | None:
    """Mean silhouette from each member's summed distance to each group (m, k), the group sizes (k,) and each
    member's group (m,), as scikit-learn's (a member alone in its group scores 0); groups of size 0 are
    ignored; None when fewer than two groups hold members (scikit-learn raises there)."""
    if int((size > 0).sum()) < 2:
        return None
    rows = np.arange(mine.size)
    a = to_group[rows, mine] / np.maximum(size[mine] - 1, 1)
    mean_other = np.where(size > 0, to_group / np.maximum(size, 1), np.inf)
    mean_other[rows, mine] = np.inf
    b = mean_other.min(axis=1)
    s = np.where(size[mine] > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(s.mean())


def sample_sums(labels: np.ndarray, X: np.ndarray, ids: np.ndarray, sample: int, random_state: int):
    """One seeded sample of clustered members (``labels`` ≥ 0): their pairwise cosine distances (m, m), their summed
    distance to each cluster's sampled members (m, p), the sampled members per cluster (p,), each one's column in
    ``ids`` (m,), and the sample's rows (m,)."""
    members = np.flatnonzero(labels >= 0)
    idx = np.sort(np.random.default_rng(random_state).choice(members, size=min(members.size, sample), replace=False))
    E = np.asarray(X)[idx].astype(np.float64)
    dist = np.clip(1.0 - E @ E.T, 0.0, None)
    np.fill_diagonal(dist, 0.0)
    own = np.searchsorted(ids, labels[idx])
    onehot = np.zeros((idx.size, ids.size))
    onehot[np.arange(idx.size), own] = 1.0
    return dist, dist @ onehot, onehot.sum(axis=0), own, idx


def scores_along(tree: np.ndarray, sums: np.ndarray, counts: np.ndarray, own: np.ndarray) -> tuple[dict, list]:
    """Mean silhouette before any merge and after each merge of the linkage ``tree`` ({clusters left: score},
    cuts that cannot be scored left out) and the merges as (kept column, joined column) pairs. ``sums`` (m, p):
    each sampled member's summed distance to the sampled members of each cluster; ``counts`` (p,): sampled
    members per cluster; ``own`` (m,): each member's cluster. Each merge adds one column into another: O(m)
    per merge plus O(m·p) for the score, instead of a matrix product per cut."""
    p = counts.size
    to_group, size, mine = sums.copy(), counts.astype(np.float64), own.copy()
    column = list(range(p))  # tree node id → the column that holds it (nodes ≥ p are earlier merges)
    scores, merges = {p: _silhouette(to_group, size, mine)}, []
    for step, (left, right) in enumerate(tree[:, :2].astype(int)):
        keep, gone = column[left], column[right]
        to_group[:, keep] += to_group[:, gone]
        to_group[:, gone] = 0.0
        size[keep], size[gone] = size[keep] + size[gone], 0.0
        mine[mine == gone] = keep
        column.append(keep)
        merges.append((keep, gone))
        if p - step - 1 >= 2:
            scores[p - step - 1] = _silhouette(to_group, size, mine)
    return {k: v for k, v in scores.items() if v is not None}, merges


class SilhouetteJoin:
    """Join clusters along the centroid tree where the silhouette peaks; see the module docstring."""

    def __init__(self, sample: int = 3000, floor: float = 0.25, random_state: int = 0):
        self.sample = sample
        self.floor = floor
        self.random_state = random_state

    def _keep(self, ids: np.ndarray, why: str) -> SilhouetteJoin:
        self.mapping_ = {int(i): int(i) for i in ids}
        self.n_before_ = self.n_after_ = int(ids.size)
        self.joined_, self.why_ = False, why
        return self

    def fit(self, labels, embeddings) -> SilhouetteJoin:
        labels, X = np.asarray(labels), np.asarray(embeddings)
        ids = np.unique(labels[labels >= 0])
        self.silhouettes_, self.silhouette_before_, self.silhouette_after_ = {}, None, None
        if ids.size < 3:
            return self._keep(ids, f"{ids.size} clusters: nothing to join")
        ids, tree = centroid_tree(labels, X, ids)
        _, sums, counts, own, _ = sample_sums(labels, X, ids, self.sample, self.random_state)
        scores, merges = scores_along(tree, sums, counts, own)
        self.silhouettes_ = {k: round(v, 4) for k, v in sorted(scores.items())}
        if ids.size not in self.silhouettes_ or len(self.silhouettes_) < 2:
            return self._keep(ids, "too few sampled members to score a join")
        best = max(self.silhouettes_, key=lambda k: (self.silhouettes_[k], k))
        before, after = self.silhouettes_[ids.size], self.silhouettes_[best]
        self.silhouette_before_ = before
        if best == ids.size:
            return self._keep(ids, f"no join raises the silhouette ({before:.3f} with all {ids.size})")
        if after < self.floor:
            shown = f"{after:.3f}" if round(after, 3) < self.floor else f"{after:.4f}"  # not "0.250 is below 0.25"
            return self._keep(ids, f"the best join ({ids.size} → {best}, silhouette {shown}) is below {self.floor}: "
                                   "no substantial structure to judge it by")
        into = np.arange(ids.size)
        for keep, gone in merges[: ids.size - best]:  # the merges that were scored for that cut
            into[into == gone] = keep
        self.mapping_ = {int(i): int(ids[g]) for i, g in zip(ids.tolist(), into.tolist())}
        self.n_before_, self.n_after_, self.joined_ = int(ids.size), int(best), True
        self.silhouette_after_ = after
        self.why_ = f"{ids.size} clusters joined into {best} where the silhouette peaks ({before:.3f} → {after:.3f})"
        return self

    def transform(self, labels) -> np.ndarray:
        """``labels`` with each fitted id renamed by ``mapping_``; −1 and ids it does not know stay as they are."""
        labels = np.asarray(labels, dtype=np.int64)
        if not self.mapping_:
            return labels.copy()
        lut = np.arange(max(max(self.mapping_), int(labels.max(initial=-1))) + 1, dtype=np.int64)
        lut[list(self.mapping_)] = list(self.mapping_.values())
        return np.where(labels >= 0, lut[np.maximum(labels, 0)], labels)


def promote_separated(tree: np.ndarray, labels: np.ndarray, embeddings: np.ndarray, min_cluster_size: int,
                      ratio: float, floor: float = 0.25, min_gain: float = 0.0, sample: int = 3000,
                      random_state: int = 0, method: str = "eom",
                      epsilon: float = 0.0) -> tuple[np.ndarray, int, int, float | None]:
    """The inverse of the join, for long-tailed data (issue 12): the clusters of the same single-linkage tree read
    at ``ratio``·``min_cluster_size`` that lie inside one persona (over half their members in it, under half of
    the persona) become personas of their own when that raises the members' mean silhouette (cosine, text
    embeddings, one seeded sample of clustered members, as the join scores it) by at least ``min_gain`` per
    moved sampled member. Only where the personas' silhouette is at least ``floor`` before any promotion (below
    it the silhouette cannot judge a split: Banking77's intents, 0.21-0.23). Greedy, largest fine cluster first,
    each tested against the labels with the earlier promotions made. Returns the labels, how many clusters were
    promoted, the fine size and the silhouette after (None: not scored)."""
    from ml.cluster.granularity import labels_from_tree

    labels = np.asarray(labels, dtype=np.int64)
    size = int(max(2, round(min_cluster_size * ratio)))
    ids = np.unique(labels[labels >= 0])
    if ratio <= 0 or size >= min_cluster_size or ids.size < 2:
        return labels, 0, size, None
    cands = _inside_personas(labels_from_tree(tree, size, method, epsilon), labels)
    if not cands:
        return labels, 0, size, None
    dist, sums, counts, own, idx = sample_sums(labels, embeddings, ids, sample, random_state)
    col = {int(i): j for j, i in enumerate(ids)}
    best = _silhouette(sums, counts, own)
    if best is None or best < floor:
        return labels, 0, size, best
    out, nxt, added = labels.copy(), int(labels.max()) + 1, 0
    for _, p, moved in sorted(cands, key=lambda t: -t[0]):
        picked = moved[idx] & (own == col[p])  # its sampled members still in persona p
        k = int(picked.sum())
        if k < 2 or k > counts[col[p]] - 2:
            continue
        part = dist[:, picked].sum(axis=1)
        sums2 = np.hstack([sums, part[:, None]])
        sums2[:, col[p]] -= part
        counts2 = np.append(counts, k)
        counts2[col[p]] -= k
        own2 = np.where(picked, counts.size, own)
        score = _silhouette(sums2, counts2, own2)
        if score is not None and score > best and (score - best) * own.size / k >= min_gain:
            sums, counts, own, best = sums2, counts2, own2, score
            out[moved & ((out == p) | (out < 0))] = nxt
            nxt, added = nxt + 1, added + 1
    return out, added, size, best


def _inside_personas(fine: np.ndarray, labels: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """The clusters of a finer reading (``fine``) that lie inside one persona of ``labels``: over half their members
    in it, under half of it. Each as (its size, the persona, the mask of its members in that persona or the noise)."""
    persona_size = np.bincount(labels[labels >= 0])
    out = []
    for c in np.unique(fine[fine >= 0]):
        rows = fine == c
        inside = labels[rows]
        vals, cnts = np.unique(inside[inside >= 0], return_counts=True)
        if vals.size == 0:
            continue
        p = int(vals[cnts.argmax()])
        if cnts.max() > 0.5 * rows.sum() and cnts.max() < 0.5 * persona_size[p]:
            out.append((int(rows.sum()), p, rows & ((labels == p) | (labels < 0))))
    return out
