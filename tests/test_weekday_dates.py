"""Weekdays of a short dump: a busy weekday is a habit only when the data covers it on several dates
(``ml.profile.activity.MIN_WEEKDAY_DATES``). Over a dump of a week or two each weekday is one or two dates,
so the description says so, the strategy recommends no day and no name says "Weekend"."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.events.profile import _describe as describe_event_persona
from ml.ingest.timeparse import parse_timestamps
from ml.profile.activity import MIN_WEEKDAY_DATES, ActivityProfiler, date_bound_days
from ml.profile.build import _nameable
from ml.profile.describe import _activity_sentence
from ml.strategy.timing import timing


def _members(stamps: list[str]) -> pd.DataFrame:
    return parse_timestamps(pd.Series(stamps))


def _days(first: str, n_days: int, per_day: int = 3) -> list[str]:
    """``per_day`` timestamps on each of ``n_days`` days from ``first`` (UTC)."""
    start = pd.Timestamp(first, tz="UTC")
    return [(start + pd.Timedelta(days=d, hours=9 + h)).isoformat() for d in range(n_days) for h in range(per_day)]


def _counts(fit: ActivityProfiler) -> list[int]:
    return [d["dates"] for d in fit.weekday_dates_]


def test_dates_per_weekday_count_the_calendar_dates_of_each_weekday():
    nine = _days("2015-02-16", 9)  # Monday 16 Feb to Tuesday 24 Feb: Monday and Tuesday twice, the rest once
    fit = ActivityProfiler().fit(_members(nine), np.zeros(len(nine), dtype=int))
    assert _counts(fit) == [2, 2, 1, 1, 1, 1, 1]
    assert fit.weekday_dates_[0] == {"dates": 2, "busiest_date": "2015-02-16", "busiest_share": 0.5}
    assert fit.few_weekends_
    five_weeks = _days("2015-02-16", 35)
    fit = ActivityProfiler().fit(_members(five_weeks), np.zeros(len(five_weeks), dtype=int))
    assert _counts(fit) == [5] * 7 and not fit.few_weekends_
    assert fit.profile(0)["population_weekday_dates"][6] == {"dates": 5, "busiest_date": "2015-02-22",
                                                              "busiest_share": 0.2}


def test_one_date_that_holds_most_of_a_weekday_makes_it_that_date():
    # five weeks, but the first Saturday holds 30 members against 3 on each other Saturday
    extra = [(pd.Timestamp("2015-02-21T10:00Z") + pd.Timedelta(minutes=m)).isoformat() for m in range(27)]
    stamps = _days("2015-02-16", 35) + extra
    fit = ActivityProfiler().fit(_members(stamps), np.zeros(len(stamps), dtype=int))
    saturday = fit.weekday_dates_[5]
    assert saturday["dates"] == 5 and saturday["busiest_date"] == "2015-02-21"
    assert saturday["busiest_share"] == round(30 / 42, 4)
    assert fit.few_weekends_
    act = {**_act([_entry(5)] * 5 + [saturday, _entry(5)]), "peak_weekdays": [5], "weekday": [5, 5, 5, 5, 5, 60, 5]}
    assert date_bound_days(act, [5]) == [5]
    assert "the data's Saturdays are mostly one date (21 Feb 2015: 71%; 35 dates in all)" in _activity_sentence(act)


def test_a_local_date_follows_the_members_own_clock():
    # 23:30 at UTC-01:00 on Sunday 22 Feb is 00:30 UTC on Monday: the member's date is the Sunday
    members = _members(["2015-02-22T23:30:00-01:00", "2015-02-23T00:30:00+01:00"])  # Sunday local, then Monday
    assert members["local_weekday"].tolist() == [6, 0]
    fit = ActivityProfiler().fit(members, np.zeros(2, dtype=int))
    assert _counts(fit) == [1, 0, 0, 0, 0, 0, 1]
    assert fit.weekday_dates_[6]["busiest_date"] == "2015-02-22" and fit.weekday_dates_[0]["busiest_date"] == "2015-02-23"
    # without a timestamp column (an old frame) the dates are unknown, not zero
    bare = pd.DataFrame({"local_hour": [9, 10], "local_weekday": [0, 1]})
    fit = ActivityProfiler().fit(bare, np.zeros(2, dtype=int))
    assert fit.weekday_dates_ is None and not fit.few_weekends_ and fit.profile(0)["population_weekday_dates"] is None


def _entry(dates: int) -> dict:
    return {"dates": dates, "busiest_date": "2015-02-16", "busiest_share": round(1 / max(dates, 1), 4)}


def _act(per_day: list[dict] | None) -> dict:
    return {"has_timestamps": True, "time_basis": "UTC", "peak_hours": [9, 10, 11], "population_peak_hours": [14],
            "peak_weekdays": [0], "weekday": [60, 5, 5, 10, 10, 5, 5], "population_weekday": [20] * 7,
            "population_weekday_dates": per_day}


def test_a_day_seen_on_too_few_dates_is_described_as_such_and_not_recommended():
    short = _act([_entry(n) for n in (2, 2, 1, 1, 1, 1, 1)])
    assert date_bound_days(short, [0]) == [0] and MIN_WEEKDAY_DATES > 2
    sentence = _activity_sentence(short)
    assert "though the data's Mondays are only 2 dates (9 dates in all): the day says as much about when the data" in sentence
    plan = timing(short, [])
    assert plan["best_weekdays"] == [] and "especially" not in plan["text"]
    assert "is not recommended: the data's Mondays are only 2 dates (9 dates in all)." in plan["text"]
    two = {**short, "peak_weekdays": [0, 6], "weekday": [60, 5, 5, 5, 5, 5, 50]}
    assert "the data's Mondays and Sundays are only 1 or 2 dates each (9 dates in all): the days say" in _activity_sentence(two)

    long = _act([_entry(5)] * 7)
    assert date_bound_days(long, [0]) == []
    assert "covers" not in _activity_sentence(long)
    plan = timing(long, [])
    assert plan["best_weekdays"] == [0] and "especially on Monday" in plan["text"]

    mixed = {**_act([_entry(5)] * 6 + [_entry(1)]), "peak_weekdays": [0, 6], "weekday": [60, 5, 5, 5, 5, 5, 50]}
    plan = timing(mixed, [])  # the habit day is recommended, the one-date day is not
    assert plan["best_weekdays"] == [0] and "Its busy day, Sunday" in plan["text"]
    assert "the data's Sundays are only 1 date (31 dates in all)" in plan["text"]
    # one of two busy days bound: the sentence speaks of that day alone
    assert ": the day says" in _activity_sentence(mixed) and "Sundays are only 1 date" in _activity_sentence(mixed)

    old = _act(None)  # a run stored before the count: as before, the day is named and recommended
    assert date_bound_days(old, [0]) == [] and timing(old, [])["best_weekdays"] == [0]


def test_no_weekend_word_in_a_name_when_the_data_covers_too_few_weekends():
    weekend = {"feature": "weekend_share", "std_diff": 2.0}
    brief = {"feature": "words_log", "std_diff": -1.5}
    assert _nameable([weekend, brief], "local", few_weekends=True) == [brief]
    assert _nameable([weekend, brief], "local", few_weekends=False) == [weekend, brief]


def test_event_activity_reads_the_dates_of_its_rows():
    # event rows carry their day (days since 1970-01-01): 16 Feb 2015 is day 16482, a Monday
    frame = pd.DataFrame({"local_hour": [9, 9, 9], "local_weekday": [0, 0, 1], "local_date": [16482.4, 16489.1, 16483.0]})
    fit = ActivityProfiler().fit(frame, np.zeros(3, dtype=int))
    assert _counts(fit) == [2, 1, 0, 0, 0, 0, 0] and fit.weekday_dates_[1]["busiest_date"] == "2015-02-17"
    profile = {"size": 3, "share": 0.5, "core_size": 3, "reassigned_count": 0, "fingerprint": [], "highlights": [],
               "top_events": [],
               "activity": {**_act(fit.weekday_dates_), "weekday": [2, 1, 0, 0, 0, 0, 0],
                            "population_weekday": [3, 3, 0, 0, 0, 0, 0]}}
    text = describe_event_persona(profile)
    assert "most often on Monday" in text and "covers only 2 of the 7 weekdays" in text
    # all the users: its days are everyone's, so no day is named (an explorer review, 2026-12-06)
    same = {**profile, "activity": {**profile["activity"], "population_weekday": [2, 1, 0, 0, 0, 0, 0]}}
    assert "often on" not in describe_event_persona(same)


def test_a_persona_whose_busy_day_is_one_date_is_a_burst_not_a_habit():
    """The data's Fridays are five dates, but every Friday member of this persona wrote on one of them."""
    stamps = _days("2017-10-02", 35)  # five weeks: three members a day, persona 0
    burst = [(pd.Timestamp("2017-11-03T10:00Z") + pd.Timedelta(minutes=m)).isoformat() for m in range(20)]
    labels = np.array([0] * len(stamps) + [1] * len(burst))
    fit = ActivityProfiler().fit(_members(stamps + burst), labels)
    data_friday = fit.weekday_dates_[4]
    assert data_friday["dates"] == 5 and data_friday["busiest_share"] == round(23 / 35, 4)  # the data's too
    steady, spike = fit.profile(0), fit.profile(1)
    assert spike["weekday_dates"][4] == {"dates": 1, "busiest_date": "2017-11-03", "busiest_share": 1.0}
    assert steady["weekday_dates"][4]["dates"] == 5 and date_bound_days(steady, [0]) == []
    assert "most of its members (100%) wrote on one date, 3 Nov 2017" in _activity_sentence(spike)
    # where the data's Fridays are many and the persona's own Fridays one date, but not most of its members
    spread = {**spike, "population_weekday_dates": [_entry(5)] * 7, "busiest_date_share": 0.4}
    assert date_bound_days(spread, [4]) == [4]
    assert "though its Fridays are only 1 date" in _activity_sentence(spread)


