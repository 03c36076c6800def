"""Population shift between two runs, and what changed in one persona.

In: member counts per persona (or per bucket of personas) in both runs, and persona profiles
(``personas.json`` entries). Out: Wilson intervals of shares (``share_ci``), the population stability
index over buckets (``psi``: Σ (now − then) · ln(now / then), an empty bucket counted at ``floor``),
its level against the configured thresholds, and per persona the change in activity (total variation
distance of the hourly and weekday profiles, peak hour then/now), in top terms (kept, new, lost), in
the behavioural fingerprint (standardised differences from the population, then vs now) and in tone (the
share of members whose text reads negative, then vs now, with a two-proportion test).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import norm

from ml.profile.tone import adjusted_p, reading, two_proportions
from ml.runtime.contracts.compare import (
    ActivityChange,
    FeatureShift,
    FingerprintChange,
    PsiBucket,
    ShareCI,
    Shift,
    TermChange,
    ToneChange,
)


def share_ci(count: int, total: int, confidence: float = 0.95) -> ShareCI:
    """``count / total`` with its Wilson score interval."""
    if total <= 0:
        return ShareCI(count=int(count), share=0.0, low=0.0, high=0.0)
    z = float(norm.ppf(0.5 + confidence / 2))
    p = count / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return ShareCI(count=int(count), share=round(p, 6), low=round(max(0.0, centre - half), 6),
                   high=round(min(1.0, centre + half), 6))


def share_moved(then: ShareCI, now: ShareCI, ratio: float, intervals: bool = True) -> str | None:
    """"grown" / "shrunk" when ``now`` is at least ``ratio`` times ``then`` (or at most its ``1 / ratio``) and, with
    ``intervals``, the two intervals do not overlap; None otherwise (a matched persona's status: its own shares
    with intervals, its placed shares by the ratio alone: ``ml.lineage.status.matched_status``)."""
    if then.share <= 0 and now.share <= 0:  # nothing then, nothing now: no change (0 → 0 read "grown")
        return None
    r = now.share / then.share if then.share > 0 else np.inf
    if r >= ratio and (now.low > then.high or not intervals):
        return "grown"
    if r <= 1 / ratio and (now.high < then.low or not intervals):
        return "shrunk"
    return None


def psi(buckets: Sequence[tuple[str, float, float]], moderate: float = 0.1, major: float = 0.25,
        floor: float = 1e-4, basis: str | None = None) -> Shift:
    """PSI over ``(name, share then, share now)`` buckets, each share floored at ``floor``; ``basis`` says what
    the buckets are (``Shift.basis``)."""
    rows, total = [], 0.0
    for name, then, now in buckets:
        a, b = max(float(then), floor), max(float(now), floor)
        contrib = (b - a) * np.log(b / a)
        total += contrib
        rows.append(PsiBucket(bucket=name, then=round(float(then), 6), now=round(float(now), 6),
                              contribution=round(float(contrib), 6)))
    total = round(float(total), 6)  # the level is that of the figure stored, not of its unrounded value
    level = "major" if total >= major else "moderate" if total >= moderate else "stable"
    return Shift(psi=total, level=level, moderate=moderate, major=major, buckets=rows, basis=basis)


def psi_figure(psi: float, moderate: float = 0.1, major: float = 0.25) -> str:
    """A PSI to three decimals, or more (up to six) where three would round it up to a threshold it is under (an
    airline review read "PSI 0.100 — stable (under 0.1)" for 0.0996); the explorer's ``psiFigure``
    (frontend/lib/lineage.ts) writes it the same way."""
    from decimal import ROUND_HALF_UP, Decimal

    for digits in range(3, 7):  # halves rounded up, from the float's exact value, as JavaScript's toFixed does
        text = str(Decimal(psi).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
        if not any(psi < t <= float(text) for t in (moderate, major)):
            return text
    return text


#: more than this share of either run's members in personas with no counterpart: the linked PSI is no verdict
TURNOVER_SHARE = 0.5


def turnover(shift: Shift) -> Shift:
    """A linked PSI (``basis`` "linked") whose "unmatched" bucket holds most of either run's members is "major",
    whatever its value: died then and born now share one bucket, so a complete turnover read PSI 0.000, "stable"
    (an events review: two windows of one course, every persona born or died). ``note`` says so."""
    rest = next((b for b in shift.buckets if b.bucket == "unmatched"), None)
    if rest is None or max(rest.then, rest.now) <= TURNOVER_SHARE or shift.level == "major":
        return shift
    note = (f"{100 * rest.then:.0f}% of the baseline and {100 * rest.now:.0f}% of this run are in personas with no "
            "counterpart: the mix changed more than the linked PSI can show")
    return shift.model_copy(update={"level": "major", "note": note})


def _distribution(values: Any) -> np.ndarray | None:
    if not values:
        return None
    v = np.asarray(values, dtype=np.float64)
    return v / v.sum() if v.sum() > 0 else None


def activity_change(then: dict | None, now: dict | None) -> ActivityChange | None:
    """Hourly/weekday change of one persona (None unless both runs have timestamps on one clock)."""
    if not then or not now or not then.get("has_timestamps") or not now.get("has_timestamps"):
        return None
    if then.get("time_basis") != now.get("time_basis"):
        return None
    out: dict[str, Any] = {"time_basis": then.get("time_basis")}
    for key in ("hourly", "weekday"):
        a, b = _distribution(then.get(key)), _distribution(now.get(key))
        out[f"{key}_tv"] = round(float(0.5 * np.abs(a - b).sum()), 4) if a is not None and b is not None \
            and a.size == b.size else None
    for label, prof in (("then", then), ("now", now)):
        hourly = prof.get("hourly")
        out[f"peak_hour_{label}"] = int(np.argmax(hourly)) if hourly and sum(hourly) > 0 else None
    return ActivityChange(**out)


def _terms(profile: dict, k: int) -> list[str]:
    items = profile.get("top_terms") or profile.get("top_events") or []
    out = []
    for item in items[:k]:
        out.append(str(item.get("term") or item.get("event") or "") if isinstance(item, dict) else str(item))
    return [t for t in out if t]


def term_change(then: dict, now: dict, k: int = 10) -> TermChange | None:
    """Top terms (event runs: top events) kept, new and lost between two profiles."""
    a, b = _terms(then, k), _terms(now, k)
    if not a and not b:
        return None
    union = set(a) | set(b)
    return TermChange(kept=[t for t in b if t in a], new=[t for t in b if t not in a],
                      lost=[t for t in a if t not in b], jaccard=round(len(set(a) & set(b)) / len(union), 4))


def fingerprint_change(then: dict, now: dict, top: int = 3) -> FingerprintChange | None:
    """Change of the standardised differences from the population, feature by feature."""
    a = {f["feature"]: f.get("std_diff") for f in then.get("fingerprint") or [] if isinstance(f, dict)}
    b = {f["feature"]: f.get("std_diff") for f in now.get("fingerprint") or [] if isinstance(f, dict)}
    rows = []
    for feat in a.keys() & b.keys():
        x, y = a[feat], b[feat]
        if x is None or y is None or not np.isfinite(x) or not np.isfinite(y):
            continue
        rows.append(FeatureShift(feature=feat, then=round(float(x), 4), now=round(float(y), 4),
                                 change=round(float(y - x), 4)))
    if not rows:
        return None
    rows.sort(key=lambda r: -abs(r.change))
    return FingerprintChange(mean_abs_change=round(float(np.mean([abs(r.change) for r in rows])), 4),
                             largest=rows[:top])


def tone_change(then: dict, now: dict, min_effect: float = 0.2, alpha: float = 0.05) -> ToneChange | None:
    """Negative tone then vs now (``profile["tone"]``): the change, a pooled two-proportion z-test and a
    reading with the profile's rule (``ml.profile.tone.reading``: standardised change ≥ ``min_effect``, the
    run's ``profile.min_effect``, and p < ``alpha``; ``adjusted_tone_changes`` then adjusts p for every persona of
    the comparison). None unless both runs scored it the same way."""
    a, b = then.get("tone") or {}, now.get("tone") or {}
    if not a.get("scored_members") or not b.get("scored_members") or a.get("method") != b.get("method"):
        return None
    p1, n1, p2, n2 = a["negative_share"], a["scored_members"], b["negative_share"], b["scored_members"]
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled))
    p_value = two_proportions(p1, n1, p2, n2)
    change = reading((p2 - p1) / spread if spread > 0 else 0.0, p_value, min_effect, alpha, "no clear change")
    return ToneChange(then=p1, now=p2, change=round(p2 - p1, 4), p_value=float(f"{p_value:.4g}"), reading=change)


def adjusted_tone_changes(changes: list[ToneChange | None], alpha: float = 0.05) -> list[ToneChange | None]:
    """``changes`` (one per persona of a comparison, None where none was read) with ``q_value``, the p-value adjusted
    for testing every persona (Benjamini–Hochberg, as the profile's tone reading is since 2026-12-05), and the reading
    "no clear change" where ``q_value`` is not under ``alpha``."""
    read = [k for k, c in enumerate(changes) if c is not None]
    if not read:
        return changes
    q = adjusted_p([changes[k].p_value for k in read])
    out = list(changes)
    for k, qk in zip(read, q, strict=True):
        c = changes[k]
        out[k] = c.model_copy(update={"q_value": float(f"{qk:.4g}"),
                                      "reading": c.reading if qk < alpha else "no clear change"})
    return out
