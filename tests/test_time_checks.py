"""Time columns that hold no times of writing (``ml.ingest.timebasis.not_times`` / ``dates_only``) and spreadsheet
serial dates (``ml.ingest.timeparse``). A robustness sweep of real airline tweets found, each run "succeeding":
dates without a time ("2015-02-24") gave every persona "busiest at 00:00" and a night share of 100 %; one export
time on every row gave "busiest at 11:00"; Excel serial dates (42059.78) and ``--time-col retweet_count`` were read
as seconds since 1970 (1 Jan 1970, "busiest at 11:00 UTC")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.ingest.load import load_messages
from ml.ingest.timebasis import MIN_STAMPS, TimeBasis
from ml.ingest.timeparse import parse_timestamps
from ml.profile.activity import DATES_ONLY_NOTE, ActivityProfiler
from ml.profile.describe import describe
from tests.conftest import REPO

AIRLINE = REPO / "data" / "sample" / "airline_tweets_sample.csv"


def _load(tmp_path, column: pd.Series | None = None, time_col: str = "tweet_created") -> pd.DataFrame:
    raw = pd.read_csv(AIRLINE, dtype=str).head(300)
    if column is not None:
        raw[time_col] = column.iloc[: len(raw)].to_numpy()
    path = tmp_path / "tweets.csv"
    raw.to_csv(path, index=False)
    messages, _ = load_messages(path)
    return messages


def test_spreadsheet_serial_dates_are_read_as_dates_not_as_1970():
    for values in (pd.Series(["42059.784317", "42060.5"]), pd.Series([42059.784317, 42060.5])):
        got = parse_timestamps(values)
        assert list(got["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")) == ["2015-02-24 18:49:25", "2015-02-25 12:00:00"]
        assert got["utc_offset_min"].isna().all()  # a spreadsheet's wall clock names no zone
    epoch = parse_timestamps(pd.Series(["1424800000", "1424800600"]))  # seconds since 1970 stay that
    assert epoch["timestamp"].dt.year.tolist() == [2015, 2015] and (epoch["utc_offset_min"] == 0).all()


def test_real_timestamps_are_read_as_before(tmp_path):
    messages = _load(tmp_path)
    clock = TimeBasis().fit(messages)
    assert clock.basis_ == "UTC-08:00" and clock.ignored_ is None and not clock.dates_only_
    assert clock.transform(messages)["local_hour"].notna().all()


def test_dates_without_a_time_of_day_keep_their_dates_and_lose_the_hour(tmp_path):
    stamps = pd.read_csv(AIRLINE, dtype=str)["tweet_created"].str[:10]  # "2015-02-24"
    messages = _load(tmp_path, stamps)
    clock = TimeBasis().fit(messages)
    out = clock.transform(messages)
    assert clock.dates_only_ and clock.basis_ is None and "dates without a time of day" in clock.note_
    assert out["local_hour"].isna().all() and out["timestamp"].notna().all() and out["local_weekday"].notna().all()
    assert clock.record()["dates_only"] is True
    fit = ActivityProfiler().fit(out, [0] * len(out))
    act = fit.profile(0)
    assert not act["has_timestamps"] and act["note"] == DATES_ONLY_NOTE and act["peak_hours"] == []
    text = describe({"id": 0, "name": "x", "size": len(out), "share": 1.0, "core_size": len(out), "reassigned_count": 0,
                     "activity": act})
    assert "dates without a time of day" in text and "busiest at" not in text


@pytest.mark.parametrize("column, why", [
    (pd.Series(["2015-02-24 11:40:52 -0800"] * 300), "every row carries the same time (24 Feb 2015 19:40:52 UTC)"),
    (pd.Series([str(i % 5) for i in range(300)]), "every value falls before 1971 when read as a date"),
])
def test_a_column_of_no_times_of_writing_is_not_read(tmp_path, column, why):
    messages = _load(tmp_path, column)
    clock = TimeBasis().fit(messages)
    out = clock.transform(messages)
    assert clock.ignored_.startswith(why) and clock.basis_ is None and clock.note_.startswith("The time column is not read")
    assert out["timestamp"].isna().all() and out["local_hour"].isna().all() and out["local_weekday"].isna().all()
    assert clock.record()["ignored"] == clock.ignored_


def test_a_few_values_are_not_judged():
    few = parse_timestamps(pd.Series(["2015-02-24"] * (MIN_STAMPS - 1)))
    clock = TimeBasis().fit(few)
    assert not clock.dates_only_ and clock.ignored_ is None and clock.basis_ == "UTC"


def test_serial_dates_with_a_text_cell_are_still_serial_dates():
    """A review of the change: one "n/a" among the serials turned the rule off and every serial became 1 Jan 1970;
    the rule reads the column's numbers. Days since 1970 (about 20,000 today) are no serial dates."""
    got = parse_timestamps(pd.Series(["42059.78"] * 12 + ["n/a", "2015-03-10 10:00"]))
    assert (got["timestamp"].dt.year.iloc[:12] == 2015).all() and got["unparseable"].iloc[12]
    assert got["timestamp"].iloc[13] == pd.Timestamp("2015-03-10 10:00", tz="UTC")
    assert parse_timestamps(pd.Series(["20100", "20101"]))["timestamp"].dt.year.tolist() == [1970, 1970]


def test_one_date_on_every_row_is_ignored_not_also_dates_only():
    clock = TimeBasis().fit(parse_timestamps(pd.Series(["2015-02-24"] * 12)))
    assert clock.ignored_ and not clock.dates_only_ and clock.record()["dates_only"] is False


def test_dates_without_a_time_measure_no_reply_delay_in_minutes(tmp_path):
    """A same-day reply is not 0 minutes: the features that measure within a day are unknown for dates only."""
    from ml.features.behavioral import FEATURE_NAMES, SUB_DAY_FEATURES, message_features

    twcs = pd.read_csv(REPO / "data" / "sample" / "twcs_sample.csv", dtype=str).head(400)
    full = tmp_path / "full.csv"
    twcs.to_csv(full, index=False)
    dated = tmp_path / "dated.csv"
    stamps = pd.to_datetime(twcs["created_at"], format="%a %b %d %H:%M:%S %z %Y").dt.strftime("%Y-%m-%d")
    twcs.assign(created_at=stamps).to_csv(dated, index=False)
    for path, known in ((full, True), (dated, False)):
        messages, _ = load_messages(path)
        clock = TimeBasis().fit(messages)
        values = message_features(clock.transform(messages))
        for name in SUB_DAY_FEATURES:
            assert np.isfinite(values[:, FEATURE_NAMES.index(name)]).any() == known, (path.name, name)
