"""Neighbourhood novelty (ml.lineage.neighbourhood): fresh texts near a run's members are not novel, a new
topic next to a known one is, a batch concentrated on a few known topics is not; the member sample is
bounded; a persona whose members are novel against the other run is born / died whatever its centroid."""

from __future__ import annotations

import numpy as np
import pytest

from ml.lineage.compare import excess_novelty
from ml.lineage.matching import PersonaMatcher
from ml.lineage.neighbourhood import NeighbourhoodNovelty, neighbour_reach, novel_persona_shares, own_tail_shares

DIM = 32


def _unit(X: np.ndarray) -> np.ndarray:
    return X / np.linalg.norm(X, axis=-1, keepdims=True)


def _centres(n: int, rng) -> np.ndarray:
    return _unit(rng.normal(size=(n, DIM)))


def _beside(c: np.ndarray, cos: float, rng) -> np.ndarray:
    """A unit vector at cosine ``cos`` from ``c``."""
    o = rng.normal(size=DIM)
    o = _unit(o - (o @ c) * c)
    return cos * c + np.sqrt(1 - cos**2) * o


def _members(centres: np.ndarray, per: int, rng, spread: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    X = np.vstack([_unit(c + spread * rng.normal(size=(per, DIM)) / np.sqrt(DIM) * 3) for c in centres])
    return X, np.repeat(np.arange(len(centres)), per)


def test_new_topic_beside_a_known_one_is_novel_known_texts_are_not():
    rng = np.random.default_rng(0)
    known = _centres(10, rng)
    run, labels = _members(known, 150, rng)
    det = NeighbourhoodNovelty().fit(run, labels)
    held_back, _ = _members(known, 60, rng)
    new_topic, _ = _members(np.array([_beside(known[0], 0.8, rng)]), 80, rng)
    # a per-text centroid radius misses it: many texts of the new topic are nearer known[0] than its members
    assert np.mean(1 - new_topic @ known[0] > np.quantile(1 - run[labels == 0] @ known[0], 0.98)) < 0.8
    assert det.novel(new_topic, 0.98).mean() >= 0.8
    assert det.novel(held_back, 0.98).mean() <= 0.1
    # a batch concentrated on two known topics is a shift of shares, not novelty
    two, _ = _members(known[:2], 200, rng)
    assert det.novel(two, 0.98).mean() <= 0.1
    # mixed into a batch of known texts, the new topic is still found
    mixed = det.novel(np.vstack([held_back, new_topic]), 0.98)
    assert mixed[len(held_back):].mean() >= 0.8 and mixed[: len(held_back)].mean() <= 0.1


def test_member_sample_is_bounded_and_keeps_persona_ids():
    rng = np.random.default_rng(1)
    run, labels = _members(_centres(4, rng), 300, rng)
    det = NeighbourhoodNovelty(max_members=500, random_state=3).fit(run, labels * 10)
    assert det.vectors_.shape == (500, DIM) and det.vectors_.dtype == np.float16
    assert det.n_members_ == 1200 and set(det.labels_) == {0, 10, 20, 30} and len(det.reference_) == 500
    again = NeighbourhoodNovelty(max_members=500, random_state=3).fit(run, labels * 10)
    assert np.array_equal(det.vectors_, again.vectors_)
    assert det.scores(run[:0]).shape == (0,)


def test_novel_persona_is_born_and_its_lookalike_died():
    rng = np.random.default_rng(2)
    known = _centres(6, rng)
    run_a, lab_a = _members(known, 100, rng)
    # run B: topics 1..5 again, and in place of topic 0 a new topic at cosine 0.8 of it
    fresh = np.vstack([_beside(known[0], 0.8, rng), known[1:]])
    run_b, lab_b = _members(fresh, 100, rng)
    det_a, det_b = NeighbourhoodNovelty().fit(run_a, lab_a), NeighbourhoodNovelty().fit(run_b, lab_b)
    ids = np.arange(6)
    novel_b = novel_persona_shares(det_a, det_b, ids, 0.98)
    novel_a = novel_persona_shares(det_b, det_a, ids, 0.98)
    assert novel_b[0] >= 0.5 and (novel_b[1:] < 0.5).all() and novel_a[0] >= 0.5 and (novel_a[1:] < 0.5).all()
    cents_a = _unit(np.vstack([run_a[lab_a == k].mean(0) for k in ids]))
    cents_b = _unit(np.vstack([run_b[lab_b == k].mean(0) for k in ids]))
    assert (cents_a[0] @ cents_b[0]) >= 0.75  # close enough to be a split piece by centroid alone
    plain = PersonaMatcher(match_similarity=0.75, piece_similarity=0.7).fit(cents_a, cents_b)
    assert plain.new_role_[0] != "born"
    m = PersonaMatcher(match_similarity=0.75, piece_similarity=0.7).fit(
        cents_a, cents_b, novel_base=novel_a >= 0.5, novel_new=novel_b >= 0.5)
    assert m.new_role_[0] == "born" and m.base_role_[0] == "died"
    assert all(m.new_role_[k] == "matched" for k in range(1, 6))


def test_a_sampled_fit_normalises_only_the_sample():
    """Above max_members the sample is drawn first and only its rows are normalised (a 1M run made a
    normalised float32 copy of every embedding here, +1.5 GB): the same sample vectors as normalising all."""
    from ml.lineage.neighbourhood import unit_rows

    rng = np.random.default_rng(0)
    V = (rng.normal(size=(2000, 16)) * rng.uniform(0.5, 3, size=(2000, 1))).astype(np.float32)
    det = NeighbourhoodNovelty(max_members=300, random_state=1).fit(V, np.arange(2000) % 4)
    keep = np.sort(np.random.default_rng(1).choice(2000, 300, replace=False))
    assert det.n_members_ == 2000 and det.vectors_.shape == (300, 16)
    assert np.array_equal(det.vectors_, unit_rows(V)[keep].astype(np.float16))
    assert np.array_equal(det.labels_, (np.arange(2000) % 4)[keep])


def test_placed_shares_see_the_population_not_the_clustering():
    """Two samples of one population placed on the base personas give the same shares whatever labels the new
    run gave its members; a topic that doubles, or a new one placed on its nearest persona, shows."""
    from ml.lineage.neighbourhood import placed_shares
    from ml.lineage.shift import psi

    rng = np.random.default_rng(3)
    known = _centres(6, rng)
    X, y = _members(known, 200, rng)
    base = NeighbourhoodNovelty(smooth=5).fit(X, y)
    ids = np.arange(6)
    same, _ = _members(known, 200, rng)
    halves = NeighbourhoodNovelty(smooth=5).fit(same, np.zeros(len(same), dtype=int))  # one "persona": no matter
    then, now = placed_shares(base, halves, ids)
    np.testing.assert_allclose(then.sum(), 1.0) and np.testing.assert_allclose(now.sum(), 1.0)
    assert psi([(str(i), a, b) for i, a, b in zip(ids, then, now)]).psi < 0.02

    grown = np.vstack([same, _members(known[:1], 400, rng)[0]])  # topic 0 is now 3x as common
    _, now_grown = placed_shares(base, NeighbourhoodNovelty(smooth=5).fit(grown), ids)
    assert now_grown[0] > 2 * then[0]
    assert psi([(str(i), a, b) for i, a, b in zip(ids, then, now_grown)]).psi > 0.1  # moderate or more
    assert placed_shares(NeighbourhoodNovelty(smooth=5).fit(X), halves, ids) is None  # base without labels
    assert placed_shares(base, NeighbourhoodNovelty(smooth=5).fit(np.eye(4, 8)), ids) is None  # other space


def test_placed_shares_put_a_new_topic_in_the_novel_bucket():
    """With a quantile, members unlike anything in the base run fill a last "novel" bucket instead of being spread
    over their nearest personas; a sample of the base population keeps it at the base's own tail, and so does
    the base sample itself (its texts recur: distance 0, never novel, yet no shift)."""
    from ml.lineage.neighbourhood import placed_shares
    from ml.lineage.shift import psi

    rng = np.random.default_rng(5)
    known = _centres(6, rng)
    X, y = _members(known, 200, rng)
    base = NeighbourhoodNovelty(smooth=5).fit(X, y)
    ids, q = np.arange(6), 0.98
    tail = float((base.reference_ > base.threshold(q)).mean())
    same, _ = _members(known, 200, rng)
    then, now = placed_shares(base, NeighbourhoodNovelty(smooth=5).fit(same), ids, quantile=q)
    assert then.shape == now.shape == (7,) and abs(then.sum() - 1) < 1e-9 and abs(now.sum() - 1) < 1e-9
    assert then[-1] == tail and now[-1] < 0.1
    mixed = NeighbourhoodNovelty(smooth=5).fit(X, rng.integers(0, 6, len(X)))  # labels that mix at every point
    then_q, own = placed_shares(mixed, NeighbourhoodNovelty(smooth=5).fit(X), ids, quantile=q)
    assert own[-1] == tail  # recurring texts are never novel: not read as less novelty than the base's tail
    # a run compared with itself: each copy is placed past itself, as the base's own members are, so the shares
    # are the same (a re-runs review read PSI 0.03 and "Brief: come & home 1.8% → 3.8%" from p2 against p2)
    np.testing.assert_array_equal(own, then_q)
    half = NeighbourhoodNovelty(smooth=5).fit(np.vstack([X[::2], same[1::2]]))  # half the texts recur
    _, overlap = placed_shares(mixed, half, ids)
    assert psi([(str(i), a, b) for i, a, b in zip(ids, then_q[:-1] / then_q[:-1].sum(), overlap)]).psi < 0.02

    fresh = np.vstack([same, _members(_centres(2, rng), 300, rng)[0]])  # two topics the base never had: 33 %
    _, moved = placed_shares(base, NeighbourhoodNovelty(smooth=5).fit(fresh), ids, quantile=q)
    assert moved[-1] > 0.25 and moved[:-1].sum() < 0.75
    buckets = [(str(i), a, b) for i, a, b in zip([*ids, "novel"], then, moved)]
    assert psi(buckets).level == "major" and max(psi(buckets).buckets, key=lambda b: b.contribution).bucket == "novel"


def _scattered(c: np.ndarray, n: int, rng) -> np.ndarray:
    """Members around ``c`` at very different distances (a loose persona, like short thank-you tweets)."""
    scale = rng.uniform(0.1, 1.5, size=(n, 1))
    return _unit(c + scale * rng.normal(size=(n, DIM)) / np.sqrt(DIM) * 3)


def test_a_loose_persona_holds_more_of_its_runs_own_tail_and_explains_a_recuts_novelty():
    """``own_tail_shares``: the run's own 2 % tail lies in its loose persona; a fresh batch of the same
    population has that persona's conversations novel above 2 % (the raw share would call them new), but
    hardly beyond that persona's own members (``excess_novelty``), while a new topic's excess stays large."""
    rng = np.random.default_rng(0)
    known = _centres(6, rng)
    tight, tight_labels = _members(known[:5], 200, rng, spread=0.2)
    base = NeighbourhoodNovelty().fit(np.vstack([tight, _scattered(known[5], 200, rng)]),
                                      np.r_[tight_labels, np.full(200, 5)])
    tails = own_tail_shares(base, np.arange(6), 0.98)
    assert tails[5] > 0.1 and tails[:5].max() == 0.0

    fresh_tight, fresh_labels = _members(known[:5], 200, rng, spread=0.2)  # the same population again …
    new_topic, _ = _members(_centres(1, rng), 200, rng, spread=0.2)  # … and one topic the base lacks
    batch = np.vstack([fresh_tight, _scattered(known[5], 200, rng), new_topic])
    new = NeighbourhoodNovelty().fit(batch, np.r_[fresh_labels, np.full(200, 5), np.full(200, 6)])
    ids_b, ids_n = np.arange(6), np.arange(7)
    novel = (novel_persona_shares(new, base, ids_b, 0.98), novel_persona_shares(base, new, ids_n, 0.98))
    reach = (neighbour_reach(base, new, ids_b, ids_n), neighbour_reach(new, base, ids_n, ids_b))
    _, excess_new = excess_novelty(base, new, ids_b, ids_n, 0.98, novel, reach)
    assert novel[1][5] >= 0.05  # above the re-cut threshold on its own …
    assert excess_new[5] < 0.05 <= 0.5 < excess_new[6]  # … but not beyond its own members; the new topic is
    assert novel[1][5] - excess_new[5] == pytest.approx(reach[1][5] @ tails)


def test_kth_and_neighbours_is_the_exact_search_with_duplicates():
    from ml.lineage.neighbourhood import _kth_and_neighbours, unit_rows

    rng = np.random.default_rng(4)
    X = unit_rows(rng.normal(size=(300, DIM)))
    X[10:14] = X[9]  # five equal rows: each one's nearest other row is at distance 0
    D = 1.0 - X @ X.T
    np.fill_diagonal(D, np.inf)
    for k in (1, 3):
        kth, nbrs = _kth_and_neighbours(X, X, k, 7, self_in_r=True)
        np.testing.assert_allclose(kth, np.sort(D, axis=1)[:, k - 1], atol=1e-5)
        assert kth[9] < 1e-5 and kth[12] < 1e-5
        rows = np.arange(len(X))
        assert (nbrs == rows[:, None]).any(axis=1).all()  # itself always among its own neighbours
        others = np.sort(D, axis=1)[:, 5]  # the 6 nearest others, beside itself
        got = np.where(nbrs == rows[:, None], -np.inf, D[rows[:, None], nbrs]).max(axis=1)
        assert (got <= others + 1e-5).all()
    F = unit_rows(rng.normal(size=(40, DIM)))
    kth, none = _kth_and_neighbours(F, X, 2, 0, self_in_r=False)
    assert none is None
    np.testing.assert_allclose(kth, np.sort(1.0 - F @ X.T, axis=1)[:, 1], atol=1e-5)