def test_a_kept_lineage_name_drops_weekend_where_a_fresh_one_would():
    from ml.lineage.names import clock_word_ok, name_still_fits

    local = {"time_basis": "Europe/London", "population_weekday_dates": [_entry(5)] * 7}
    fingerprint = [{"feature": "weekend_share", "std_diff": 2.0}]
    profile = {"fingerprint": fingerprint, "activity": local, "top_terms": [{"term": "pizza"}]}
    assert name_still_fits("Weekend: pizza", profile)
    short = {**local, "population_weekday_dates": [_entry(2)] * 7}
    assert not name_still_fits("Weekend: pizza", {**profile, "activity": short})
    assert not clock_word_ok("Weekend", {**local, "time_basis": "UTC"}) and clock_word_ok("Polite", {})


def test_a_persona_most_of_whose_members_wrote_on_one_date_is_that_dates_burst():
    """The Halloween persona: 86% of its members wrote on 31 Oct 2017. The description and the strategy say so
    instead of naming a weekday habit."""
    stamps = _days("2017-10-02", 35)  # five weeks, persona 0
    burst = [(pd.Timestamp("2017-10-31T20:00Z") + pd.Timedelta(minutes=m)).isoformat() for m in range(18)]
    burst += _days("2017-11-07", 1)  # and three members on another day
    labels = np.array([0] * len(stamps) + [1] * len(burst))
    fit = ActivityProfiler().fit(_members(stamps + burst), labels)
    act = {**fit.profile(1), "time_basis": "UTC"}
    assert act["busiest_date"] == "2017-10-31" and act["busiest_date_share"] == round(18 / 21, 4)
    assert act["population_busiest_date_share"] == round(21 / (105 + 21), 4)  # 3 of persona 0 on that date too
    sentence = _activity_sentence(act)
    assert "most of its members (86%) wrote on one date, 31 Oct 2017 (everyone: 17%)" in sentence
    assert "most often on" not in sentence
    sent = timing(act, [])  # no send time for a date's burst (it scheduled sends beside "these hours are that day's")
    assert sent["best_hours"] == [] and sent["text"].startswith("No send time is recommended: most of its members (86%)")
    from ml.strategy import generate_strategy  # nor a KPI on that date's hours

    doc = generate_strategy({"id": 1, "name": "x", "size": 21, "share": 0.2, "activity": act, "fingerprint": [],
                             "top_terms": [], "evidence": []}, "retention", rewriter=None)
    assert "peak_hour_response_time" not in [k["name"] for k in doc["kpis"]]
    steady = fit.profile(0)
    assert steady["busiest_date_share"] < 0.5 and "wrote on one date" not in _activity_sentence({**steady, "time_basis": "UTC"})


