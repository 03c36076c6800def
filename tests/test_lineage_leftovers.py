"""Leftover pairs (``PersonaMatcher._leftover_pairs``, ``LineageConfig.pair_leftovers``): a persona left unmatched on
each side, at ``piece_similarity`` or more but under ``match_similarity``, continues when each is where most of
the other's members are; a died and a born persona otherwise. The labelled measurement is in docs/drift.md."""

from __future__ import annotations

import numpy as np

from ml.lineage import LineageConfig, compare_runs
from tests.test_lineage import _near, _snapshot, _topics


def _runs(x_to: dict[int, int], to_y: dict[int, int]):
    """Base: topics 0, 1, 2 (persona 2 = X, 40 members). New: 0, 1 and Y at cosine 0.83 from X. ``x_to``: how many of
    X's members recur in new persona k (the rest are gone); ``to_y``: how many of base persona k's members (0, 1) recur
    in Y instead of their own persona. Y gets 20 fresh members too."""
    T = _topics(3, seed=3)
    ids_a = [[f"a{k}" for k in range(100)], [f"b{k}" for k in range(100)], [f"x{k}" for k in range(40)]]
    xs, moved = iter(ids_a[2]), {k: ids_a[k][:to_y.get(k, 0)] for k in (0, 1)}
    x_now = {k: [next(xs) for _ in range(n)] for k, n in x_to.items()}
    ids_b = [ids_a[k][to_y.get(k, 0):] + x_now.get(k, []) for k in (0, 1)]
    ids_b.append(moved[0] + moved[1] + x_now.get(2, []) + [f"y{k}" for k in range(20)])
    base = _snapshot("A", T, [100, 100, 40], ids_a)
    new = _snapshot("B", np.vstack([T[0], T[1], _near(T[2], 0.83, 9)]), [len(i) for i in ids_b], ids_b)
    return base, new


def test_a_re_drawn_persona_whose_members_went_together_continues():
    """A cumulative series of conversations (each export holds the earlier ones) had "Frequent: help & phone number"
    die and "Long-thread: internet & new" be born at cosine 0.848, with the plurality of the first's recurring
    conversations in the second: one persona whose edges the new fit re-drew."""
    # X's recurring members: 16 in Y, 15 and 5 elsewhere (44 %); Y's: 16 from X, 12 and 8 from others (44 %): under
    # min_overlap both ways, so neither confirmed nor contradicted, yet each is the other's plurality
    base, new = _runs({2: 16, 1: 15, 0: 5}, {1: 12, 0: 8})
    c = compare_runs(base, new, LineageConfig())
    y = next(p for p in c.new_personas if p.id == 2)
    assert y.status in ("continued", "grown", "shrunk") and y.lineage_id == "A/2" and y.base_ids == [2], y.reason
    assert "paired one-to-one with nearest base persona 2" in y.reason
    assert "16 of its 36 messages found in both runs are in it and 16 of that one's 36 came from it" in y.reason
    assert "under 0.85 but ≥ 0.8" in y.reason
    assert {p.id: p.status for p in c.base_personas}[2] != "died"
    off = compare_runs(base, new, LineageConfig(pair_leftovers=False))  # the rule before: a death and a birth
    assert {p.id: p.status for p in off.base_personas}[2] == "died"
    assert {p.id: p.status for p in off.new_personas}[2] == "born"


def test_members_that_went_elsewhere_keep_the_death_and_the_birth():
    """Most of X's recurring members are in another persona, and most of Y's came from another: no pair."""
    base, new = _runs({2: 10, 1: 14, 0: 6}, {1: 12, 0: 4})
    c = compare_runs(base, new, LineageConfig())
    assert {p.id: p.status for p in c.base_personas}[2] == "died"
    assert {p.id: p.status for p in c.new_personas}[2] == "born"
    assert not any("paired one-to-one" in p.reason for p in c.new_personas)


def test_a_match_that_recurring_members_confirm_under_the_match_cosine_says_so():
    """A match made at cosine 0.83 because recurring members confirm it read "cosine 0.83 ≥ 0.85" in its reason."""
    base, new = _runs({2: 30}, {})
    y = next(p for p in compare_runs(base, new, LineageConfig()).new_personas if p.id == 2)
    assert y.lineage_id == "A/2" and "≥ 0.85" not in y.reason, y.reason
    assert "under 0.85 but ≥ 0.8, member overlap" in y.reason and "recurring members confirm it" in y.reason


