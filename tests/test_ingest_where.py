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
    assert "\n" not in message and message.startswith(f"{AIRLINE}: --where (input.where) names column 'airlines'")
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


def test_assign_says_the_inherited_filter_only_in_the_filters_own_errors(tmp_path):
    """Fresh rows read under the run's own --where: a filter error says where the filter came from; a missing
    file says only that (it read "file not found; …(the run's own --where; …)")."""
    import io

    from rich.console import Console

    from ml.assign import _read_inherited, build_parser
    from ml.runtime.errors import InputError

    args = build_parser().parse_args(["RUN", str(tmp_path / "absent.csv"), "--out", "o"])
    args.where = ["airline=United"]
    with pytest.raises(InputError) as missing:
        _read_inherited(args, Console(file=io.StringIO()))
    assert "absent.csv" in str(missing.value) and "--where" not in str(missing.value)
    fresh = tmp_path / "fresh.csv"
    pd.DataFrame({"text": ["where is my refund for the order", "the app logs me out every day"]}).to_csv(fresh,
                                                                                                   index=False)
    args.inputs = [str(fresh)]
    with pytest.raises(InputError) as bad:
        _read_inherited(args, Console(file=io.StringIO()))
    assert "airline" in str(bad.value) and str(bad.value).endswith("--no-where to read every row)")


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


def test_numbers_match_in_csv_and_excel_where_every_column_is_read_as_text(raw, tmp_path):
    ones = int((raw["retweet_count"] == 1).sum())
    assert len(load_messages(AIRLINE, where=["retweet_count=1.0"])[0]) == ones > 0
    both = load_messages(AIRLINE, where=["retweet_count=1", "retweet_count=2.0"])[0]
    assert len(both) == raw["retweet_count"].isin([1, 2]).sum() > ones
    raw.head(400).to_excel(tmp_path / "t.xlsx", index=False)
    assert len(load_messages(tmp_path / "t.xlsx", where=["retweet_count=1"])[0]) == (
        raw.head(400)["retweet_count"] == 1).sum()


def test_a_folder_whose_file_keeps_no_row_still_reads_the_others(raw, tmp_path):
    """Two files named by no alias (the text column found by its values): the one --where empties is counted as
    read, not mapped, and the other's rows are read."""
    part = raw.rename(columns={"text": "feedback", "tweet_created": "when"})[["tweet_id", "airline", "feedback", "when"]]
    part[part["airline"] == "United"].to_csv(tmp_path / "a_united.csv", index=False)
    part[part["airline"] == "Delta"].to_csv(tmp_path / "b_delta.csv", index=False)
    msgs, report = load_messages(tmp_path, where=["airline=United"])
    united, delta = (part["airline"] == "United").sum(), (part["airline"] == "Delta").sum()
    assert len(msgs) == united and report.kept_where == united and report.dropped_where == delta
    assert report.rows_read == united + delta and [f.rows_read for f in report.files] == [united, delta]


def test_notices_left_out_before_the_filter_are_not_counted_as_kept(tmp_path):
    from tests.test_ingest_chat_exports import slack_export

    tweets = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str)["text"].dropna().head(60).tolist()
    slack_export(tmp_path, tweets)
    msgs, report = load_messages(tmp_path, where=["channel=general"])
    assert len(msgs) == report.kept_where == 2  # #general's two messages; the joins and topics were in #support
    assert report.dropped_system_messages > 0 and report.kept_where + report.dropped_where < report.rows_read
    assert f"rows where channel=general (--where): 2 of {report.rows_read}" in "\n".join(report.summary_lines())


def test_a_column_some_files_lack_keeps_none_of_their_rows(raw, tmp_path):
    raw.head(50).to_csv(tmp_path / "a.csv", index=False)
    raw.iloc[50:90].drop(columns=["airline"]).to_csv(tmp_path / "b.csv", index=False)
    first = raw["airline"].iloc[0]
    msgs, report = load_messages(tmp_path, where=[f"airline={first}"])
    assert len(msgs) == (raw.head(50)["airline"] == first).sum() > 0 and report.dropped_where == 90 - len(msgs)
    with pytest.raises(InputError, match="does not have.*leave --where out"):
        load_messages(tmp_path / "b.csv", where=[f"airline={first}"])


