"""Novelty of fresh texts by their neighbourhood: how far the fresh texts around each one lie from the run.

In (``fit``): the text embeddings of a run's members (rows). Kept: ``vectors_``, a seeded random sample of
at most ``max_members`` of them (unit rows, float16: ≈ 7.7 MB for 10,000 × 384), and ``reference_``, the
sorted scores of the sample's own members. Out (``scores``/``novel``): per fresh text a score and whether
it lies beyond the ``quantile`` of the reference scores.

Score of a text x of a batch F: its cosine distance to the ``k``-th nearest kept run member, then the
median of that distance over x's ``smooth`` nearest texts of F (x included). A run member's reference
score is the same with the member left out of its own distances and its neighbours taken in the sample.
One text's distance to the run is noisy: texts of unseen Banking77 intents sit close to seen ones, so a
per-text rule (centroid radii, or the k-NN distance alone) separated them from held-back texts of seen
intents with AUC 0.85–0.92 and flagged 0.24–0.59 of them at ≤ 0.1 false alarms; the median over the
text's fresh neighbourhood asks whether the region around it, not the text alone, is far from the run,
and flags ≥ 0.85 (docs/drift.md). It depends only on where the run has members, not on how fresh
texts are spread over the known regions: a batch concentrated on a few known topics is not novel (a
two-sample rule, fresh share among the nearest of run ∪ fresh, flagged 0.83–0.94 of such a batch). A
lone novel text among many known ones is not flagged (its neighbourhood is known); ``ml.assign`` reports
shares of a batch, where that is the point.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

CHUNK = 2048


def unit_rows(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def _kth_and_neighbours(Q: np.ndarray, R: np.ndarray, k: int, m: int, self_in_r: bool):
    """Per row of Q: cosine distance to its k-th nearest row of R (itself excluded when ``self_in_r``: Q is
    R), and the indices of its ``m`` nearest rows of Q (itself included; None when m is 0). One exact search
    (``ml.knn.BruteNeighbours``: a float32 product, a compiled selection, distances re-ranked from the rows)
    serves both when Q is R."""
    from ml.knn import BruteNeighbours

    same = self_in_r or R is Q
    want = min(len(R), max(k + int(self_in_r), m if same else 0))
    dist, idx = BruteNeighbours("cosine").fit(R).kneighbors(Q, want)
    rows = np.arange(len(Q))
    if self_in_r:  # skip the row itself (a duplicate listed before it can push it out of the list)
        is_self = idx == rows[:, None]
        pos = np.where(is_self.any(axis=1), is_self.argmax(axis=1), want)
        kth = dist[rows, np.minimum(k - 1 + (pos <= k - 1), want - 1)]
    else:
        kth = dist[:, min(k, want) - 1]
    nbrs = None
    if m:
        if not same:
            _, idx = BruteNeighbours("cosine").fit(Q).kneighbors(Q, m)
        nbrs = idx[:, :m].copy()
        missing = ~(nbrs == rows[:, None]).any(axis=1)  # itself always counts among its own neighbours
        nbrs[missing, -1] = rows[missing]
    return kth.astype(np.float32), nbrs


class NeighbourhoodNovelty(BaseEstimator):
    """See the module docstring. ``fit(vectors, labels)`` → ``vectors_``, ``labels_``, ``reference_``, ``own_scores_``,
    ``n_members_``."""

    def __init__(self, max_members: int = 10_000, k: int = 1, smooth: int = 30, random_state: int = 0):
        self.max_members = max_members
        self.k = k
        self.smooth = smooth
        self.random_state = random_state

    def fit(self, vectors: np.ndarray, labels: np.ndarray | None = None):
        """``labels``: the members' persona ids (kept for the sample as ``labels_``, else None)."""
        V = np.asarray(vectors)
        if V.ndim != 2 or len(V) < 2:
            raise ValueError(f"need at least 2 member vectors (rows), got shape {V.shape}")
        self.n_members_ = len(V)
        keep = np.arange(len(V))
        if len(V) > self.max_members:  # sample, then normalise: no normalised copy of all rows (1.5 GB at 1M)
            keep = np.sort(np.random.default_rng(self.random_state).choice(len(V), self.max_members, replace=False))
        X = unit_rows(V[keep] if keep.size < len(V) else V)
        self.labels_ = None if labels is None else np.asarray(labels, dtype=np.int64)[keep]
        self.vectors_ = X.astype(np.float16)
        self.own_scores_ = self._leave_one_out(X)  # in sample order
        self.reference_ = np.sort(self.own_scores_)
        return self

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Score of every row of a fresh batch (see the module docstring); higher = farther from the run."""
        check_is_fitted(self, "reference_")
        F = unit_rows(vectors)
        if len(F) == 0:
            return np.zeros(0, dtype=np.float32)
        R = self.vectors_.astype(np.float32)
        kth, _ = _kth_and_neighbours(F, R, self.k, 0, self_in_r=False)
        m = min(self.smooth, len(F))
        _, nbrs = _kth_and_neighbours(F, F, 1, m, self_in_r=False)
        return np.median(kth[nbrs], axis=1)

    def own_scores(self) -> np.ndarray:
        """Each sampled member's score against the rest of its own run (itself left out), as ``fit`` scored
        them for ``reference_`` (in sample order: kept by ``fit``; recomputed from the stored vectors for
        models fitted before 2026-12-02)."""
        check_is_fitted(self, "reference_")
        if getattr(self, "own_scores_", None) is not None:
            return self.own_scores_
        return self._leave_one_out(self.vectors_.astype(np.float32))

    def _leave_one_out(self, X: np.ndarray) -> np.ndarray:
        """Each row's score against the other rows of X (see the module docstring)."""
        kth, nbrs = _kth_and_neighbours(X, X, self.k, min(self.smooth, len(X)), self_in_r=True)
        return np.median(kth[nbrs], axis=1).astype(np.float32)

    def threshold(self, quantile: float) -> float:
        check_is_fitted(self, "reference_")
        return float(np.quantile(self.reference_, quantile))

    def novel(self, vectors: np.ndarray, quantile: float) -> np.ndarray:
        """Whether each fresh row scores beyond the ``quantile`` of the run's own reference scores."""
        return self.scores(vectors) > self.threshold(quantile)