def test_hours_and_days_that_are_everyones_say_so_or_go_unsaid():
    act = {**_act([_entry(5)] * 6 + [{"dates": 5, "busiest_date": "2017-10-31", "busiest_share": 0.9}]),
           "peak_hours": [22, 23], "population_peak_hours": [23, 22], "peak_weekdays": [6],
           "weekday": [5, 5, 5, 5, 5, 5, 60], "population_weekday": [5, 5, 5, 5, 5, 5, 70], "hourly_difference": 0.15}
    sentence = _activity_sentence(act)
    assert sentence.startswith("It is busiest at the same hours as everyone (22:00 and 23:00 UTC)")
    assert "Sunday" not in sentence  # the data's Sundays are one date, and no busier for it than for everyone
    assert "15% of its members would have to write at other hours to match everyone's daily rhythm" in sentence
    busier = {**act, "weekday": [1, 1, 1, 1, 1, 1, 60], "population_weekday": [10, 10, 10, 10, 10, 10, 40]}
    assert "most often on Sunday" in _activity_sentence(busier) and "mostly one date" in _activity_sentence(busier)


def test_the_weekend_highlight_of_a_short_dump_says_its_weekend_is_a_date_or_two():
    from ml.profile.build import _weekend_caveat

    nine = _days("2015-02-16", 9)
    fit = ActivityProfiler().fit(_members(nine), np.zeros(len(nine), dtype=int))
    weekend = {"feature": "weekend_share", "sentence": "posts 54% of messages on Saturday or Sunday in UTC (population 32%)"}
    other = {"feature": "words_log", "sentence": "uses 1.2× more words (typically 20 vs 17 words)"}
    out = _weekend_caveat([weekend, other], fit)
    assert out[0]["sentence"] == ("posts 54% of messages on Saturday or Sunday in UTC (population 32%; the data's "
                                  "Saturdays and Sundays are only 1 date each)")
    assert out[1] == other
    five = _days("2015-02-16", 35)
    assert _weekend_caveat([weekend], ActivityProfiler().fit(_members(five), np.zeros(len(five), dtype=int))) == [weekend]