def test_dates_spaces_empty_values_and_a_yaml_string(raw, tmp_path):
    from ml.runtime.config import PipelineConfig

    frame = raw.head(60).rename(columns={"airline": "Airline "}).assign(
        day=pd.to_datetime(raw.head(60)["tweet_created"].str[:10]))
    frame.to_parquet(tmp_path / "t.parquet")
    day = str(frame["day"].iloc[0].date())
    assert len(load_messages(tmp_path / "t.parquet", where=[f"day={day}"])[0]) == (frame["day"] == day).sum()
    first = frame["Airline "].iloc[0]
    for item in (f"Airline ={first}", f"Airline={first}"):  # the header's own name, or without its spaces
        assert len(load_messages(tmp_path / "t.parquet", where=[item])[0]) == (frame["Airline "] == first).sum()
    blanks = RowFilter(["negativereason=nothing"])
    assert blanks.apply(raw.fillna({"negativereason": ""}), AIRLINE).empty
    assert "(empty) (" in str(blanks.no_match("x"))  # a blank value is shown as "(empty)"
    assert PipelineConfig().updated({"input": {"where": "airline=United"}}).input.where == ["airline=United"]


def test_assign_can_read_every_row_and_says_the_filter(pipeline_run_dir, tmp_path):
    import json

    from ml.assign import main

    out = tmp_path / "sides"
    main([str(pipeline_run_dir), str(SAMPLE_DIR / "twcs_sample.csv"), "--where", "inbound=true", "--out", str(out),
          "--quiet"])
    summary = json.loads((out / "summary.json").read_text())
    inbound = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str)["inbound"].str.strip().str.lower()
    assert summary["where"] == "inbound=true" and summary["rows_left_out_by_where"] == int((inbound == "false").sum())
    from types import SimpleNamespace

    from ml.assign import build_parser, run_where

    args = build_parser().parse_args(["RUN", "x.csv", "--out", "o", "--no-where"])
    assert run_where(args, SimpleNamespace(config={"input": {"where": ["airline=United"]}})) is None


def test_one_course_of_an_event_log_takes_that_courses_outcomes():
    """OULAD: students of several presentations; with --where code_module=DDD --where code_presentation=2014J every
    user's outcome is that presentation's row of studentInfo (the outcome file names the course too), and the other
    course's file is listed as read. With code_module=DDD alone, a student who took DDD twice has two results: until
    2026-12-05 the first row won (another presentation's result); now the run is refused, naming the column."""
    from ml.events.config import EventInputConfig
    from ml.events.ingest import load_events
    from tests.fixtures.data import shared_path

    ddd, bbb = (shared_path("events_oulad", f"studentVle_{c}.csv.gz") for c in ("DDD_2014J", "BBB_2014J"))
    info = shared_path("events_oulad", "studentInfo.csv.gz")
    cfg = EventInputConfig(user_cols=["id_student"], event_lookup=str(shared_path("events_oulad", "vle.csv")),
                           event_lookup_key="id_site", event_lookup_value="activity_type", count_col="sum_click",
                           outcome_file=str(info), outcome_col="final_result", where=["code_module=DDD"])
    with pytest.raises(InputError, match=r"users have rows with different 'final_result' values .*code_presentation"):
        load_events([ddd, bbb], cfg)
    cfg = cfg.model_copy(update={"where": ["code_module=DDD", "code_presentation=2014J"]})
    table = load_events([ddd, bbb], cfg)
    truth = pd.read_csv(info, dtype=str)
    truth = truth[(truth["code_module"] == "DDD") & (truth["code_presentation"] == "2014J")]
    assert not truth["id_student"].duplicated().any()
    truth = truth.set_index("id_student")["final_result"]
    got = table.users.set_index("user")["outcome"]
    assert got.notna().sum() > 100 and (got.dropna() == truth.reindex(got.dropna().index)).all()
    assert [f.get("kept_where") for f in table.report["files"]] == [None, 0]  # BBB's file: read, none kept


def test_a_json_list_matches_when_one_element_does(raw, tmp_path):
    import json

    rows = [{"id": str(i), "text": t, "tags": tags} for i, (t, tags) in enumerate(zip(
        raw["text"].head(30), [["billing", "refund"], ["delivery"], []] * 10))]
    (tmp_path / "t.json").write_text(json.dumps(rows))
    msgs, report = load_messages(tmp_path / "t.json", where=["tags=Refund"])
    assert len(msgs) == report.kept_where == 10
    with pytest.raises(InputError, match=r"tags: (billing|refund|delivery) \(10\)"):
        load_messages(tmp_path / "t.json", where=["tags=gift"])