def novel_persona_shares(reference: NeighbourhoodNovelty, other: NeighbourhoodNovelty, persona_ids: np.ndarray,
                         quantile: float, novel: np.ndarray | None = None) -> np.ndarray | None:
    """Per persona of ``other``'s run (``persona_ids`` order): the share of its sampled members that are
    novel against ``reference``'s run, the sample taken as one fresh batch (``novel``: that mask, when already
    computed); None without labels or when the two samples live in different spaces."""
    labels = getattr(other, "labels_", None)
    if labels is None or reference.vectors_.shape[1] != other.vectors_.shape[1]:
        return None
    novel = reference.novel(other.vectors_, quantile) if novel is None else novel
    return np.array([float(novel[labels == p].mean()) if (labels == p).any() else 0.0 for p in persona_ids])


def own_tail_shares(sample: NeighbourhoodNovelty, persona_ids: np.ndarray, quantile: float) -> np.ndarray | None:
    """Per persona of the sample's own run: the share of its sampled members beyond the run's own
    ``quantile`` (its part of the run's own 1 − quantile tail; loose, scattered personas hold more of it);
    None without labels."""
    labels = getattr(sample, "labels_", None)
    if labels is None:
        return None
    tail = sample.own_scores() > sample.threshold(quantile)
    return np.array([float(tail[labels == p].mean()) if (labels == p).any() else 0.0 for p in persona_ids])


def _nearest_rows(Q: np.ndarray, R: np.ndarray, leave_out: bool = False) -> np.ndarray:
    """Per row of Q the index of its most similar row of R (dot product of unit rows); ``leave_out``: Q is R
    and a row may not be its own nearest."""
    nearest = np.empty(len(Q), dtype=np.int64)
    for s in range(0, len(Q), CHUNK):
        S = Q[s : s + CHUNK] @ R.T
        if leave_out:
            S[np.arange(len(S)), s + np.arange(len(S))] = -np.inf
        nearest[s : s + len(S)] = np.argmax(S, axis=1)
    return nearest


def _past_own_copy(Q: np.ndarray, R: np.ndarray, nearest: np.ndarray) -> np.ndarray:
    """``nearest`` (per row of Q its nearest row of R) with each row whose nearest is its own copy (the same vector:
    a text both runs hold) moved to its nearest row but that one, as the base run's own members are placed
    (``leave_out``): a run compared with itself read PSI 0.03, its copies placed on themselves at distance 0."""
    own = (Q == R[nearest]).all(axis=1)  # the samples' float16 rows are equal for the same text
    if not own.any():
        return nearest
    rows = np.flatnonzero(own)
    out = nearest.copy()
    for s in range(0, len(rows), CHUNK):
        part = rows[s : s + CHUNK]
        S = Q[part] @ R.T
        S[np.arange(len(part)), nearest[part]] = -np.inf
        out[part] = np.argmax(S, axis=1)
    return out


