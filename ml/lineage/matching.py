"""Matching the personas of a base run to those of a new run.

In: unit centroids of both runs' personas (rows; same columns) and, when members recur, the counts of
recurring members per (base persona, new persona). Out (``PersonaMatcher.fit``): ``similarity_``
(cosine, base × new), ``overlap_`` (Jaccard of recurring members, NaN where too few recur),
``matches_`` (one-to-one pairs), ``pieces_`` (extra parts of splits and merges), ``base_role_`` and
``new_role_`` (``matched``, ``split``, ``merged``, ``died`` / ``born``) and ``recut_`` (the pieces the re-cut
rule added).

Rule: a pair is eligible when its cosine reaches ``match_similarity`` and the overlap does not
contradict it (at least ``min_overlap`` of either side's recurring members land in the other, or more of one
side's than in any other persona), or
when the overlap confirms it and the cosine reaches ``piece_similarity``; the Hungarian assignment
(``scipy.optimize.linear_sum_assignment``) picks the one-to-one pairs among the eligible ones with the
most eligible pairs first, then the highest summed score (cosine + overlap where members recur), after the pairs
that are each other's best eligible partner by that score are kept (since 2026-12-07). An
unmatched persona whose nearest persona on the other side is matched, at ``piece_similarity`` or
more and ``piece_margin`` nearer than the next, is a piece: a new one splits off its base persona, a
base one merges into the new persona, provided the shares agree (unless recurring members confirm
it): the parent lost, or the merged persona gained, at least ``piece_share`` of the piece's share
(pieces taken nearest first). With shares known, a near tie (several matched personas within
``piece_margin`` of the nearest, each at ``piece_similarity`` or more) no longer makes the persona born:
it is a piece of the nearest tied parent whose share leaves room for it (HDBSCAN cuts neighbouring
topics differently from run to run; on two random halves of the airline tweets the margin alone reported
a 3.5 % persona born next to the continued one, PSI 0.158; with the tie settled by shares 0.053). The
rest died (base) or were born (new). A persona whose members mostly lie where the other run has none
(``novel_base`` / ``novel_new``, from ``ml.lineage.neighbourhood``) is never matched nor a piece: it died
or was born whatever its centroid (unseen Banking77 intents next to seen ones have centroid cosines up to
0.99 with them). Opt-in (``reach_share``, off by default): an unmatched, not novel persona whose sampled
members' nearest members of the other run lie at ``reach_share`` or more in one matched persona
(``reach_base`` / ``reach_new``, from ``ml.lineage.neighbourhood.neighbour_reach``) is a piece of it
(measured in docs/drift.md: fewer false born/died, but near-duplicate new topics become pieces).
Re-cut (``recut_novelty``): an unmatched persona that is no piece, whose share of members novel against the
other run beyond what the other run's own members have where its members land (``novelty_base`` /
``novelty_new``: ``ml.lineage.samples.excess_novelty``, continuous) is below ``recut_novelty``, and whose
conversations the placed shares still find (``placed``: a base persona kept at least 1 − ``piece_share`` of its
share with both runs' members placed on the base personas) holds conversations the other run has too, cut
differently; so does a base persona, however novel its members look, whose placed share did not fall beyond its
sampling error (``placed_sizes``, ``confidence``; two random 2,500-tweet samples of one week had "Brief: thanks &
great" die with 94 % of its placed share kept), and so does a new persona when the share of the new run's members
unlike the base run did not grow beyond the base's own tail (``placed_novel``: nothing new came in): it is a piece
of the matched persona of the other run in which most of its sampled members' nearest members lie (``reach_base`` / ``reach_new``), not born / died. A new persona whose base persona's
placed share grew is such a piece too (more of a kind of conversation the base had is growth, not a birth:
until 2026-12-04 a gain of ``piece_share`` of its share made it born, and the airline tweets split by date
showed "Cancelled Flightled" born beside the baseline's "Cancelled Flightled").
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import norm
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted


def _mutual_best(score: np.ndarray) -> list[tuple[int, int]]:
    """``(row, column)`` pairs each of which is the other's highest finite ``score`` (ties: the first)."""
    if not np.isfinite(score).any():
        return []
    best_col, best_row = score.argmax(axis=1), score.argmax(axis=0)
    return [(i, int(j)) for i, j in enumerate(best_col) if np.isfinite(score[i, j]) and best_row[j] == i]


