"""Grown / shrunk needs the placed shares to agree (``ml.lineage.status.matched_status``): a fit that only
draws a persona's edges elsewhere keeps it "continued" (``NewPersona.share_recut``), a kind of conversation that
really grew is still "grown". Synthetic runs whose truth is known; the labelled measurement is
``scripts/eval_share_change.py`` (docs/drift.md)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from ml.lineage import compare_runs
from ml.lineage.neighbourhood import NeighbourhoodNovelty
from ml.lineage.snapshot import RunSnapshot

DIM = 32


def _unit(X: np.ndarray) -> np.ndarray:
    return X / np.linalg.norm(X, axis=-1, keepdims=True)


def _members(centres: np.ndarray, sizes: list[int], rng) -> tuple[np.ndarray, np.ndarray]:
    X = np.vstack([_unit(c + 0.35 * rng.normal(size=(n, DIM)) / np.sqrt(DIM) * 3) for c, n in zip(centres, sizes)])
    return X, np.repeat(np.arange(len(centres)), sizes)


def _snapshot(run_id: str, X: np.ndarray, labels: np.ndarray) -> RunSnapshot:
    """A run whose persona ``k`` holds the rows labelled ``k``, with a persona model that keeps a member sample."""
    ids = np.unique(labels)
    members = pd.DataFrame({"member_id": [f"{run_id}-{k}" for k in range(len(X))], "persona_id": labels,
                            "author": None, "text_key": None})
    profiles = {int(p): {"id": int(p), "name": f"{run_id} persona {p}",
                         "top_terms": [{"term": "persona"}] + [{"term": f"t{p}_{k}"} for k in range(5)]} for p in ids}
    return RunSnapshot(run_id=run_id, kind="conversations", unit="message", space="all-MiniLM-L6-v2",
                       persona_ids=ids, centroids=_unit(np.vstack([X[labels == p].mean(0) for p in ids])),
                       members=members, profiles=profiles,
                       model=SimpleNamespace(novelty=NeighbourhoodNovelty(smooth=5).fit(X, labels)))


def test_a_persona_the_fit_drew_smaller_continued_and_real_growth_is_grown():
    """The airline tweets split by date called "JFK & Late flight" shrunk (4.0 → 1.6 % of each fit's own members)
    while its tweets, placed on the baseline's personas, held (3.5 → 3.4 %): the new fit had drawn its edge
    elsewhere. Here run B is the same population, but its fit gave 160 of topic 0's members to persona 1, which
    lies beside it: both own shares move past ×1.5, the placed shares do not, so both continue, flagged and
    explained. Run C has topic 0 three times as common, fitted as it is: grown on both measures."""
    rng = np.random.default_rng(0)
    centres = _unit(rng.normal(size=(5, DIM)))
    centres[1] = _unit(centres[0] + 0.6 * centres[1])  # persona 1 beside persona 0: the fit may move the edge
    base = _snapshot("A", *_members(centres, [300] * 5, rng))
    X, y = _members(centres, [300] * 5, rng)
    near = np.flatnonzero(y == 0)[np.argsort(-(X[y == 0] @ centres[1]))[:160]]  # those nearest persona 1
    y = y.copy()
    y[near] = 1
    redrawn = compare_runs(base, _snapshot("B", X, y))
    p = {q.id: q for q in redrawn.new_personas}
    assert p[0].now.share < p[0].then.share / 1.5 and p[1].now.share > 1.5 * p[1].then.share  # own shares moved
    for k in (0, 1):
        assert p[k].status == "continued" and p[k].share_recut, (k, p[k].status, p[k].reason)
        assert p[k].placed is not None and p[k].placed.then.share / 1.5 < p[k].placed.now.share < 1.5 * p[k].placed.then.share
        assert "re-drew its edges" in p[k].reason and f"{p[k].placed.then.share:.1%} → " in p[k].reason
    assert "smaller" in p[0].reason and "larger" in p[1].reason
    assert {b.id: b.status for b in redrawn.base_personas}[0] == "continued"
    assert not any(q.share_recut for q in redrawn.new_personas if q.id > 1)

    grown = compare_runs(base, _snapshot("C", *_members(centres, [900, 300, 300, 300, 300], rng)))
    g = {q.id: q for q in grown.new_personas}
    assert g[0].status == "grown" and not g[0].share_recut
    assert g[0].placed.now.low > g[0].placed.then.high  # the placed share grew too
    assert grown.counts["new_grown"] == 1 and grown.counts["base_grown"] == 1


def test_without_member_samples_the_own_shares_decide():
    """Runs whose models keep no member sample (event runs, older runs): no placed shares, the own-share rule alone."""
    rng = np.random.default_rng(1)
    centres = _unit(rng.normal(size=(4, DIM)))
    a, b = _snapshot("A", *_members(centres, [300] * 4, rng)), _snapshot("B", *_members(centres, [900, 300, 300, 300], rng))
    a.model = b.model = None
    p = next(q for q in compare_runs(a, b).new_personas if q.id == 0)
    assert p.status == "grown" and p.placed is None and not p.share_recut


def test_a_placed_share_that_went_the_other_way_is_said_so_and_nothing_then_and_now_is_no_change():
    """A review found Banking77's "USD and GBP" grown in its own shares (0.54 → 0.97 %) while its placed share fell
    (0.55 → 0.35 %): it continued, and the words said "held". They now say it went the other way; 0 → 0 is none."""
    from ml.lineage.shift import share_ci, share_moved
    from ml.lineage.status import matched_status, placed_change, placed_words

    then, now = share_ci(54, 10_000), share_ci(97, 10_000)
    fell = placed_change(0.006, 0.003, (6000, 6000), 0.95)
    assert matched_status(then, now, fell, 1.5) == ("continued", True)
    assert placed_words(fell, "larger", 1.5) == "went the other way, 0.6% → 0.3%"
    held = placed_change(0.035, 0.034, (6000, 6000), 0.95)
    assert placed_words(held, "smaller", 1.5) == "held 3.5% → 3.4%"
    less = placed_change(0.035, 0.025, (6000, 6000), 0.95)  # intervals apart, under ×1.5: not "held"
    assert matched_status(share_ci(400, 10_000), share_ci(160, 10_000), less, 1.5) == ("continued", True)
    assert placed_words(less, "smaller", 1.5) == "changed by less than ×1.5, 3.5% → 2.5%"
    zero = share_ci(0, 100)
    assert share_moved(zero, zero, 1.5) is None and share_moved(zero, zero, 1.5, intervals=False) is None
    assert matched_status(then, now, placed_change(0.0, 0.0, (100, 100), 0.95), 1.5) == ("continued", True)