def test_a_re_cut_whose_members_land_as_often_in_two_personas_joins_the_one_not_contradicted():
    """The re-cut rule joins an unmatched persona to the matched one most of its members land in. A cumulative
    conversation series had "Customer service (help)" born with its members landing as often (0.18) in
    "Customer service", which its recurring members contradict, as in the persona they came from: the first of
    the tie was taken and then dropped as contradicted. A tie now goes to the uncontradicted one."""
    from ml.lineage.matching import PersonaMatcher

    A = np.eye(3)
    B = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]])  # new 2 is near no base persona
    counts = np.array([[30, 0, 1], [0, 30, 5], [0, 0, 0]])  # new 2's recurring members: 5 from base 1, 1 from base 0
    shares = np.array([0.4, 0.4, 0.2])
    kw = {"counts": counts, "base_shares": shares, "new_shares": shares,
              "reach_base": np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]),
              "reach_new": np.array([[1.0, 0, 0], [0, 1.0, 0], [0.4, 0.4, 0.2]]),  # new 2: a tie of base 0 and 1
              "novelty_base": np.array([0.0, 0.0, 0.9]), "novelty_new": np.array([0.0, 0.0, 0.01]),
              "placed": (shares, np.array([0.4, 0.4, 0.0])), "placed_sizes": (2400, 2400), "placed_novel": (0.02, 0.02)}
    m = PersonaMatcher(recut_novelty=0.05).fit(A, B, **kw)
    assert m.confirmed_[0, 2] == -1 and m.confirmed_[1, 2] >= 0
    assert m.recut_ == [(1, 2, "split")] and m.new_role_.tolist() == ["matched", "split", "split"]
    assert m.base_role_.tolist()[2] == "died"  # base 2's placed share fell: gone


def test_a_tie_is_no_plurality_and_a_novel_persona_is_never_paired():
    """X's recurring members split evenly between Y and another persona: no pair (a review built a 4/4/4 split that
    was paired and read "each is where most of the other's are"). A novel persona is never paired either."""
    base, new = _runs({2: 12, 1: 12, 0: 5}, {1: 12, 0: 8})
    tied = compare_runs(base, new, LineageConfig())
    assert {p.id: p.status for p in tied.base_personas}[2] == "died"
    from ml.lineage.matching import PersonaMatcher

    A, B = base.centroids, new.centroids
    counts = np.array([[92, 0, 8], [0, 88, 12], [5, 15, 16]])  # X: 16 to Y, 15 and 5 elsewhere; Y: 16 of 36
    plain = PersonaMatcher(pair_leftovers=True).fit(A, B, counts)
    assert plain.paired_ == [(2, 2)]
    novel = PersonaMatcher(pair_leftovers=True).fit(A, B, counts, novel_new=np.array([False, False, True]))
    assert novel.paired_ == [] and novel.new_role_[2] == "born"


def test_without_recurring_members_the_pair_rests_on_where_members_land():
    """No member recurs (two samples of one population): the pair needs each one's sampled members' nearest members
    of the other run to lie in the other more than in any other persona."""
    from ml.lineage.matching import PersonaMatcher

    T = _topics(3, seed=3)
    A, B = T, np.vstack([T[0], T[1], _near(T[2], 0.83, 9)])
    eye = np.eye(3)
    land = eye.copy()
    land[2], back = [0.1, 0.2, 0.7], eye.copy()
    back[2] = [0.2, 0.1, 0.7]
    m = PersonaMatcher(pair_leftovers=True).fit(A, B, reach_base=land, reach_new=back)
    assert m.paired_ == [(2, 2)] and m.new_role_.tolist() == ["matched"] * 3
    back[2] = [0.35, 0.0, 0.35]  # Y's members land as often in base 0 as in X: no plurality
    m = PersonaMatcher(pair_leftovers=True).fit(A, B, reach_base=land, reach_new=back)
    assert m.paired_ == [] and m.base_role_[2] == "died" and m.new_role_[2] == "born"
    assert PersonaMatcher(pair_leftovers=True).fit(A, B).paired_ == []  # nothing to go by: no pair