def test_the_contract_serves_the_rule_so_clients_need_not_copy_it():
    """``WeekdayDates.date_bound`` is ``date_bound_reason`` of the entry: filled for runs stored without it, and
    recomputed when a document carries a value that disagrees with its dates."""
    from ml.profile.activity import date_bound_reason
    from ml.runtime.contracts.persona import WeekdayDates

    fit = ActivityProfiler().fit(_members(_days("2015-02-16", 9)), np.zeros(27, dtype=int))
    for entry in fit.weekday_dates_:  # nine days: every weekday one or two dates
        assert WeekdayDates.model_validate(entry).date_bound == date_bound_reason(entry) == "few_dates"
    spike = {"dates": MIN_WEEKDAY_DATES, "busiest_date": "2017-10-31", "busiest_share": 0.99}
    assert WeekdayDates.model_validate(spike).date_bound == "one_date"
    habit = {"dates": 5, "busiest_date": "2017-10-31", "busiest_share": 0.5, "date_bound": "one_date"}
    assert WeekdayDates.model_validate(habit).date_bound is None  # half is not more than half; stale value dropped
    assert WeekdayDates.model_validate({"dates": 0}).date_bound is None  # never seen: not bound
    assert WeekdayDates.model_validate(
        {"dates": 2, "busiest_date": "2015-02-16", "busiest_share": 0.5}).model_dump()["date_bound"] == "few_dates"