def nearest_members(source: NeighbourhoodNovelty, target: NeighbourhoodNovelty) -> np.ndarray:
    """Per sampled member of ``source`` the index of its nearest sampled member of ``target`` (same space)."""
    return _nearest_rows(source.vectors_.astype(np.float32), target.vectors_.astype(np.float32))


def neighbour_reach(source: NeighbourhoodNovelty, target: NeighbourhoodNovelty, source_ids: np.ndarray,
                    target_ids: np.ndarray, nearest: np.ndarray | None = None) -> np.ndarray | None:
    """Where each persona of the source run lands in the target run: ``(len(source_ids), len(target_ids))``
    shares of the persona's sampled members whose nearest sampled member of the target run belongs to each
    target persona (rows sum to 1; 0 for a persona without sampled members). None without labels on both
    samples or when they live in different spaces. ``nearest``: ``nearest_members(source, target)`` when known."""
    if source.labels_ is None or target.labels_ is None or source.vectors_.shape[1] != target.vectors_.shape[1]:
        return None
    nearest = nearest_members(source, target) if nearest is None else nearest
    src = {int(p): k for k, p in enumerate(source_ids)}
    tgt = {int(p): k for k, p in enumerate(target_ids)}
    out = np.zeros((len(source_ids), len(target_ids)))
    for a, b in zip(source.labels_.tolist(), target.labels_[nearest].tolist()):
        if a in src and b in tgt:
            out[src[a], tgt[b]] += 1
    totals = out.sum(axis=1, keepdims=True)
    return np.divide(out, totals, out=np.zeros_like(out), where=totals > 0)


def placed_shares(base: NeighbourhoodNovelty, new: NeighbourhoodNovelty, base_ids: np.ndarray,
                  quantile: float | None = None, novel: np.ndarray | None = None,
                  nearest: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The new run's members placed on the base run's personas, against the base run's own, per persona of
    ``base_ids``: (shares of the base sample when each member takes the persona of its nearest *other*
    base sampled member, shares of the new sample when each takes the persona of its nearest base sampled
    member). Both go through the same nearest-neighbour placement, so its own error cancels: two samples of
    one population give the same shares up to sampling error, whatever the two runs' clusterings did.

    With ``quantile``: one more share, last, for members that are novel against the base run (``novel``
    from ``NeighbourhoodNovelty.novel`` at that quantile; computed when not given): new members that are
    novel leave the persona shares for it, and the base sample holds its own share beyond the quantile
    there (≈ 1 − quantile, taken from every persona in proportion), so a topic the base run never had shows
    as a bucket that grew instead of being spread over its nearest personas. The new share is at least the
    base's: texts that recur in both runs lie at distance 0 from the base sample and are never novel, so a
    re-run over the same texts would otherwise read as a shift *away* from the base run's own tail.
    None without labels on the base sample or when the samples live in different spaces. ``nearest``:
    ``nearest_members(new, base)`` when known. A new member that is a copy of a base sampled member (the same
    text in both runs) is placed past that copy, as the base's own members are (``_past_own_copy``)."""
    if base.labels_ is None or base.vectors_.shape[1] != new.vectors_.shape[1]:
        return None
    R = base.vectors_.astype(np.float32)
    col = {int(p): k for k, p in enumerate(base_ids)}

    def counts(nearest: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros(len(base_ids))
        for p in base.labels_[nearest if keep is None else nearest[keep]].tolist():
            if p in col:
                out[col[p]] += 1
        return out

    then = counts(_nearest_rows(R, R, leave_out=True))
    into = _past_own_copy(new.vectors_.astype(np.float32), R, nearest_members(new, base) if nearest is None
                          else np.asarray(nearest))
    if quantile is None:
        now = counts(into)
        return then / max(1.0, then.sum()), now / max(1.0, now.sum())
    novel = base.novel(new.vectors_, quantile) if novel is None else np.asarray(novel, bool)
    novel_then = float((base.reference_ > base.threshold(quantile)).mean())
    novel_now = max(novel_then, float(novel.mean()) if len(novel) else 0.0)
    now = counts(into, ~novel)
    then = (1.0 - novel_then) * then / max(1.0, then.sum())
    now = (1.0 - novel_now) * now / max(1.0, now.sum())
    return np.append(then, novel_then), np.append(now, novel_now)
