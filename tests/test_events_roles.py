"""Each column of an event file plays one part (ml.events.roles), and a few unreadable values among day offsets do not
turn the column into epoch seconds (ml.events.timecol). Both ran to the end with made-up results before (an events
review, 2026-12-07: OULAD's click log with ``--event-col date``; 200 "day ten" among 60,000 day offsets read as hours
and weekdays of 1 Jan 1970)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ml.events.config import EventInputConfig
from ml.events.ingest import load_events
from ml.events.timecol import parse_event_times
from ml.runtime.errors import InputError


def clicks(tmp_path: Path, n_users: int = 30, days: list[str] | None = None, name: str = "clicks.csv") -> Path:
    """An OULAD-like click log: users, resource ids (numbers), day offsets, click counts."""
    rows = []
    for u in range(n_users):
        for j in range(2 + u % 3):
            rows.append({"id_student": 1000 + u, "id_site": 5000 + (u + j) % 5, "date": (u * 3 + j) % 40 - 9,
                         "sum_click": 1 + j})
    frame = pd.DataFrame(rows)
    if days is not None:
        frame["date"] = (days * len(frame))[: len(frame)]
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


def test_a_few_words_among_day_offsets_are_bad_values_not_epoch_seconds():
    values = pd.Series(["-9", "3", "day ten", "", "262"] * 40)
    frame, resolution = parse_event_times(values)
    assert resolution == "offset"
    assert frame["bad"].tolist()[:5] == [False, False, True, False, False]
    assert frame["day"].tolist()[:2] == [-9.0, 3.0] and frame["hour"].isna().all() and frame["weekday"].isna().all()


def test_a_column_mostly_of_dates_is_still_read_as_dates():
    frame, resolution = parse_event_times(pd.Series(["2024-03-01T10:00:00Z", "2024-03-02T11:30:00Z", "7"]))
    assert resolution == "hour" and frame["hour"].tolist()[:2] == [10, 11]


def test_a_run_keeps_a_few_unreadable_offsets_without_a_time(tmp_path):
    path = clicks(tmp_path, n_users=300)
    frame = pd.read_csv(path)
    frame["date"] = frame["date"].astype(str)
    frame.loc[frame.index[::200], "date"] = "day ten"  # under the 1 % that stops a run
    frame.to_csv(path, index=False)
    table = load_events([path], EventInputConfig(event_cols=["id_site"]))
    assert table.resolution == "offset", "one word among day offsets read the column as 1970 timestamps"
    assert table.events["hour"].isna().all()


def test_the_event_column_cannot_be_the_time_column_found_by_its_name(tmp_path):
    with pytest.raises(InputError) as err:
        load_events([clicks(tmp_path)], EventInputConfig(event_cols=["date"]))
    msg = one_line(err)
    assert "clicks.csv" in msg and "'date' is both the event (--event-col) and the time column" in msg
    assert "found by its name" in msg and "pass another --event-col" in msg


@pytest.mark.parametrize("named, part, flag", [({"time_col": "id_site"}, "time", "(--time-col)"),
                                               ({"count_col": "id_site"}, "count", "(--count-col)"),
                                               ({"user_cols": ["id_site"]}, "user", "(--user-col)")])
def test_the_event_column_cannot_be_a_column_named_for_another_part(tmp_path, named, part, flag):
    with pytest.raises(InputError) as err:
        load_events([clicks(tmp_path)], EventInputConfig(event_cols=["id_site"], **named))
    assert f"'id_site' is both the event (--event-col) and the {part} column {flag}" in one_line(err)


def test_an_event_column_of_dates_is_refused(tmp_path):
    path = clicks(tmp_path)
    frame = pd.read_csv(path).rename(columns={"date": "stamp"})
    frame["stamp"] = (pd.Timestamp("2015-01-01") + pd.to_timedelta(frame["stamp"] + 10, unit="D")).dt.strftime("%Y-%m-%d")
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        load_events([path], EventInputConfig(event_cols=["stamp"], time_col="none"))
    msg = one_line(err)
    assert "'stamp' (--event-col) holds times such as '2015-01-" in msg and "as --time-col" in msg


def test_numeric_event_ids_are_events(tmp_path):
    table = load_events([clicks(tmp_path)], EventInputConfig(event_cols=["id_site"]))
    assert table.events["event"].nunique() == 5


def test_an_event_column_of_one_value_says_so_first(tmp_path):
    """OULAD's ``--event-col code_presentation`` (one value, "2014J") got "widen the window, lower
    matrix.min_user_events or min_reach" (an events review)."""
    from ml.events.config import EventConfig
    from ml.events.pipeline import EventPipeline
    from ml.runtime.errors import TooFewRowsError

    path = clicks(tmp_path, n_users=40)
    frame = pd.read_csv(path)
    frame["term"] = "2014J"
    frame.to_csv(path, index=False)
    cfg = EventConfig().updated({"input": {"event_cols": ["term"]}})
    with pytest.raises(TooFewRowsError) as err:
        EventPipeline(cfg).run([path])
    msg = one_line(err)
    assert msg.startswith("clicks.csv: the event column holds one value ('2014J') in every row"), msg
    assert "--event-col" in msg and "widen the window" not in msg


def test_an_event_column_of_one_value_per_user_is_read_as_an_id(tmp_path):
    from ml.events.matrix import _not_events

    ids = pd.DataFrame({"user": [f"u{i}" for i in range(50)] * 2, "event": [f"e{i}" for i in range(50)] * 2,
                        "count": 1})
    assert "each of the event column's 50 values is done by one user only" in _not_events(ids)
    real = pd.DataFrame({"user": [f"u{i}" for i in range(50)] * 2, "event": ["open", "buy"] * 50, "count": 1})
    assert _not_events(real) is None


def test_spreadsheet_serial_dates_and_infinities_are_not_day_offsets():
    """A review of the day-offset rule: Excel serial dates (45000.5) with a word among them were read as offsets of
    45,000 days, and one "inf" sent a column of offsets to the timestamp parser."""
    frame, resolution = parse_event_times(pd.Series(["45000.5", "45001.25", "n/a"] * 10))
    assert resolution == "hour" and frame["hour"].tolist()[:2] == [12, 6]
    frame, resolution = parse_event_times(pd.Series(["1", "2", "inf"] * 10))
    assert resolution == "offset" and frame["bad"].tolist()[:3] == [False, False, True]


def test_an_event_column_of_yearless_times_is_refused(tmp_path):
    """Moodle's "11 May, 09:44" carries no year, which the timestamp parser refuses: as an event column it gave 9,020
    "event types" (a review)."""
    path = clicks(tmp_path)
    frame = pd.read_csv(path).drop(columns=["date"])
    frame["Time"] = [f"{1 + i % 28} May, {i % 24:02d}:{i % 60:02d}" for i in range(len(frame))]
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"'Time' \(--event-col\) holds times such as"):
        load_events([path], EventInputConfig(event_cols=["Time"], time_col="none"))