def test_the_contract_serves_whether_a_persona_is_one_dates_burst():
    """``Activity.one_day_burst`` is ``one_day_burst`` of the profile: more than half of its members on one date
    and more than of everyone; recomputed from the shares whatever a document says."""
    from ml.profile.dates import one_day_burst
    from ml.runtime.contracts.persona import Activity

    base = {"has_timestamps": True, "busiest_date": "2017-10-31"}
    cases = [(0.91, 0.66, True), (0.66, 0.66, False), (0.5, 0.1, False), (0.6, None, True), (None, None, False)]
    for share, everyone, expected in cases:
        act = {**base, "busiest_date_share": share, "population_busiest_date_share": everyone}
        assert one_day_burst(act) is expected
        assert Activity.model_validate({**act, "one_day_burst": not expected}).one_day_burst is expected
    assert Activity.model_validate({"has_timestamps": False}).one_day_burst is False  # a run stored before


def test_the_contract_derives_its_flags_from_the_converted_fields():
    """A review of the change: derived before the fields were converted, a share written as text ("0.9") gave no
    burst and a malformed one raised a bare TypeError (a 500 from the API) instead of a validation error."""
    import pydantic

    from ml.runtime.contracts.persona import Activity, WeekdayDates

    assert WeekdayDates.model_validate({"dates": 3, "busiest_share": "0.6"}).date_bound == "one_date"
    assert Activity.model_validate({"has_timestamps": True, "busiest_date": "2017-10-31", "busiest_date_share": "0.9",
                                    "population_busiest_date_share": 0.6}).one_day_burst
    try:
        WeekdayDates.model_validate({"dates": 3, "busiest_share": [1]})
    except pydantic.ValidationError:
        pass
    else:
        raise AssertionError("a list as a share must not validate")


def test_a_persona_at_the_datas_own_share_of_a_date_is_no_burst():
    """A TWCS review: "most of its members (69%) wrote on one date" for a persona of 70 at 69.0 % against everyone's
    68.5 %: the date is the data's. A burst needs the persona's share above everyone's by more than its sampling
    error (one-sided z >= 1.645 over its timestamped members)."""
    from ml.profile.dates import one_day_burst

    day = {"busiest_date": "2017-10-31", "population_busiest_date_share": 0.685}
    assert not one_day_burst({**day, "busiest_date_share": 0.69, "timestamped_members": 70})
    assert one_day_burst({**day, "busiest_date_share": 0.885, "timestamped_members": 226})
    assert one_day_burst({**day, "busiest_date_share": 0.69})  # a run before the counts: the share rule alone
    assert not one_day_burst({**day, "busiest_date_share": 0.6, "timestamped_members": 5000})


def test_the_burst_share_reads_as_the_page_rounds_it():
    """A TWCS review: the description said 88% where the persona page said 89% (0.885: Python rounds half to even,
    the page half up). The description rounds half up too."""
    from ml.profile.describe import burst_clause

    act = {"busiest_date": "2017-10-31", "busiest_date_share": 0.885, "population_busiest_date_share": 0.685,
           "timestamped_members": 226}
    assert burst_clause(act) == "most of its members (89%) wrote on one date, 31 Oct 2017 (everyone: 69%)"



def test_busy_days_no_busier_than_everyones_are_not_named():
    """An explorer review (2026-12-06): airline persona 11 read "most often on Tuesday and Monday (19% and 17%;
    everyone: 18% and 21%)": Monday is below everyone's share, so only Tuesday is named; when the busiest day is
    the one left out, the other is said to be busier than everyone's, not the most often."""
    act = {**_act([_entry(5)] * 7), "peak_hours": [], "population_peak_hours": [], "time_basis": "UTC",
           "peak_weekdays": [1, 0], "weekday": [17, 19, 14, 14, 14, 12, 10], "population_weekday": [21, 18, 14, 14, 13, 10, 10]}
    sentence = _activity_sentence(act)
    assert "most often on Tuesday in UTC (19% of its members; everyone: 18%)" in sentence and "Monday" not in sentence
    below = {**act, "weekday": [18, 19, 14, 14, 14, 12, 9], "population_weekday": [10, 25, 14, 14, 13, 14, 10]}
    sentence = _activity_sentence(below)
    assert "more often than everyone on Monday in UTC (18% of its members; everyone: 10%)" in sentence
    assert "Tuesday" not in sentence
    assert "often" not in _activity_sentence({**act, "population_weekday": [25, 25, 10, 10, 10, 10, 10]})
