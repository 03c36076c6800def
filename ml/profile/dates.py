"""The date rules the profiles, the contract and the explorer share (no heavy imports: the API's contract
models derive ``WeekdayDates.date_bound`` and ``Activity.one_day_burst`` with them, ``ml.runtime.contracts``).

- ``date_bound_reason(day)``: why a weekday's share is its dates rather than a habit ("few_dates", "one_date");
- ``one_day_burst(act)``: whether most of a persona's members wrote on one date, more than everyone did.

Their inputs are the entries ``ml.profile.activity`` writes (``population_weekday_dates``, ``weekday_dates``,
``busiest_date``, ``busiest_date_share``, ``population_busiest_date_share``).
"""

from __future__ import annotations

# a weekday is read as a habit only when the data covers it on at least this many dates (three weeks), none of
# them more than half of its members: with one or two, its share is the share of those dates. A convention, not
# a fitted value: no labelled set has weekday habits to measure it on (docs/profiles.md, "Weekdays of a short dump").
MIN_WEEKDAY_DATES = 3


def date_bound_reason(day: dict) -> str | None:
    """Why a weekday's share is its dates' rather than a habit: ``"few_dates"`` when it is seen on 1 to
    ``MIN_WEEKDAY_DATES`` - 1 dates, ``"one_date"`` when one date holds more than half of its members, None when
    neither (entries of ``population_weekday_dates`` / ``weekday_dates``; a weekday never covered is not bound).
    The contract's ``WeekdayDates.date_bound`` is this, so the explorer reads the rule instead of copying it."""
    if day["dates"] <= 0:
        return None
    if day["dates"] < MIN_WEEKDAY_DATES:
        return "few_dates"
    return "one_date" if (day.get("busiest_share") or 0.0) > 0.5 else None


BURST_SHARE = 0.5  # of a persona's members on one date above which it is a one-day burst, not a weekly pattern


BURST_Z = 1.645  # one-sided 5 %: a persona's share of that date above everyone's by more than its sampling error


def one_day_burst(act: dict) -> bool:
    """Whether more than ``BURST_SHARE`` of a persona's members wrote on one date (``busiest_date_share``), and more
    than of everyone (a date that holds most of the whole dump is the data's, not the persona's) by more than the
    sampling error of its ``timestamped_members`` (one-sided z ≥ ``BURST_Z``: 69.0 % of 70 members against
    everyone's 68.5 % is the data's date, not a burst): its hours and weekday are that date's. False without dates.
    The contract's ``Activity.one_day_burst`` is this."""
    share, everyone = act.get("busiest_date_share"), act.get("population_busiest_date_share")
    if not act.get("busiest_date") or share is None or share <= max(BURST_SHARE, everyone or 0.0):
        return False
    n = act.get("timestamped_members")
    if everyone is None or not n or not 0 < everyone < 1:
        return True  # nothing to test against (runs before the counts were recorded)
    return (share - everyone) / (everyone * (1 - everyone) / n) ** 0.5 >= BURST_Z


def date_bound(day: dict) -> bool:
    """Whether a weekday's share is its dates' rather than a habit (``date_bound_reason`` is not None)."""
    return date_bound_reason(day) is not None
