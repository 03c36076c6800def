"""Why each persona of a comparison got its status, in words people read (``NewPersona.reason``,
``BasePersona.reason``): ``ReasonWriter`` is the part of ``ml.lineage.compare.RunComparer`` that writes them from
its fitted matcher (``matcher_``: similarity, matches, pieces, re-cuts, novelty) and config (``_cfg``)."""

from __future__ import annotations

import numpy as np

from ml.lineage.status import placed_words


class ReasonWriter:
    """Reason lines of ``RunComparer`` (a mixin: it reads the comparer's ``_base``, ``_new``, ``_cfg``,
    ``matcher_``, ``excess_new_`` and ``_placed``)."""

    def _base_named(self, i: int) -> str:
        """A base persona as people find it: its id and name ("3 “Account & reset my password”")."""
        return _named(self._base, i)

    def _new_named(self, j: int) -> str:
        """A new persona as people find it: its id and name."""
        return _named(self._new, j)

    def _near(self, i: int, j: int) -> str:
        """"nearest base persona 3 “…”" where base ``i`` is new ``j``'s nearest, else "base persona 3 “…”" and where
        its nearest went: an airline review read "matched one-to-one with nearest base persona 20" beside a next
        similarity of 0.97 against 0.90."""
        S = self.matcher_.similarity_
        k = int(np.argmax(S[:, j]))
        if k == i or S[k, j] <= S[i, j]:
            return f"nearest base persona {self._base_named(i)}"
        if any(ii == k and jj == j for ii, jj, _ in self.matcher_.links()):  # the nearest merged into it as well
            return (f"base persona {self._base_named(i)} (its nearest, {self._base_named(k)} at cosine "
                    f"{S[k, j]:.3f}, joined it too)")
        partner = next((jj for ii, jj in self.matcher_.matches_ if ii == k), None)
        went = (f"; that base persona is matched to new persona {self._new_named(partner)} (cosine "
                f"{S[k, partner]:.3f})" if partner is not None else "")
        return (f"base persona {self._base_named(i)} (its nearest, {self._base_named(k)} at cosine {S[k, j]:.3f}, "
                f"is not its partner{went})")

    def _why_not_linked(self, i: int, j: int) -> str:
        """Why base ``i`` and new ``j``, close enough by cosine to be a match or a piece, are neither (a review read
        "died: … the nearest is 1 at cosine 0.863 (a match needs ≥ 0.85 …)", a number that passes): the partner
        was taken, recurring members contradict it, one of them is novel, or the piece rules (margin, share) failed."""
        m, S = self.matcher_, self.matcher_.similarity_
        if S[i, j] < self._cfg.piece_similarity:
            return ""
        other_base = next((ii for ii, jj in m.matches_ if jj == j and ii != i), None)
        if other_base is not None:
            return f"; it is matched to base persona {self._base_named(other_base)} (cosine {S[other_base, j]:.3f})"
        other_new = next((jj for ii, jj in m.matches_ if ii == i and jj != j), None)
        if other_new is not None:
            return f"; that base persona is matched to new persona {self._new_named(other_new)} (cosine {S[i, other_new]:.3f})"
        if m.confirmed_[i, j] < 0:
            return "; members in both runs contradict the link"
        if m.novel_base_[i] or m.novel_new_[j]:
            return "; one of the two is novel"
        return (f"; as a piece it needed a {self._cfg.piece_margin} margin over the next nearest and room in its "
                "parent's share")

    def _reason(self, status: str, i: int | None, j: int, s: dict, shares: tuple) -> str:
        cfg = self._cfg
        near = self._near(i, j) if i is not None else "no base persona"
        sim = f"cosine {s['similarity']}" if s.get("similarity") is not None else "no centroid"
        ov = _overlap_words(s)
        S, why = self.matcher_.similarity_, ""
        if status == "born" and i is None and S.size:  # name the nearest, and why it is no partner
            k = int(np.argmax(S[:, j]))
            near, why = f"nearest base persona {self._base_named(k)}", self._why_not_linked(k, j)
        if status == "born" and self.matcher_.novel_new_[j]:
            return (f"born: {s['novel_share']:.0%} of its members lie where the base run has none (novel, ≥ "
                    f"{cfg.novel_persona_share:.0%}); {near.replace('nearest base persona', 'nearest base persona is')} "
                    f"at {sim}")
        if status == "born":
            return (f"born: no match or piece; {near.replace('nearest base persona', 'nearest base persona is')} "
                    f"at {sim}{ov} (a match needs ≥ {cfg.match_similarity} and a free partner, a piece ≥ "
                    f"{cfg.piece_similarity}, a {cfg.piece_margin} margin and the parent's lost share){why}")
        if status == "split" and i is not None and (i, j, "split") in self.matcher_.recut_ \
                and self.excess_new_[j] >= cfg.recut_novelty:  # a re-cut because nothing new came into the run
            then_n, now_n = self._placed[0][-1], self._placed[1][-1]
            return (f"split: a re-cut of base persona {self._base_named(i)}, not new: the new run holds no more "
                    f"members unlike the base run than the base's own ({then_n:.1%} → {now_n:.1%}, within sampling "
                    f"error), though {s['novel_share']:.0%} of its members lie where the base run has none; their "
                    f"nearest base members are mostly in that persona ({sim})")
        if status == "split" and i is not None and (i, j, "split") in self.matcher_.recut_:
            return (f"split: a re-cut of base persona {self._base_named(i)}, not new: "
                    f"{s['novel_share']:.0%} of its members lie where the base run has none, "
                    f"{self.excess_new_[j]:+.1%} against the base's own members where they land (a re-cut below "
                    f"+{cfg.recut_novelty:.1%}), and their nearest base members are mostly in that persona ({sim})")
        if status == "split":
            return f"split: piece of {near} ({sim} ≥ {cfg.piece_similarity}{ov}); the parent has other pieces"
        if status == "merged":
            return f"merged: {near} ({sim}{ov}) and other base personas joined here"
        ratio = s.get("share_ratio")
        head = f"{status}: {self._matched_how(i, j, near, sim, ov)}; share ×{ratio}"
        if status != "continued":
            return f"{head} ({'≥' if status == 'grown' else '≤ 1/'}{cfg.growth_ratio}, intervals apart)"
        return f"{head} ({self._why_continued(ratio, *shares)})"

    def _share_recut_reason(self, i: int, j: int, s: dict, shares: tuple, placed) -> str:
        """Why a matched persona whose own share moved by ``growth_ratio`` is still "continued": its base persona's
        placed share did not move that way (``ml.lineage.status``): it held, or went the other way."""
        cfg, (then, now) = self._cfg, shares
        ov = _overlap_words(s)
        way = "smaller" if now.share < then.share else "larger"
        how = self._matched_how(i, j, self._near(i, j), f"cosine {s['similarity']}", ov)
        return (f"continued: {how}; this run's fit drew it {way} ({then.share:.1%} → {now.share:.1%}, "
                f"×{s['share_ratio']}), but with both runs' members placed on the baseline's personas its share "
                f"{placed_words(placed, way, cfg.growth_ratio)}: grown or shrunk needs ×{cfg.growth_ratio} the same way "
                f"on both (own shares' intervals apart); the fit re-drew its edges")

    def _matched_how(self, i: int, j: int, near: str, sim: str, ov: str) -> str:
        """"matched one-to-one with …" (cosine at ``match_similarity`` or more), or how a leftover pair was made
        (``PersonaMatcher._leftover_pairs``: under it, yet each holding more of the other's members than any other)."""
        cfg = self._cfg
        below = self.matcher_.similarity_[i, j] < cfg.match_similarity
        if (i, j) not in getattr(self.matcher_, "paired_", []) and below:  # it read "cosine 0.83 ≥ 0.85"
            return (f"matched one-to-one with {near} ({sim}, under {cfg.match_similarity} but ≥ "
                    f"{cfg.piece_similarity}{ov}): recurring members confirm it")
        if (i, j) not in getattr(self.matcher_, "paired_", []):
            return f"matched one-to-one with {near} ({sim} ≥ {cfg.match_similarity}{ov})"
        m, unit = self.matcher_, self._base.unit or "member"
        if not np.isnan(m.overlap_[i, j]):
            C = m.counts_
            by = (f"{int(C[i, j])} of its {int(C[i].sum())} {unit}s found in both runs are in it and {int(C[i, j])} "
                  f"of that one's {int(C[:, j].sum())} came from it, more than from or to any other persona")
        else:
            by = (f"its sampled members' nearest members of the other run lie in it more than in any other "
                  f"({self.reach_base_[i, j]:.0%}), and theirs in it ({self.reach_new_[j, i]:.0%})")
        return (f"paired one-to-one with {near} ({sim}, under {cfg.match_similarity} but ≥ {cfg.piece_similarity}"
                f"{ov}): both were left without a match; {by}")

    def _why_continued(self, ratio: float | None, then, now) -> str:
        """Which rule kept a matched persona "continued": its share moved less than ``growth_ratio`` either way, or
        the two shares' intervals overlap; an analyst saw "within 1/1.5 or intervals overlap" beside intervals
        that did not (5.9 % (5.3–6.6 %) → 8.1 % (7.5–8.7 %): a clear change, under ×1.5)."""
        g = self._cfg.growth_ratio
        apart = then is not None and now is not None and (now.low > then.high or now.high < then.low)
        if ratio is not None and 1 / g < ratio < g:
            return (f"within ×{g} either way; the intervals do not overlap: a clear change, smaller than ×{g}"
                    if apart else f"within ×{g} either way")
        return "the intervals overlap: too few members to call it a change"


def _overlap_words(s: dict) -> str:
    """", member overlap 0.18" from a persona's scores, or nothing when too few members recur."""
    return f", member overlap {s['overlap']}" if s.get("overlap") is not None else ""


def _named(snapshot, k: int) -> str:
    """Persona ``k`` (an index) of a run snapshot as people find it: its id and name."""
    pid = int(snapshot.persona_ids[k])
    name = (snapshot.profiles.get(pid) or {}).get("name")
    return f"{pid} “{name}”" if name else str(pid)
