"""The timing section of a strategy: when to send, from what the persona's activity measured.

``timing(activity, standouts)``: the measured peak hours and the days the persona is busier than everyone, each
with its clock (``ml.ingest.timebasis``), on a UTC (or unknown) clock saying so; for an event run whose data has
dates but no times of day, no send hour and the persona's busiest stretch of days (``day_timing``); without
timestamps, no send time. A busy day that is its dates rather than a habit (``ml.profile.activity.date_bound_days``) is
shown with that caveat and not recommended.
"""

from __future__ import annotations

from ml.events.profile import busiest_stretch
from ml.ingest.timebasis import UTC, day_clock, is_fixed_offset
from ml.profile.activity import date_bound_days, format_hours
from ml.profile.describe import burst_clause, counted, date_reason, days_above_everyone, days_with_shares
from ml.strategy.cite import cite as _cite


def timing(act: dict, standouts: list[dict]) -> dict:
    """The section (see the module docstring)."""
    return day_timing(act) or _timing(act, standouts)


def day_timing(act: dict) -> dict | None:
    """The timing section for activity by day without times of day (None when there is no such activity)."""
    by_day = act.get("by_day") or {}
    if act.get("peak_hours") or by_day.get("peak_day") is None:
        return None
    has = "day offsets" if act.get("resolution") == "offset" else "dates"  # OULAD: days since the course began
    return {"text": f"The data has {has} but no times of day, so no send time is recommended: test send times. "
                    + busiest_stretch(by_day, act.get("resolution")),
            "best_hours": [], "best_weekdays": [], "has_timestamps": False,
            "citations": _cite(["activity:by_day"])}


def _timing(act: dict, standouts: list[dict]) -> dict:
    """When to send: the measured peak hours and days, each with its clock (``ml.ingest.timebasis``); on a UTC
    (or unknown) clock the text says so and asks for the market's zone instead of claiming the customers' day."""
    if act.get("has_timestamps") and not act.get("peak_hours"):  # times, but no hour stands out for it
        n = act.get("timestamped_members")
        held = f" ({n:,} of its members have a time)" if isinstance(n, int) else ""
        return {"text": f"No hour stands out for this persona{held}: its busiest hours tie with others or hold a "
                        "single member, so no send time is recommended: test send times.",
                "best_hours": [], "best_weekdays": [], "has_timestamps": True,
                "citations": _cite(["activity:has_timestamps"])}
    if not (act.get("has_timestamps") and act.get("peak_hours")):
        return {"text": "The data has no timestamps, so no send time is recommended: test send times.",
                "best_hours": [], "best_weekdays": [], "has_timestamps": False,
                "citations": _cite(["activity:has_timestamps"])}
    basis = act.get("time_basis")
    if burst := burst_clause(act):  # the hours of one date are that day's: no habit to schedule on (a support review
        # read "Schedule … for 21:00, 22:00 and 23:00 UTC" beside "these hours are that day's")
        return {"text": f"No send time is recommended: {burst}, so its busiest hours "
                        f"({format_hours(act['peak_hours'], basis)}) are that day's, not a daily habit; test send "
                        "times, and check that the persona comes back on other days.",
                "best_hours": [], "best_weekdays": [], "has_timestamps": True,
                "citations": _cite(["activity:busiest_date", "activity:peak_hours"])}
    busy = act.get("peak_weekdays") or []
    days = days_above_everyone(act)  # a busy day that is everyone's too is no reason to pick it
    sends = "sends" if act.get("unit") == "events" else "sends and staff replies"  # event users get no replies
    # an unknown clock is said once, in the sentence that ends the text, not also after the hours
    text = f"Schedule {sends} for {format_hours(act['peak_hours'], basis or False)}, when this persona is most active"
    bound = date_bound_days(act, days)  # one or two Mondays are dates, not a habit to send on
    days = [d for d in days if d not in bound]
    if days:
        text += f", especially on {days_with_shares(act, of=counted(act), clock=day_clock(basis), days=days)}."
    elif busy and not bound:
        text += (f". Its busiest day, {days_with_shares(act, of=counted(act), clock=day_clock(basis), days=busy[:1])}"
                 ", is no busier for it than for everyone, so no day is recommended.")
    else:
        text += "."
    if bound:  # "Its busy day, Sunday (33% …), is not recommended: the data's Sundays are only 1 date (…)."
        one = len(bound) == 1
        text += (f" Its busy {'day' if one else 'days'}, "
                 f"{days_with_shares(act, of=counted(act), clock=day_clock(basis), days=bound)}, "
                 f"{'is' if one else 'are'} not recommended: {date_reason(act, bound)}.")
    people = "users'" if act.get("unit") == "events" else "customers'"  # an event log's people are its users
    if basis == UTC:
        text += (f" These are UTC hours, not the {people} own clock: convert them to your market's time zone "
                 "(or rerun with --timezone Area/City).")
    elif is_fixed_offset(basis):
        text += (f" Every timestamp of the data carries the offset {basis}, which may be the exporter's clock rather "
                 f"than the {people}: convert the hours to your market's time zone (or rerun with --timezone "
                 "Area/City).")
    elif not basis:
        text += f" Whether these hours are UTC or the {people} own clock is unknown: check before scheduling."
    refs = ["activity:peak_hours"] + (["activity:peak_weekdays"] if busy else [])
    refs += [f"feature:{n}" for n in ("night_share", "weekend_share", "business_hours_share")
             if any(f["feature"] == n for f in standouts)]
    return {"text": text, "best_hours": act["peak_hours"], "best_weekdays": days,
            "has_timestamps": True, "citations": _cite(refs)}
