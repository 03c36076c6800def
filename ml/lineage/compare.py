"""Comparing two runs: lineage, population shift and movers in one ``Comparison``.

In: two ``RunSnapshot``s (``ml.lineage.snapshot``: base = the earlier run, new = the later one) and a
``LineageConfig``. Out (``RunComparer.fit(base, new).comparison_``, or ``compare_runs``): a
``ml.runtime.contracts.compare.Comparison``. Personas are matched by ``PersonaMatcher`` (centroid cosine,
Hungarian, confirmed by recurring members); a matched persona keeps its base persona's ``lineage_id``
and name (the name only while it still describes it: ``ml.lineage.names``) and is ``continued``, ``grown`` or ``shrunk`` (own share ratio ≥ ``growth_ratio`` with Wilson
intervals apart and, where both models keep a member sample, its base persona's placed share moved by that ratio
too: ``NewPersona.placed``; own shares alone that moved are ``share_recut``, a re-drawn edge); the main piece of a
split or merge keeps the lineage too, other pieces start one with the base lineage as parent; unmatched personas are ``born`` / ``died``.

The population shift (``shift``) is a PSI over one fixed binning, as PSI needs: the base run's personas.
Both runs' sampled members are placed on them by their nearest sampled base member
(``ml.lineage.neighbourhood.placed_shares``), and members novel against the base run (as ``ml.assign``
judges fresh texts) fill one more bucket, "novel". Where a model keeps no member sample (event runs), the
shift falls back to ``fit_shift``: PSI over the connected groups of linked personas with each run's own
shares, plus one bucket for the unmatched (died then, born now). That one moves when the population moves
*and* when two fits cut the same population differently (two random halves of the airline tweets:
0.08–0.24 over four seeds, against 0.01 placed), so it is kept as how far the two fits disagree; where most of either run is unmatched it reads "major" (its one
unmatched bucket held a complete turnover at PSI 0: ``ml.lineage.shift.turnover``).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from ml.lineage.config import LineageConfig
from ml.lineage.matching import PersonaMatcher
from ml.lineage.movers import choose_keys, crosstab, movers, recurring, written
from ml.lineage.names import (
    common_stems,
    distinct_names,
    event_name_still_fits,
    name_still_describes,
    name_still_fits,
    names_keep_their_lineages,
)
from ml.lineage.neighbourhood import nearest_members, placed_shares
from ml.lineage.reasons import ReasonWriter
from ml.lineage.run_notes import LATER_NOTE, later_baseline, same_members, same_members_note
from ml.lineage.samples import excess_novelty, member_samples, novel_masks, novel_shares, reaches
from ml.lineage.shift import (
    activity_change,
    adjusted_tone_changes,
    fingerprint_change,
    psi,
    share_ci,
    term_change,
    tone_change,
    turnover,
)
from ml.lineage.snapshot import RunSnapshot, aligned_centroids, check_comparable, run_ref
from ml.lineage.status import matched_status, placed_change
from ml.profile.name_share import MAX_TEXTS
from ml.runtime.contracts.compare import BasePersona, Comparison, Link, MembersNow, NewPersona, PlacedShares


def _components(m: int, links: list[tuple[int, int, str]]) -> list[tuple[set[int], set[int]]]:
    """Connected groups of linked personas (base indices, new indices)."""
    parent = list(range(m + 1 + max([j for _, j, _ in links], default=0)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _ in links:
        parent[find(i)] = find(m + j)
    groups: dict[int, tuple[set[int], set[int]]] = {}
    for i, j, _ in links:
        g = groups.setdefault(find(i), (set(), set()))
        g[0].add(i)
        g[1].add(j)
    return list(groups.values())


class RunComparer(ReasonWriter, BaseEstimator):
    """``fit(base, new)`` compares two runs; the result is ``comparison_``."""

    def __init__(self, config: LineageConfig | None = None):
        self.config = config

    def fit(self, base: RunSnapshot, new: RunSnapshot):
        cfg = self.config or LineageConfig()
        check_comparable(base, new)
        self._rows_by_persona = None  # the new run's members grouped by persona, when a kept name is checked
        self._run_texts = None  # an even sample of the new run's member texts, the base rate of a name's parts
        A, B = aligned_centroids(base, new)
        overlap_key, movers_key = choose_keys(base.members, new.members, base.unit, cfg.min_shared_members)
        pairs = recurring(base.members, new.members, overlap_key) if overlap_key != "none" else None
        counts = crosstab(pairs, base.persona_ids, new.persona_ids) if pairs is not None else None
        self._nb, self._nn = base.sizes(), new.sizes()
        self.common_stems_ = common_stems(new.profiles.values())  # words of most personas (ml.lineage.names)
        self._novel = novel_masks(base, new, cfg.novelty_quantile)
        nb, nn = member_samples(base, new)
        # the new sample's nearest base members, searched once for the placed shares and the reach
        into = nearest_members(nn, nb) if self._novel[1] is not None else None
        self._placed = None if into is None else placed_shares(nb, nn, base.persona_ids, cfg.novelty_quantile,
                                                               self._novel[1], into)
        self._placed_sizes = None if self._placed is None else (len(nb.vectors_), len(nn.vectors_))
        self.novel_base_, self.novel_new_ = novel_shares(base, new, cfg.novelty_quantile, self._novel)
        flag = (lambda x: None if x is None else x >= cfg.novel_persona_share)
        wanted = cfg.reach_share is not None or cfg.recut_novelty is not None or cfg.pair_leftovers
        self.reach_base_, self.reach_new_ = reaches(base, new, into) if wanted else (None, None)
        self.excess_base_, self.excess_new_ = (
            excess_novelty(nb, nn, base.persona_ids, new.persona_ids, cfg.novelty_quantile,
                           (self.novel_base_, self.novel_new_), (self.reach_base_, self.reach_new_))
            if cfg.recut_novelty is not None else (None, None))
        # the placed shares (persona buckets, then the novel bucket) and the sample sizes they were counted on
        placed = (None, None, None) if self._placed is None else (
            (self._placed[0][:-1], self._placed[1][:-1]), self._placed_sizes,
            (float(self._placed[0][-1]), float(self._placed[1][-1])))
        matcher = PersonaMatcher(cfg.match_similarity, cfg.piece_similarity, cfg.piece_margin,
                                 cfg.min_shared_members, cfg.min_overlap, cfg.piece_share, cfg.reach_share,
                                 cfg.recut_novelty, cfg.confidence, cfg.pair_leftovers).fit(
            A, B, counts, self._nb / max(1, base.n_members), self._nn / max(1, new.n_members),
            flag(self.novel_base_), flag(self.novel_new_), self.reach_base_, self.reach_new_,
            self.excess_base_, self.excess_new_, *placed)
        self.matcher_ = matcher
        self._cfg, self._base, self._new = cfg, base, new
        new_personas = distinct_names([self._new_persona(j) for j in range(len(new.persona_ids))])
        tones = adjusted_tone_changes([p.tone for p in new_personas])
        new_personas = [p.model_copy(update={"tone": t}) for p, t in zip(new_personas, tones, strict=True)]
        if new.kind != "events":  # event names are event labels: not judged (name_still_fits)
            new_personas = names_keep_their_lineages(
                new_personas, {base.lineage(b): base.name(b) for b in base.persona_ids}, new.profiles)
        base_personas = [self._base_persona(i, new_personas) for i in range(len(base.persona_ids))]
        lineage_now = {p.id: p.lineage_id for p in new_personas}
        lineage_then = {p.id: p.lineage_id for p in base_personas}
        mover_pairs = recurring(base.members, new.members, movers_key) if movers_key != "none" else None
        fit_shift = self._shift()
        self.comparison_ = Comparison(
            base=run_ref(base), new=run_ref(new), config=cfg.model_dump(mode="json"),
            counts=self._counts(base_personas, new_personas),
            base_personas=base_personas, new_personas=new_personas, links=self._links(),
            shift=self._placed_shift() or fit_shift, fit_shift=fit_shift, notes=self._notes(overlap_key),
            movers=movers(mover_pairs if mover_pairs is not None else recurring(base.members.iloc[:0],
                          new.members.iloc[:0], "member"), movers_key, lineage_then, lineage_now, cfg.max_moves,
                          {p.id: set(p.parent_lineage_ids) for p in new_personas},
                          written(base.members, new.members, movers_key)),
        )
        return self

    # -- per persona -------------------------------------------------------------------------------
    def _share(self, counts: np.ndarray, idx, total: int):
        return share_ci(int(sum(int(counts[k]) for k in idx)), total, self._cfg.confidence)

    def _partners(self, j: int) -> tuple[int | None, list[int]]:
        """(matched base index or None, every linked base index, the matched one first) of new index ``j``."""
        main = next((i for i, jj in self.matcher_.matches_ if jj == j), None)
        pieces = [i for i, jj, _ in self.matcher_.pieces_ if jj == j and i != main]
        return main, ([main] if main is not None else []) + pieces

    def _placed_change(self, i: int | None) -> PlacedShares | None:
        """Base persona ``i``'s placed shares (``ml.lineage.status.placed_change``); None without a member sample."""
        if i is None or self._placed is None:
            return None
        return placed_change(float(self._placed[0][i]), float(self._placed[1][i]), self._placed_sizes,
                             self._cfg.confidence)

    def _new_persona(self, j: int) -> NewPersona:
        base, new = self._base, self._new
        pid = int(new.persona_ids[j])
        main, linked = self._partners(j)
        now = self._share(self._nn, [j], new.n_members)
        then = self._share(self._nb, linked, base.n_members) if linked else None
        role = str(self.matcher_.new_role_[j])
        placed = self._placed_change(main) if role == "matched" else None
        status, share_recut = (("born", False) if then is None else (role, False) if role != "matched"
                               else matched_status(then, now, placed, self._cfg.growth_ratio))
        anchor = main if main is not None else (linked[0] if linked else None)
        keeps = main is not None
        lineage = base.lineage(base.persona_ids[main]) if keeps else new.lineage(pid)
        parents = [base.lineage(base.persona_ids[i]) for i in linked]
        scores = self._scores(anchor, j, then, now)
        base_name = base.name(base.persona_ids[main]) if keeps else None
        kept = base_name
        # event names are event labels and the namer's own words ("Heavy … users"): judged by those (names module)
        profile, own = new.profiles.get(pid) or {}, new.own_name(pid)
        if kept is not None and not (
                event_name_still_fits(kept, own, profile) if new.kind == "events" else
                name_still_fits(kept, profile, self.common_stems_)
                and name_still_describes(kept, profile, self._member_texts(pid), self._sample_texts(),
                                         self._cfg.growth_ratio)):
            kept = None  # the lineage goes on under this run's name: the old one no longer says what it is
        renamed = keeps and kept is None and base_name != own
        # a piece or a merger holds other people than its parent, and so may a match whose old name no longer
        # fits it (a re-runs review: "Detail-quoting: flight & Thanks" linked to a delay persona, "more negative
        # 12% → 37%", while delay tweets read as negative as before): no tone then → now
        same_people = status in ("continued", "grown", "shrunk") and not renamed
        changes = self._changes(anchor, pid, same_people) if anchor is not None else {}
        return NewPersona(
            id=pid, name=kept or own, own_name=own, renamed_from=base_name if renamed else None,
            lineage_id=lineage, parent_lineage_ids=parents, status=status,
            base_ids=[int(base.persona_ids[i]) for i in linked], then=then, now=now,
            share_change=round(now.share - then.share, 6) if then is not None and status != "split" else None,
            scores=scores, confirmed=self._confirmed(anchor, j), placed=placed, share_recut=share_recut,
            reason=(self._share_recut_reason(anchor, j, scores, (then, now), placed) if share_recut
                    else self._reason(status, anchor, j, scores, (then, now))),
            recut=any(jj == j and kind == "split" for _, jj, kind in self.matcher_.recut_), **changes,
        )

    def _member_texts(self, pid: int) -> list[str]:
        """The new run's member texts of persona ``pid``, the first ``MAX_TEXTS`` (what ``name_share`` reads; none
        where the snapshot keeps no text); the members are grouped by persona once per comparison."""
        m = self._new.members
        if "text" not in m:
            return []
        if self._rows_by_persona is None:
            self._rows_by_persona = m.groupby("persona_id").indices
        rows = self._rows_by_persona.get(pid, [])[:MAX_TEXTS]
        return [t for t in m["text"].to_numpy()[rows].tolist() if isinstance(t, str)]

    def _sample_texts(self) -> list[str]:
        """Up to ``MAX_TEXTS`` of the new run's member texts, evenly spaced over its members (none where the
        snapshot keeps no text): how often the run as a whole writes a kept name's words."""
        if self._run_texts is None:
            m = self._new.members
            texts = m["text"].to_numpy() if "text" in m else np.array([], dtype=object)
            rows = np.unique(np.linspace(0, len(texts) - 1, min(MAX_TEXTS, len(texts))).astype(np.int64))
            self._run_texts = [t for t in texts[rows].tolist() if isinstance(t, str)] if len(texts) else []
        return self._run_texts

    def _scores(self, i: int | None, j: int, then, now) -> dict[str, float | None]:
        col = self.matcher_.similarity_[:, j]
        if col.size == 0:
            return {"similarity": None, "next_similarity": None, "overlap": None, "share_ratio": None}
        order = np.argsort(-col)
        best = int(order[0]) if i is None else i
        others = [k for k in order if k != best]
        ov = self.matcher_.overlap_[best, j]
        novel = None if self.novel_new_ is None else round(float(self.novel_new_[j]), 4)
        return {
            "novel_share": novel,
            "similarity": round(float(col[best]), 4),
            "next_similarity": round(float(col[others[0]]), 4) if others else None,
            "overlap": None if np.isnan(ov) else round(float(ov), 4),
            "share_ratio": round(now.share / then.share, 4) if then is not None and then.share > 0 else None,
        }

    def _confirmed(self, i: int | None, j: int) -> bool | None:
        if i is None:
            return None
        c = int(self.matcher_.confirmed_[i, j])
        return None if c == 0 else c > 0

    def _changes(self, i: int, pid: int, tone: bool = True) -> dict:
        a = self._base.profiles.get(int(self._base.persona_ids[i]), {})
        b = self._new.profiles.get(pid, {})
        return {"activity": activity_change(a.get("activity"), b.get("activity")),
                "terms": term_change(a, b, self._cfg.top_terms), "fingerprint": fingerprint_change(a, b),
                "tone": tone_change(a, b, (self._new.config.get("profile") or {}).get("min_effect", 0.2))
                if tone else None}

    def _base_persona(self, i: int, new_personas: list[NewPersona]) -> BasePersona:
        pid = int(self._base.persona_ids[i])
        children = [p for p in new_personas if pid in p.base_ids]
        role = self.matcher_.base_role_[i]
        main = next((p for p in children if p.lineage_id == self._base.lineage(pid)), None)
        status = main.status if role == "matched" and main is not None else str(role)
        then = self._share(self._nb, [i], self._base.n_members)
        where = ", ".join(f"{p.id} “{p.name}” ({p.status})" for p in children) or "none"
        why = f"{status}: new personas {where}"
        S = getattr(self.matcher_, "similarity_", None)
        if status == "died" and S is not None and S.shape[1]:  # "died: new personas none" said nothing (a review)
            j = int(np.argmax(S[i]))
            why = (f"died: no new persona matches it or is its piece; the nearest is {self._new_named(j)}"
                   f" at cosine {S[i, j]:.3f} (a match needs ≥ "
                   f"{self._cfg.match_similarity} and a free partner, a piece ≥ {self._cfg.piece_similarity})"
                   f"{self._why_not_linked(i, j)}")
        if self.matcher_.novel_base_[i]:
            why += (f"; {self.novel_base_[i]:.0%} of its members lie where the new run has none (novel, ≥ "
                    f"{self._cfg.novel_persona_share:.0%})")
        recut = [j for ii, j, kind in self.matcher_.recut_ if ii == i and kind == "merge"]
        if recut and self.excess_base_[i] >= self._cfg.recut_novelty:  # re-cut because its placed share held
            then_p, now_p = self._placed[0][i], self._placed[1][i]
            why += (f"; a re-cut, not gone: with both runs' members placed on the baseline's personas its share held "
                    f"({then_p:.1%} → {now_p:.1%}, within sampling error), though {self.novel_base_[i]:.0%} of its "
                    f"members lie where the new run has none; their nearest new members are mostly in persona "
                    f"{int(self._new.persona_ids[recut[0]])}")
        elif recut:
            why += (f"; a re-cut, not gone: {self.novel_base_[i]:.0%} of its members lie where the new run has none, "
                    f"{self.excess_base_[i]:+.1%} against the new run's own members where they land (a re-cut "
                    f"below +{self._cfg.recut_novelty:.1%}), and their nearest new members are mostly in persona "
                    f"{int(self._new.persona_ids[recut[0]])}")
        went = self._members_went(i) if status == "died" else None
        if went is not None:
            name = (self._new.profiles.get(went.persona_id) or {}).get("name")
            why += (f"; {went.n} of its {went.of} {self._base.unit or 'member'}s found in both runs are now in "
                    f"{went.persona_id}"
                    f"{f' “{name}”' if name else ''} ({self._went_why()}; the persona did not carry on)")
        return BasePersona(id=pid, name=self._base.name(pid), lineage_id=self._base.lineage(pid), status=status,
                           new_ids=[p.id for p in children], then=then, reason=why, recut=bool(recut),
                           members_now=went)

    def _went_why(self) -> str:
        """Why a died persona's recurring members are elsewhere: a message recurs unchanged, so it was cut differently
        ("their behaviour changed" was said of messages with the same text and time in both runs: an explorer
        review); an author or a thread may also have written differently since."""
        unit = self._base.unit or "message"
        if unit == "message":
            return "the same messages, grouped differently this run"
        if unit == "user":  # an event run's users log events, they write nothing
            return "their events changed since, or they were grouped differently this run"
        return "they wrote differently since, or were grouped differently this run"

    def _members_went(self, i: int) -> MembersNow | None:
        """For a died persona whose members recur: the new persona most of them are in now, so the page's "gone"
        does not read as the people leaving (an events review: a quiz persona of one course's first half was gone
        while the movers table showed its students among the second half's typical users); None when too few
        recur."""
        C = self.matcher_.counts_
        row = C[i] if C.size else np.zeros(0)
        if not row.size or row.sum() < self._cfg.min_shared_members:
            return None
        j = int(np.argmax(row))
        return MembersNow(persona_id=int(self._new.persona_ids[j]), n=int(row[j]), of=int(row.sum()))

    # -- run level ----------------------------------------------------------------------------------
    def _links(self) -> list[Link]:
        M, out = self.matcher_, []
        for i, j, kind in M.links():
            ov = M.overlap_[i, j]
            out.append(Link(base_id=int(self._base.persona_ids[i]), new_id=int(self._new.persona_ids[j]), kind=kind,
                            similarity=round(float(M.similarity_[i, j]), 4),
                            overlap=None if np.isnan(ov) else round(float(ov), 4),
                            shared_members=int(M.counts_[i, j])))
        return out

    def _shift(self):
        nb, nn = self._nb / max(1, self._base.n_members), self._nn / max(1, self._new.n_members)
        buckets, seen_b, seen_n = [], set(), set()
        for bs, ns in _components(len(nb), self.matcher_.links()):
            name = "+".join(str(int(self._new.persona_ids[j])) for j in sorted(ns))
            buckets.append((f"now {name}", float(nb[list(bs)].sum()), float(nn[list(ns)].sum())))
            seen_b |= bs
            seen_n |= ns
        died = [i for i in range(len(nb)) if i not in seen_b]
        born = [j for j in range(len(nn)) if j not in seen_n]
        buckets.append(("unmatched", float(nb[died].sum()), float(nn[born].sum())))
        c = self._cfg
        return turnover(psi(buckets, c.psi_moderate, c.psi_major, c.psi_floor, basis="linked"))

    def _placed_shift(self):
        """PSI over the base run's personas, plus a "novel" bucket, of both runs' sampled members placed with the
        base model (``placed_shares``); None unless both models keep a member sample."""
        c, placed = self._cfg, self._placed
        if placed is None:
            return None
        names = [f"then {int(p)}" for p in self._base.persona_ids] + ["novel"]
        buckets = [(name, float(a), float(b)) for name, a, b in zip(names, *placed)]
        return psi(buckets, c.psi_moderate, c.psi_major, c.psi_floor, basis="placed")

    def _counts(self, base_personas, new_personas) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in base_personas:
            out[f"base_{p.status}"] = out.get(f"base_{p.status}", 0) + 1
        for p in new_personas:
            out[f"new_{p.status}"] = out.get(f"new_{p.status}", 0) + 1
        return dict(sorted(out.items()))

    def _notes(self, overlap_key: str) -> list[str]:
        same = [same_members_note(self._base, self._new)] if same_members(self._base, self._new) else []
        same += [LATER_NOTE] if later_baseline(self._base, self._new) else []
        if overlap_key == "none":
            return [*same, "too few members recur in both runs: matches rest on centroid similarity alone"]
        what = {"member": "member ids", "text": "identical texts"}[overlap_key]
        return [*same, f"matches confirmed by recurring {what}"]


def compare_runs(base: RunSnapshot, new: RunSnapshot, config: LineageConfig | None = None) -> Comparison:
    """The ``Comparison`` of ``new`` against ``base`` (see the module docstring)."""
    return RunComparer(config).fit(base, new).comparison_
