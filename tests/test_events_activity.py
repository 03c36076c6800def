"""An event run's activity by day says which days it means: dates for data with dates (KDD Cup 2015's, read as days
since 1970: "day 16215" was 25 May 2014), dates without a year for yearless data (Moodle's "11 May, 09:44"), and
day offsets for offset data (OULAD's `date`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.events.days import DayActivity, busiest_stretch
from ml.events.timecol import parse_event_times


def _rows(times: list[str | int], users: list[str]) -> pd.DataFrame:
    frame, _ = parse_event_times(pd.Series(times))
    return pd.DataFrame({"day": frame["day"], "weekday": frame["weekday"], "count": 1.0, "user": users})


def test_dates_are_said_as_dates():
    times = ["2014-05-13T09:00:00", "2014-05-14T10:00:00", "2014-05-26T11:00:00", "2014-05-27T12:00:00",
             "2014-05-28T12:00:00"]
    rows = _rows(times, ["a", "a", "b", "b", "b"])
    act = DayActivity(7, calendar=True, year_known=True).fit(rows, {"a": 0, "b": 1})
    b = act.profile(1)
    assert b["start_date"] == "2014-05-13" and b["peak_date"] == "2014-05-27" and b["year_known"] is True
    assert busiest_stretch(b) == "Its busiest 7-day stretch starts on 27 May 2014."
    assert act.profile(0)["peak_date"] == "2014-05-13"


def test_yearless_dates_have_no_year_and_offsets_stay_offsets():
    rows = _rows(["2000-05-11T09:44:00", "2000-05-20T10:00:00"], ["a", "a"])
    b = DayActivity(7, calendar=True, year_known=False).fit(rows, {"a": 0}).profile(0)
    assert busiest_stretch(b) == "Its busiest 7-day stretch starts on 11 May (the dates have no year)."
    offsets = _rows([-25, -20, 16, 17], ["a", "a", "a", "a"])
    o = DayActivity(7).fit(offsets, {"a": 0}).profile(0)
    assert o["start_date"] is None and o["peak_date"] is None and o["year_known"] is None
    assert np.isclose(o["start_day"], -25)
    assert busiest_stretch(o) == "Its busiest 7-day stretch starts at day -25 of the data's day offsets."


def test_a_busiest_stretch_over_several_groups_says_their_dates_are_pooled():
    """An events review: KDD's 31 course files each run their own 30 days, yet every persona's "busiest 7-day stretch
    starts on 25 May 2014" read as the persona's own week; it is the week the largest courses share."""
    by_day = {"bin_days": 7, "peak_date": "2014-05-25", "year_known": True, "peak_day": 16215.0}
    assert busiest_stretch(by_day, "day") == "Its busiest 7-day stretch starts on 25 May 2014."
    pooled = busiest_stretch({**by_day, "pooled": "31 files"}, "day")
    assert pooled == "Its busiest 7-day stretch starts on 25 May 2014 (the dates of 31 files pooled: each may have its own)."
    from ml.events.profile import _pooled

    rows = pd.DataFrame({"group": [None, None], "file": ["a.csv", "b.csv"]})
    assert _pooled(rows) == "2 files" and _pooled(rows.assign(group=["x", "y"])) == "2 groups"
    assert _pooled(rows.assign(file="a.csv")) is None
