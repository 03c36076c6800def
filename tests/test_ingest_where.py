"""``--where COLUMN=VALUE`` (ml.ingest.where): only the rows of one segment reach a run, on the bundled real
airline tweets; bad items and a filter that matches nothing are one-line errors naming what to do."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.ingest.load import load_messages
from ml.ingest.where import RowFilter, parse_where
from ml.runtime.errors import InputError
from tests.fixtures.data import SAMPLE_DIR

AIRLINE = SAMPLE_DIR / "airline_tweets_sample.csv"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(AIRLINE)


def test_one_value_keeps_that_segment_only_ignoring_case(raw):
    msgs, report = load_messages(AIRLINE, where=["airline=united"])
    united = raw[raw["airline"] == "United"]
    assert len(united) and sorted(msgs["message_id"].astype(str)) == sorted(united["tweet_id"].astype(str))
    assert report.where == "airline=united" and report.dropped_where == len(raw) - len(united)
    assert report.rows_read == len(raw)  # what was read, not what was kept
    assert f"rows where airline=united (--where): {len(united)} of {len(raw)}" in "\n".join(report.summary_lines())


def test_values_of_one_column_are_any_columns_are_all(raw):
    both = load_messages(AIRLINE, where=["airline=United", "airline= delta "])[0]
    assert len(both) == raw["airline"].isin(["United", "Delta"]).sum()
    negative = load_messages(AIRLINE, where=["airline=United", "airline=Delta", "airline_sentiment=negative"])[0]
    expected = raw["airline"].isin(["United", "Delta"]) & (raw["airline_sentiment"] == "negative")
    assert 0 < len(negative) == expected.sum() < len(both)


def test_a_number_matches_a_number_column(raw):
    assert pd.api.types.is_numeric_dtype(raw["retweet_count"])
    kept = RowFilter(["retweet_count=1"]).apply(raw, AIRLINE)
    assert len(kept) == (raw["retweet_count"] == 1).sum() > 0
    assert len(RowFilter(["retweet_count=1.0"]).apply(raw, AIRLINE)) == len(kept)


def test_no_filter_keeps_every_row(raw):
    rows = RowFilter([])
    assert not rows and rows.apply(raw, AIRLINE) is raw and load_messages(AIRLINE)[1].where is None


def test_a_column_the_file_lacks_is_named_with_the_nearest_one():
    with pytest.raises(InputError) as err:
        load_messages(AIRLINE, where=["airlines=United"])
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{AIRLINE}: --where names column 'airlines'")
    assert "did you mean 'airline'?" in message


def test_nothing_matching_says_the_commonest_values(raw):
    with pytest.raises(InputError) as err:
        load_messages(AIRLINE, where=["airline=Untied"])
    message = str(err.value)
    top = raw["airline"].value_counts()
    assert message.startswith(f"--where airline=Untied matches no row of {AIRLINE}")
    assert f"airline: {top.index[0]} ({top.iloc[0]:,})" in message and "\n" not in message


@pytest.mark.parametrize("item", ["airline", "=United", "  =x"])
def test_an_item_without_a_column_is_refused(item):
    with pytest.raises(InputError, match="write COLUMN=VALUE"):
        parse_where([item])


def test_config_refuses_a_bad_item_in_one_line():
    from pydantic import ValidationError

    from ml.runtime.config import PipelineConfig

    assert PipelineConfig().updated({"input": {"where": ["airline=United"]}}).input.where == ["airline=United"]
    with pytest.raises((ValidationError, InputError, ValueError), match="COLUMN=VALUE"):
        PipelineConfig().updated({"input": {"where": ["airline"]}})


def test_assign_uses_the_runs_own_filter_unless_told_otherwise():
    from types import SimpleNamespace

    from ml.assign import build_parser, run_where

    run = SimpleNamespace(config={"input": {"where": ["airline=United"]}})
    args = build_parser().parse_args(["RUN", "new.csv", "--out", "o"])
    assert run_where(args, run) == ["airline=United"]
    args = build_parser().parse_args(["RUN", "new.csv", "--out", "o", "--where", "airline=Delta"])
    assert run_where(args, run) == ["airline=Delta"]
    assert run_where(build_parser().parse_args(["RUN", "x.csv", "--out", "o"]), SimpleNamespace(config={})) is None


def test_event_logs_keep_one_course():
    """OULAD's per-student click counts of every module: --where code_module=BBB keeps that module's students;
    the rows read still count every row, and a module the log lacks is named with the commonest ones."""
    from ml.events.config import EventInputConfig
    from ml.events.ingest import load_events
    from tests.fixtures.data import shared_path

    path = shared_path("events_oulad", "student_activity_clicks.csv.gz")
    raw = pd.read_csv(path, usecols=["code_module", "id_student"])
    table = load_events(path, EventInputConfig(where=["code_module=bbb"]))
    bbb = raw[raw["code_module"] == "BBB"]
    assert set(table.users["user"]) == set(bbb["id_student"].astype(str)) and len(table.users) < raw["id_student"].nunique()
    assert table.report["rows"] == len(raw) and table.report["dropped_where"] == len(raw) - len(bbb)
    assert table.report["where"] == "code_module=bbb"
    with pytest.raises(InputError, match=r"matches no row of .*the commonest values are code_module: FFF"):
        load_events(path, EventInputConfig(where=["code_module=ZZZ"]))