def jaccard_overlap(counts: np.ndarray, min_shared: int) -> tuple[np.ndarray, np.ndarray]:
    """``(jaccard, evidence)``: Jaccard of recurring members per pair, and whether a pair has enough
    recurring members (its base row or new column holds ``min_shared`` or more) to count."""
    C = np.asarray(counts, dtype=np.float64)
    rows, cols = C.sum(axis=1, keepdims=True), C.sum(axis=0, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(C > 0, C / (rows + cols - C), 0.0)
    evidence = (rows >= min_shared) | (cols >= min_shared)
    return jac, evidence


class PersonaMatcher(BaseEstimator):
    """One-to-one matching plus split/merge pieces; see the module docstring."""

    def __init__(self, match_similarity: float = 0.85, piece_similarity: float = 0.80, piece_margin: float = 0.03,
                 min_shared_members: int = 10, min_overlap: float = 0.5, piece_share: float = 0.5,
                 reach_share: float | None = None, recut_novelty: float | None = None, confidence: float = 0.95,
                 pair_leftovers: bool = False):
        self.pair_leftovers = pair_leftovers
        self.confidence = confidence
        self.reach_share = reach_share
        self.recut_novelty = recut_novelty
        self.match_similarity = match_similarity
        self.piece_similarity = piece_similarity
        self.piece_margin = piece_margin
        self.min_shared_members = min_shared_members
        self.min_overlap = min_overlap
        self.piece_share = piece_share

    def fit(self, base: np.ndarray, new: np.ndarray, counts: np.ndarray | None = None,
            base_shares: np.ndarray | None = None, new_shares: np.ndarray | None = None,
            novel_base: np.ndarray | None = None, novel_new: np.ndarray | None = None,
            reach_base: np.ndarray | None = None, reach_new: np.ndarray | None = None,
            novelty_base: np.ndarray | None = None, novelty_new: np.ndarray | None = None,
            placed: tuple[np.ndarray, np.ndarray] | None = None, placed_sizes: tuple[int, int] | None = None,
            placed_novel: tuple[float, float] | None = None):
        """``base``/``new``: unit centroids (rows); ``counts``: recurring members per pair; the shares
        (persona share of its run) switch on the share check of pieces (None: no check); ``novel_base`` /
        ``novel_new``: personas whose members lie where the other run has none (they die / are born);
        ``reach_*``: where each persona's sampled members land in the other run; ``novelty_*``: each persona's
        share of novel members and ``placed`` (base personas' shares then and now with both runs' members placed
        on them, ``ml.lineage.neighbourhood.placed_shares``, of samples of ``placed_sizes`` members) and
        ``placed_novel`` (the share of each run's members novel against the base run, then and now: the base's own
        tail, and the new run's members beyond it): the re-cut rule."""
        A, B = np.asarray(base, dtype=np.float64), np.asarray(new, dtype=np.float64)
        if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[1]:
            raise ValueError(f"centroids must be 2-D with the same columns, got {A.shape} and {B.shape}")
        m, n = A.shape[0], B.shape[0]
        S = A @ B.T
        C = np.zeros((m, n)) if counts is None else np.asarray(counts, dtype=np.float64)
        jac, evidence = jaccard_overlap(C, self.min_shared_members)
        self.similarity_ = S
        self.counts_ = C
        self.overlap_ = np.where(evidence, jac, np.nan)
        self.confirmed_ = self._confirmation(C, evidence)
        self.novel_base_ = np.zeros(m, bool) if novel_base is None else np.asarray(novel_base, bool)
        self.novel_new_ = np.zeros(n, bool) if novel_new is None else np.asarray(novel_new, bool)
        self.matches_ = self._match(S, np.where(evidence, jac, 0.0))
        self.paired_ = self._leftover_pairs(S, C, evidence, reach_base, reach_new) if self.pair_leftovers else []
        self.matches_ = sorted(self.matches_ + self.paired_)
        self._tied = base_shares is not None and new_shares is not None
        self.pieces_ = self._pieces(S)
        if base_shares is not None and new_shares is not None:
            self.pieces_ = self._share_checked(np.asarray(base_shares, float), np.asarray(new_shares, float))
        if self.reach_share is not None and reach_base is not None and reach_new is not None:
            self.pieces_ = sorted(self.pieces_ + self._uncontradicted(
                self._reach_pieces(np.asarray(reach_base), np.asarray(reach_new))))
        self.recut_ = []  # the pieces the re-cut rule added
        self.novel_grew_ = True
        if self.recut_novelty is not None and reach_base is not None and reach_new is not None \
                and novelty_base is not None and novelty_new is not None and placed is not None \
                and base_shares is not None and new_shares is not None:
            self.recut_ = self._uncontradicted(self._recut_pieces(
                np.asarray(reach_base), np.asarray(reach_new), np.asarray(novelty_base), np.asarray(novelty_new),
                placed, placed_sizes, placed_novel))
            self.pieces_ = sorted(self.pieces_ + self.recut_)
        self._roles(m, n)
        return self

    def _uncontradicted(self, pieces: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """Pieces found by where members land, less those that recurring members contradict (``confirmed_`` −1),
        as the centroid pieces already are: a persona all of whose members were left out of the new run was
        reported merged, by where its old members would land, though none of them recurred (a browser test of the
        bundled sample, 2026-12-06)."""
        return [p for p in pieces if self.confirmed_[p[0], p[1]] >= 0]

    def _confirmation(self, C: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        """+1 overlap confirms the pair, −1 contradicts it, 0 too few members recur, or under ``min_overlap`` of
        them but more than to any other persona from one side of the pair (neither confirmed nor contradicted: in
        weekly exports of one growing population nearly every member recurs and a re-cut spreads them, so that
        "Deep-thread: customer service", 25 of whose 52 conversations went to "Customer service" at cosine 0.92, the
        rest to four others, died and "Customer service" was born; an audit found such pairs in every re-export)."""
        rows, cols = C.sum(axis=1, keepdims=True), C.sum(axis=0, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.maximum(np.where(rows > 0, C / rows, 0.0), np.where(cols > 0, C / cols, 0.0))
        most = (C > 0) & ((C == C.max(axis=1, keepdims=True)) | (C == C.max(axis=0, keepdims=True)))
        return np.where(evidence, np.where(share >= self.min_overlap, 1, np.where(most, 0, -1)), 0).astype(np.int8)

    def _match(self, S: np.ndarray, jac: np.ndarray) -> list[tuple[int, int]]:
        """Pairs that are each other's best eligible partner first, then the Hungarian over the eligible pairs
        left (an ineligible pair scores 0), so a strong pair is never given up for two weak ones that the
        thresholds then reject. Without the first step, "most pairs" gave up a mutual best pair for two: the airline
        tweets by date matched "Polite: thanks & flight" with a complaint persona at cosine 0.90 and its own
        0.97 partner ("Polite: thanks & great flight") with a 49-member sliver, which then read as shrunk 5.1 % →
        1.2 %."""
        if S.size == 0:
            return []
        conf = self.confirmed_
        eligible = ((S >= self.match_similarity) & (conf >= 0)) | ((conf > 0) & (S >= self.piece_similarity))
        eligible &= ~self.novel_base_[:, None] & ~self.novel_new_[None, :]
        fixed = _mutual_best(np.where(eligible, S + jac, -np.inf))
        rows = np.setdiff1d(np.arange(S.shape[0]), [i for i, _ in fixed])
        cols = np.setdiff1d(np.arange(S.shape[1]), [j for _, j in fixed])
        gain = np.where(eligible, 1.0 + S + jac, 0.0)[np.ix_(rows, cols)]
        r, c = linear_sum_assignment(-gain) if gain.size else ([], [])
        rest = [(int(rows[a]), int(cols[b])) for a, b in zip(r, c) if eligible[rows[a], cols[b]]]
        return sorted(fixed + rest)

    def _leftover_pairs(self, S: np.ndarray, C: np.ndarray, evidence: np.ndarray, reach_base: np.ndarray | None,
                        reach_new: np.ndarray | None) -> list[tuple[int, int]]:
        """One-to-one pairs among the personas ``_match`` left on both sides, neither novel, at ``piece_similarity``
        or more and not contradicted, that are each other's plurality: where members recur (``evidence``), more of
        either one's recurring members are in the other than in any other persona (a tie is none); else the same of
        where their sampled members' nearest members of the other run lie (``reach_*``). A cumulative series of
        conversations (each export holds the earlier ones) had "Frequent: help & phone number" die and "Long-thread:
        internet & new" be born at cosine 0.848 (a match needs 0.85), with 12 of the first's 28 recurring
        conversations in the second and its placed share unchanged (3.9 → 3.9 %). Hungarian on the cosine."""
        rows = sorted(set(range(S.shape[0])) - {i for i, _ in self.matches_} - set(np.flatnonzero(self.novel_base_)))
        cols = sorted(set(range(S.shape[1])) - {j for _, j in self.matches_} - set(np.flatnonzero(self.novel_new_)))
        if not rows or not cols:
            return []

        def first(row: np.ndarray, k: int) -> bool:  # k holds more than any other (a tie is no plurality)
            return row[k] > 0 and int((row >= row[k]).sum()) == 1

        def mutual(i: int, j: int) -> bool:
            if evidence[i, j]:
                return first(C[i], j) and first(C[:, j], i)
            if reach_base is None or reach_new is None:
                return False
            return first(np.asarray(reach_base[i]), j) and first(np.asarray(reach_new[j]), i)

        ok = np.array([[S[i, j] >= self.piece_similarity and self.confirmed_[i, j] >= 0 and mutual(i, j)
                        for j in cols] for i in rows], dtype=bool)
        r, c = linear_sum_assignment(-np.where(ok, 1.0 + S[np.ix_(rows, cols)], 0.0))
        return [(rows[a], cols[b]) for a, b in zip(r.tolist(), c.tolist()) if ok[a, b]]

    def _nearest(self, S_row: np.ndarray) -> tuple[int, float, float]:
        """Index of the nearest, its similarity and the margin to the next nearest."""
        order = np.argsort(-S_row)
        best = float(S_row[order[0]])
        second = float(S_row[order[1]]) if S_row.size > 1 else -1.0
        return int(order[0]), best, best - second

    def _pieces(self, S: np.ndarray) -> list[tuple[int, int, str]]:
        """Piece candidates ``(parent-side index, piece index, kind)``: the nearest matched persona when it
        passes ``_is_piece``; with shares known (``self._tied``), also every matched persona at
        ``piece_similarity`` or more within ``piece_margin`` of the nearest (a near tie, which the share
        check then resolves)."""
        matched_base = {i for i, _ in self.matches_}
        matched_new = {j for _, j in self.matches_}
        out: list[tuple[int, int, str]] = []
        if S.size == 0:
            return out
        for j in sorted(set(range(S.shape[1])) - matched_new - set(np.flatnonzero(self.novel_new_).tolist())):
            out += [(i, j, "split") for i in self._parents(S[:, j], matched_base, self.confirmed_[:, j])]
        for i in sorted(set(range(S.shape[0])) - matched_base - set(np.flatnonzero(self.novel_base_).tolist())):
            out += [(i, j, "merge") for j in self._parents(S[i, :], matched_new, self.confirmed_[i, :])]
        return out

    def _parents(self, sims: np.ndarray, matched: set[int], confirmed: np.ndarray) -> list[int]:
        k, sim, margin = self._nearest(sims)
        if k in matched and self._is_piece(sim, margin, confirmed[k]):
            return [k]
        if not self._tied:
            return []
        return [int(x) for x in np.argsort(-sims) if int(x) in matched and confirmed[x] >= 0
                and sims[x] >= self.piece_similarity and sims[x] >= sim - self.piece_margin]

    def _share_checked(self, p: np.ndarray, q: np.ndarray) -> list[tuple[int, int, str]]:
        """Pieces whose shares agree: a split piece j of base i needs p_i − q_(i's match) − (pieces kept so far)
        ≥ piece_share · q_j; a merge piece i into new j needs q_j − p_(j's match) − (kept so far) ≥
        piece_share · p_i. Pieces that recurring members confirm are kept without the check. Candidates are
        taken nearest first; a piece keeps its first candidate parent that passes."""
        partner_b = {i: j for i, j in self.matches_}
        partner_n = {j: i for i, j in self.matches_}
        room = {("split", i): p[i] - q[partner_b[i]] for i in partner_b}
        room.update({("merge", j): q[j] - p[partner_n[j]] for j in partner_n})
        kept, placed = [], set()
        for i, j, kind in sorted(self.pieces_, key=lambda t: -self.similarity_[t[0], t[1]]):
            key, size, piece = ((kind, i), q[j], ("n", j)) if kind == "split" else ((kind, j), p[i], ("b", i))
            if piece in placed:
                continue
            if self.confirmed_[i, j] > 0 or room[key] >= self.piece_share * size:
                room[key] -= size
                kept.append((i, j, kind))
                placed.add(piece)
        return sorted(kept)

    def _reach_pieces(self, reach_base: np.ndarray, reach_new: np.ndarray) -> list[tuple[int, int, str]]:
        """Pieces by where members land: a persona left unmatched and not novel whose sampled members' nearest
        members of the other run lie, at ``reach_share`` or more, in one matched persona is a piece of it."""
        matched_base = {i for i, _ in self.matches_}
        matched_new = {j for _, j in self.matches_}
        merged = matched_base | {i for i, _, kind in self.pieces_ if kind == "merge"}
        split = matched_new | {j for _, j, kind in self.pieces_ if kind == "split"}
        merges = self._landing(reach_base, merged, self.novel_base_, matched_new)
        splits = self._landing(reach_new, split, self.novel_new_, matched_base)
        return [(i, j, "merge") for i, j in merges] + [(i, j, "split") for j, i in splits]

    def _recut_pieces(self, reach_base: np.ndarray, reach_new: np.ndarray, novelty_base: np.ndarray,
                      novelty_new: np.ndarray, placed: tuple[np.ndarray, np.ndarray],
                      sizes: tuple[int, int] | None = None,
                      novel: tuple[float, float] | None = None) -> list[tuple[int, int, str]]:
        """Pieces of re-cuts: a persona still unmatched and no piece whose novel share (beyond the other run's
        own tail where it lands: ``excess_novelty``) is below ``recut_novelty``
        joins the matched persona of the other run that most of its members land in; a base persona only when
        it kept at least 1 − ``piece_share`` of its placed share (its conversations are still there). A base
        persona whose placed share did not fall beyond its sampling error (``_fallen``) is a re-cut too, however
        novel its members look: at a few thousand members a persona is one or two of the novelty's smoothing
        neighbourhoods, so its novel share moves by whole neighbourhoods between two samples of one population.
        Likewise a new persona is a re-cut, however novel its members look, when the new run holds no more members
        unlike the base run than the base's own tail (``novel``: that share did not grow beyond its sampling
        error): there is then no new kind of conversation for it to stand for."""
        then, now = (np.asarray(x, float) for x in placed)
        matched_base = {i for i, _ in self.matches_}
        matched_new = {j for _, j in self.matches_}
        merged = matched_base | {i for i, _, kind in self.pieces_ if kind == "merge"}
        split = matched_new | {j for _, j, kind in self.pieces_ if kind == "split"}
        cut, share = float(self.recut_novelty), float(self.piece_share)
        gone = now < (1.0 - share) * then
        fallen = self._fallen(then, now, sizes)
        merges = self._landing(reach_base, merged, self.novel_base_ | (((novelty_base >= cut) | gone) & fallen),
                               matched_new, 0.0, self.confirmed_)
        self.novel_grew_ = self._novel_grew(novel, sizes)
        splits = list(self._landing(reach_new, split, self.novel_new_ | ((novelty_new >= cut) & self.novel_grew_),
                                    matched_base, 0.0, self.confirmed_.T))
        return [(i, j, "merge") for i, j in merges] + [(i, j, "split") for j, i in splits]

    def _fallen(self, then: np.ndarray, now: np.ndarray, sizes: tuple[int, int] | None) -> np.ndarray:
        """Placed shares that fell by more than ``confidence``'s two-sided z times their standard error (two
        independent samples of ``sizes`` members); all True when the sizes are unknown."""
        if sizes is None:
            return np.ones(len(then), bool)
        z = float(norm.ppf(0.5 + self.confidence / 2.0))
        se = np.sqrt(then * (1.0 - then) / max(1, sizes[0]) + now * (1.0 - now) / max(1, sizes[1]))
        return then - now > z * se

    def _novel_grew(self, novel: tuple[float, float] | None, sizes: tuple[int, int] | None) -> bool:
        """Whether the share of members novel against the base run grew beyond its sampling error from the base's
        own (then) to the new run's (now); True when unknown."""
        if novel is None or sizes is None:
            return True
        return bool(self._fallen(np.array([float(novel[1])]), np.array([float(novel[0])]), (sizes[1], sizes[0]))[0])

    def _landing(self, reach: np.ndarray, placed: set[int], novel: np.ndarray, targets: set[int],
                 least: float | None = None, confirmed: np.ndarray | None = None):
        """(persona, the matched persona of the other run its members mostly land in) for every persona not
        yet placed, not novel, reaching ``least`` (default ``reach_share``) in one of ``targets``; with
        ``least`` 0, the target that the most of its members land in, a tie going to one that recurring members
        do not contradict (``confirmed``: this side × the other; a cumulative conversation series had a persona
        born whose members landed as often in a contradicted persona as in one they went to)."""
        least = self.reach_share if least is None else least
        allowed = np.zeros(reach.shape[1], bool)
        allowed[sorted(targets)] = True
        for k in range(reach.shape[0]):
            if k in placed or novel[k] or not reach[k].any():
                continue
            if least:
                t = int(np.argmax(reach[k]))
            else:  # the allowed target most members land in; of tied ones, the first recurring members do not contradict
                row = np.where(allowed, reach[k], -1.0)
                tied = np.flatnonzero(row == row.max())
                fine = tied if confirmed is None else tied[confirmed[k, tied] >= 0]
                t = int(fine[0] if len(fine) else tied[0])
            if reach[k, t] > 0 and reach[k, t] >= least and t in targets:
                yield k, t

    def _is_piece(self, sim: float, margin: float, confirmed: int) -> bool:
        if confirmed < 0:
            return False
        return sim >= self.piece_similarity and (margin >= self.piece_margin or confirmed > 0)

    def _roles(self, m: int, n: int) -> None:
        base_role = np.array(["died"] * m, dtype=object)
        new_role = np.array(["born"] * n, dtype=object)
        for i, j in self.matches_:
            base_role[i], new_role[j] = "matched", "matched"
        partner_of_base = {i: j for i, j in self.matches_}
        partner_of_new = {j: i for i, j in self.matches_}
        for i, j, kind in self.pieces_:
            if kind == "split":  # new j split off base i (matched to partner_of_base[i])
                base_role[i] = "split"
                new_role[j] = new_role[partner_of_base[i]] = "split"
            else:  # base i merged into new j (matched to partner_of_new[j])
                new_role[j] = "merged"
                base_role[i] = base_role[partner_of_new[j]] = "merged"
        self.base_role_, self.new_role_ = base_role, new_role

    def links(self) -> list[tuple[int, int, str]]:
        """Every (base index, new index, 'match' | 'piece') link."""
        check_is_fitted(self, "matches_")
        return [(i, j, "match") for i, j in self.matches_] + [(i, j, "piece") for i, j, _ in self.pieces_]
