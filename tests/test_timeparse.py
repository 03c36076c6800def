"""Timestamp formats, local time from the written offset, and never crashing on junk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ml.ingest.timeparse as tp
from ml.ingest.timeparse import parse_timestamps


def one(value):
    return parse_timestamps(pd.Series([value])).iloc[0]


def test_twitter_api_format():
    row = one("Tue Oct 31 22:11:45 +0000 2017")
    assert row.timestamp == pd.Timestamp("2017-10-31 22:11:45", tz="UTC")
    assert row.utc_offset_min == 0.0
    assert row.local_hour == 22 and row.local_weekday == 1  # Tuesday


def test_local_hour_from_minus_0800():
    row = one("2015-02-24 11:35:52 -0800")
    assert row.timestamp == pd.Timestamp("2015-02-24 19:35:52", tz="UTC")
    assert row.utc_offset_min == -480.0
    assert row.local_hour == 11  # the author's wall clock, not UTC 19
    assert row.local_weekday == 1


def test_offset_can_move_the_local_day():
    row = one("Mon Oct 30 23:30:00 -0200 2017")  # 01:30 UTC on Tuesday, 23:30 Monday local
    assert row.timestamp == pd.Timestamp("2017-10-31 01:30", tz="UTC")
    assert row.local_hour == 23 and row.local_weekday == 0


@pytest.mark.parametrize(
    "value, utc, offset",
    [
        ("2015-02-24T11:35:52Z", "2015-02-24 11:35:52", 0.0),
        ("2015-02-24T11:35:52+05:30", "2015-02-24 06:05:52", 330.0),
        ("2015-02-24T11:35:52.250-0300", "2015-02-24 14:35:52.25", -180.0),
        ("2015-02-24 11:35:52 UTC", "2015-02-24 11:35:52", 0.0),
        ("2015-02-24T11:35:52", "2015-02-24 11:35:52", np.nan),
        ("2015-02-24 11:35", "2015-02-24 11:35:00", np.nan),
        ("2015-02-24", "2015-02-24 00:00:00", np.nan),
    ],
)
def test_iso8601_with_and_without_zone(value, utc, offset):
    row = one(value)
    assert row.timestamp == pd.Timestamp(utc, tz="UTC")
    if np.isnan(offset):
        assert np.isnan(row.utc_offset_min)
        assert row.local_hour == pd.Timestamp(utc).hour  # no offset: UTC hour
    else:
        assert row.utc_offset_min == offset


def test_epoch_seconds_and_milliseconds_as_text_and_numbers():
    expected = pd.Timestamp("2017-10-31 22:11:45", tz="UTC")
    out = parse_timestamps(pd.Series(["1509487905", "1509487905000", "1509487905123"]))
    assert out.timestamp.iloc[0] == expected
    assert out.timestamp.iloc[1] == expected
    assert out.timestamp.iloc[2] == expected + pd.Timedelta(milliseconds=123)  # exact, no float drift
    nums = parse_timestamps(pd.Series([1509487905, 1509487905000]))
    assert (nums.timestamp == expected).all()
    assert (nums.utc_offset_min == 0).all()  # an epoch is a UTC instant


def test_datetime_inputs_keep_their_zone_offset():
    aware = pd.Series(pd.to_datetime(["2017-01-01 10:00"]).tz_localize("America/New_York"))
    row = parse_timestamps(aware).iloc[0]
    assert row.timestamp == pd.Timestamp("2017-01-01 15:00", tz="UTC")
    assert row.utc_offset_min == -300.0 and row.local_hour == 10
    naive = parse_timestamps(pd.Series(pd.to_datetime(["2017-01-01 10:00"]))).iloc[0]
    assert naive.timestamp == pd.Timestamp("2017-01-01 10:00", tz="UTC")


def test_unparseable_values_are_flagged_not_raised():
    out = parse_timestamps(pd.Series(["not a date", "11 May, 09:44", "", None, "2017-13-45T99:00",
                                      "0001-01-01T00:00:00", "Jan 1 1500", "99999999999999999999"]))
    assert out.timestamp.isna().all()
    # junk, a date without its year, and dates outside 1677..2262 are unparseable; blanks are missing
    assert out.unparseable.tolist() == [True, True, False, False, True, True, True, True]
    assert out.local_hour.isna().all()


def test_leftover_formats_go_through_dateutil_once_per_value():
    out = parse_timestamps(pd.Series(["Tue, 31 Oct 2017 22:11:45 +0100", "March 3 2017 10:00 PM"] * 3))
    assert out.timestamp.iloc[0] == pd.Timestamp("2017-10-31 21:11:45", tz="UTC")
    assert out.utc_offset_min.iloc[0] == 60.0 and out.local_hour.iloc[0] == 22
    assert out.timestamp.iloc[1] == pd.Timestamp("2017-03-03 22:00", tz="UTC")
    assert not out.unparseable.any()


def test_common_formats_are_vectorised(monkeypatch):
    calls = []
    monkeypatch.setattr(tp, "_dateutil_one", lambda v: calls.append(v) or (None, np.nan))
    values = pd.Series(
        ["Tue Oct 31 22:11:45 +0000 2017", "2015-02-24 11:35:52 -0800", "2015-02-24T11:35:52Z",
         "1509487905"] * 5000
    )
    out = parse_timestamps(values)
    assert calls == []  # no per-row fallback for the common formats
    assert out.timestamp.notna().all() and len(out) == 20000


def test_output_is_aligned_with_the_input_index_and_typed():
    values = pd.Series(["2015-02-24 11:35:52 -0800", "junk"], index=[10, 42])
    out = parse_timestamps(values)
    assert list(out.index) == [10, 42]
    assert str(out.timestamp.dtype) == "datetime64[ns, UTC]"
    assert str(out.local_hour.dtype) == "Int64" and str(out.local_weekday.dtype) == "Int64"
    assert out.utc_offset_min.dtype == np.float64 and out.unparseable.dtype == bool


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40),
                          st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}( ?[+-][0-9]{2}:?[0-9]{2})?\Z"),
                          st.integers(-10**20, 10**20).map(str)), max_size=8))
def test_never_raises_on_arbitrary_strings(values):
    out = parse_timestamps(pd.Series(values, dtype=object))
    assert len(out) == len(values)
    assert (out.timestamp.isna() | out.local_hour.between(0, 23)).all()
    assert not (out.unparseable & out.timestamp.notna()).any()


def test_numeric_dates_are_read_in_one_order_for_the_whole_column():
    """An ingest review (2026-12-05): a column of dd/mm/yyyy dates from 1 March to 10 April read "01/03/2024" as
    3 January and "21/03/2024" as 21 March: 41 days became 11 months, without a word."""
    from ml.ingest.report import date_order_line

    eu = pd.Series(["01/03/2024 08:00", "02/03/2024 08:15", "21/03/2024 13:00", "10/04/2024 09:00", "1.4.24"])
    out = parse_timestamps(eu)
    assert [t.strftime("%Y-%m-%d") for t in out["timestamp"]] == [
        "2024-03-01", "2024-03-02", "2024-03-21", "2024-04-10", "2024-04-01"]
    assert out.attrs["date_order"]["order"] == "day first"
    assert "read day first" in date_order_line(out.attrs["date_order"])
    us = parse_timestamps(pd.Series(["03/01/2024", "03/21/2024"]))
    assert [t.strftime("%m-%d") for t in us["timestamp"]] == ["03-01", "03-21"]
    assert us.attrs["date_order"]["order"] == "month first"
    unknown = parse_timestamps(pd.Series(["01/03/2024", "02/03/2024"]))  # nothing tells: month first, said so
    assert unknown.attrs["date_order"]["order"] == "unknown" and unknown["timestamp"][0].month == 1
    assert "ISO 8601" in date_order_line(unknown.attrs["date_order"])
    assert parse_timestamps(pd.Series(["2024-03-01T08:00Z"])).attrs["date_order"] is None
    # year-first dates beside day-first ones keep their order (a review: "2024/01/05" became 1 May)
    mixed = parse_timestamps(pd.Series(["21/03/2024 10:00", "2024/01/05 10:00", "2024.01.06"]))
    assert [t.strftime("%Y-%m-%d") for t in mixed["timestamp"]] == ["2024-03-21", "2024-01-05", "2024-01-06"]


def test_yyyymmdd_numbers_are_dates_in_text_and_numeric_columns():
    """Google Analytics 4's event_date (20180511) read as seconds since 1970: every value in August 1970."""
    for values in (pd.Series(["20180511", "20180512", ""]), pd.Series([20180511, 20180512, None])):
        out = parse_timestamps(values)
        assert out["timestamp"].dt.strftime("%Y-%m-%d").tolist()[:2] == ["2018-05-11", "2018-05-12"]
        assert out["utc_offset_min"].isna().all() and not out["unparseable"].any()  # a date: no written offset
    # one that is no calendar date (month 13) is unparseable, not the reason to read the column as seconds
    mixed = parse_timestamps(pd.Series([20180511, 20181311]))
    assert mixed["timestamp"].dt.strftime("%Y-%m-%d").tolist()[0] == "2018-05-11" and mixed["timestamp"].isna()[1]
    assert mixed["unparseable"].tolist() == [False, True]
    seconds = parse_timestamps(pd.Series([1_700_000_000, 1_700_003_600]))  # out of the range: epoch seconds
    assert (seconds["timestamp"].dt.year == 2023).all()
