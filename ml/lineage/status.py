"""Grown, shrunk or continued: the status of a persona matched one to one, from two measures of its share.

In: its share then and now in each fit's own members (``ShareCI``), and, where both runs' models keep a member
sample, its base persona's placed shares (both runs' sampled members placed on the base run's personas:
``ml.lineage.neighbourhood.placed_shares``, the measure behind the comparison's population shift). Out
(``matched_status``): the status and whether only the fit's own shares moved (``NewPersona.share_recut``); and
(``placed_words``) how the placed share went, for people ("held 3.5% → 3.4%", "went the other way, 0.6% → 0.3%").

Rule: grown / shrunk when the own shares moved by ``growth_ratio`` with the Wilson intervals apart and the placed
share moved the same way by that ratio too (the ratio alone: the placed sample of a small persona is small);
when only the own shares moved, the new fit drew the persona's edges elsewhere and it continued. Measured in
docs/drift.md (``scripts/eval_share_change.py``): false grown / shrunk 20 → 0 on six labelled comparisons.
"""

from __future__ import annotations

from ml.lineage.shift import share_ci, share_moved
from ml.runtime.contracts.compare import PlacedShares, ShareCI


def matched_status(then: ShareCI, now: ShareCI, placed: PlacedShares | None, ratio: float) -> tuple[str, bool]:
    """(status, share_recut) of a persona matched one to one (see the module docstring)."""
    moved = share_moved(then, now, ratio)
    if moved is None:
        return "continued", False
    if placed is not None and share_moved(placed.then, placed.now, ratio, intervals=False) != moved:
        return "continued", True
    return moved, False


def placed_change(then: float, now: float, sizes: tuple[int, int], confidence: float) -> PlacedShares:
    """A base persona's placed shares then and now with Wilson intervals on the two samples' sizes (the counts are
    the shares times the sample sizes: the novel bucket has taken its part of each sample first)."""
    return PlacedShares(then=share_ci(round(then * sizes[0]), sizes[0], confidence),
                        now=share_ci(round(now * sizes[1]), sizes[1], confidence))


def placed_words(placed: PlacedShares, own_way: str, ratio: float) -> str:
    """How a re-drawn persona's placed share went: "held 3.5% → 3.4%" (intervals overlap), "changed by less than
    ×1.5, 3.5% → 2.5%" (intervals apart, under the ratio), or "went the other way, 0.6% → 0.3%" when it moved
    against ``own_way`` ("smaller" / "larger") by the ratio."""
    span = f"{placed.then.share:.1%} → {placed.now.share:.1%}"
    other = share_moved(placed.then, placed.now, ratio, intervals=False)
    if other is not None and other != ("shrunk" if own_way == "smaller" else "grown"):
        return f"went the other way, {span}"
    if placed.now.low > placed.then.high or placed.now.high < placed.then.low:
        return f"changed by less than ×{ratio:g}, {span}"
    return f"held {span}"
