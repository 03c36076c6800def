"""Bad input to event runs: one-line InputError naming file/row/column and what to do; exit status 2."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from ml.events.cli import main
from ml.events.config import EventConfig, EventInputConfig
from ml.events.ingest import load_events
from ml.runtime.errors import InputError, TooFewRowsError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows_csv(tmp_path: Path, n_users: int = 30, extra: str = "") -> Path:
    lines = ["user_id,event,timestamp,count"]
    for u in range(n_users):
        for j, ev in enumerate(["open", "search", "buy", "share"][: 2 + u % 3]):
            lines.append(f"u{u},{ev},2024-03-0{1 + j}T1{j}:00:00Z,{1 + (u + j) % 4}")
    return write(tmp_path / "events.csv", "\n".join(lines) + "\n" + extra)


def one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as err:
        load_events([tmp_path / "nope.csv"])
    assert "nope.csv" in one_line(err) and "not found" in str(err.value)


def test_unknown_user_column_is_named_with_a_suggestion(tmp_path):
    path = rows_csv(tmp_path)
    with pytest.raises(InputError) as err:
        load_events([path], EventInputConfig(user_cols=["userid"]))
    msg = one_line(err)
    assert "events.csv" in msg and "'userid'" in msg and "--user-col" in msg and "user_id" in msg


def test_no_user_column_detectable(tmp_path):
    path = write(tmp_path / "x.csv", "who,event\na,open\n")
    with pytest.raises(InputError) as err:
        load_events([path])
    assert "--user-col" in one_line(err)


def test_columns_are_found_as_exports_name_them(tmp_path):
    """"User ID", "Event Name", "Event Time" are user_id / event_name / event_time (ml.ingest.columns.normalized)."""
    lines = ["User ID,Event Name,Event Time"] + [f"u{u},{ev},2024-03-0{1 + j}T1{j}:00:00Z"
                                                 for u in range(12) for j, ev in enumerate(["open", "search"])]
    table = load_events([write(tmp_path / "export.csv", "\n".join(lines) + "\n")])
    assert (table.mapping["user"], table.mapping["event"], table.mapping["time"]) == (
        ["User ID"], ["Event Name"], "Event Time")


def test_non_numeric_count_names_row_and_column(tmp_path):
    path = rows_csv(tmp_path, extra="u1,open,2024-03-01T10:00:00Z,lots\n")
    with pytest.raises(InputError) as err:
        load_events([path])
    msg = one_line(err)
    assert "'count'" in msg and "'lots'" in msg and "data row" in msg and "fix or remove" in msg


def test_negative_count(tmp_path):
    path = rows_csv(tmp_path, extra="u1,open,2024-03-01T10:00:00Z,-3\n")
    with pytest.raises(InputError) as err:
        load_events([path])
    assert "negative" in one_line(err)


def test_empty_user_id_names_the_row(tmp_path):
    path = write(tmp_path / "e.csv", "user_id,event\nu1,open\n,open\n")
    with pytest.raises(InputError) as err:
        load_events([path])
    msg = one_line(err)
    assert "data row 2" in msg and "'user_id'" in msg


def test_unreadable_times(tmp_path):
    path = write(tmp_path / "t.csv", "user_id,event,timestamp\n" + "".join(f"u{i},open,soon\n" for i in range(5)))
    with pytest.raises(InputError) as err:
        load_events([path])
    msg = one_line(err)
    assert "'timestamp'" in msg and "'soon'" in msg and "--time-col" in msg
    # the column was found by its name, not passed: the message says so and how to read no time at all
    assert "(found by its name; --time-col)" in msg and "pass --time-col none to read no time" in msg
    table = load_events([path], EventInputConfig(time_col="none"))
    assert table.mapping["time"] is None and table.resolution == "none"


def test_a_few_unreadable_times_are_counted(tmp_path):
    """The events review: one impossible date ("31 Feb") or a blank time was taken silently. Up to 1 % of the rows
    are kept without a time and counted; --check says so."""
    path = rows_csv(tmp_path, n_users=40, extra="u1,open,2024-02-31T10:00:00Z,1\n")
    table = load_events([path])
    assert table.report["time_unread"] == 1
    from ml.events.pipeline import EventPipeline

    lines, _ = EventPipeline(EventConfig()).check([path])
    assert "time: 1 row of column 'timestamp' did not read as a time or day offset; kept without a time" in \
        " ".join(str(x) for x in lines)


def test_empty_and_header_only_files(tmp_path):
    for name, text in (("empty.csv", ""), ("header.csv", "user_id,event\n")):
        with pytest.raises(InputError) as err:
            load_events([write(tmp_path / name, text)])
        assert name in one_line(err)


def test_broken_gzip(tmp_path):
    path = tmp_path / "e.csv.gz"
    path.write_bytes(gzip.compress(b"user_id,event\nu1,open\n" * 50)[:40])
    with pytest.raises(InputError) as err:
        load_events([path])
    assert "e.csv.gz" in one_line(err)


def test_lookup_id_missing(tmp_path):
    data = write(tmp_path / "clicks.csv", "user_id,site,n\nu1,10,2\nu2,99,1\n")
    lookup = write(tmp_path / "sites.csv", "site,kind\n10,forum\n")
    cfg = EventInputConfig(event_lookup=str(lookup), event_lookup_key="site", event_lookup_value="kind",
                           count_col="n")
    with pytest.raises(InputError) as err:
        load_events([data], cfg)
    msg = one_line(err)
    assert "data row 2" in msg and "'99'" in msg and "sites.csv" in msg


def test_matrix_with_one_numeric_column(tmp_path):
    path = write(tmp_path / "m.csv", "user_id,clicks,name\nu1,3,a\nu2,4,b\n")
    with pytest.raises(InputError) as err:
        load_events([path], EventInputConfig(layout="matrix"))
    assert "--event-col" in one_line(err)


def test_too_few_users_after_filtering(tmp_path):
    path = rows_csv(tmp_path, n_users=30)
    with pytest.raises(TooFewRowsError) as err:
        from ml.events.pipeline import EventPipeline

        EventPipeline(EventConfig.validated({"matrix": {"min_user_events": 10000}})).run([path])
    assert "min_user_events" in one_line(err) and one_line(err).startswith("events.csv: only 0 users")


def test_unknown_config_key_is_refused(tmp_path):
    cfg = write(tmp_path / "c.json", '{"nmf": {"kk": 3}}')
    with pytest.raises(InputError) as err:
        EventConfig.from_file(cfg)
    assert "unknown key 'nmf.kk' (did you mean 'nmf.k'?)" in one_line(err)


def test_cli_exit_status_and_single_line(tmp_path, capsys):
    path = rows_csv(tmp_path, extra="u1,open,2024-03-01T10:00:00Z,lots\n")
    status = main([str(path), "--out", str(tmp_path / "run"), "--no-store", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and err.startswith("error: ") and "'count'" in err
    assert len([line for line in err.splitlines() if line.strip()]) <= 3  # one message, maybe soft-wrapped
    assert not (tmp_path / "run").exists()


def test_cli_k_larger_than_event_types(tmp_path, capsys):
    path = rows_csv(tmp_path)
    status = main([str(path), "--out", str(tmp_path / "run"), "--no-store", "--quiet", "--k", "9"])
    assert status == 2 and "--k" in capsys.readouterr().err


def test_raw_rows_with_an_id_event_column_are_not_read_as_a_matrix(tmp_path):
    """OULAD's raw click rows (id_student, id_site, date, sum_click) have no event-name column: they were read as
    a matrix whose "event types" were id_site and sum_click. Now one line says to name the event column."""
    path = write(tmp_path / "studentVle.csv", "code_module,code_presentation,id_student,id_site,date,sum_click\n"
                 + "".join(f"GGG,2014J,{342946 + u},{897050 + s},-{u + s},{1 + s}\n" for u in range(30) for s in range(3)))
    with pytest.raises(InputError) as err:
        load_events([path])
    msg = one_line(err)
    assert "studentVle.csv" in msg and "--event-col id_site" in msg and "'sum_click'" in msg
    table = load_events([path], EventInputConfig(event_cols=["id_site"]))  # as the line says
    assert table.layout == "rows" and table.events["event"].nunique() == 3
    assert table.events["count"].sum() == 30 * (1 + 2 + 3)


def test_a_matrix_never_counts_an_id_column_as_an_event(tmp_path):
    lines = ["user_id,site_id,quiz,forum,page"] + [f"u{u},{900 + u},{u % 3},{u % 5},{1 + u % 2}" for u in range(30)]
    table = load_events([write(tmp_path / "matrix.csv", "\n".join(lines) + "\n")])
    assert table.layout == "matrix" and set(table.events["event"]) == {"quiz", "forum", "page"}


def test_a_matrix_with_a_cohort_id_and_a_clicks_column_is_read(tmp_path):
    """A users × events matrix whose columns include a cohort id and an event type named like a count: read as a
    matrix (the id is no event), not refused as one-event-per-row data."""
    lines = ["user_id,course_id,page_views,clicks,purchases"] + [
        f"u{u},c{u % 3},{u % 4},{1 + u % 5},{u % 2}" for u in range(30)]
    table = load_events([write(tmp_path / "matrix.csv", "\n".join(lines) + "\n")])
    assert table.layout == "matrix" and set(table.events["event"]) == {"page_views", "clicks", "purchases"}


def test_an_outcome_file_joins_on_the_user_column_the_events_were_read_with(tmp_path):
    """KDD Cup 2015: `enrollment_id` was found in the event files and is the outcome file's key too, yet an outcome
    file without --user-col failed ("an outcome file needs the user key") after the whole ingest."""
    events = rows_csv(tmp_path)
    outcomes = write(tmp_path / "truth.csv", "user_id,label\n" + "".join(f"u{u},{u % 2}\n" for u in range(30)))
    table = load_events([events], EventInputConfig(outcome_file=str(outcomes), outcome_col="label"))
    assert table.users.set_index("user")["outcome"].astype(int).to_dict() == {f"u{u}": u % 2 for u in range(30)}
    other = write(tmp_path / "grades.csv", "StudentId,label\nu1,1\n")  # Moodle: the grades file names it otherwise
    with pytest.raises(InputError) as err:
        load_events([events], EventInputConfig(outcome_file=str(other), outcome_col="label"))
    msg = one_line(err)
    assert msg.startswith(f"{other}: no column 'user_id' (the user key read from the event files)")
    assert "--outcome-key-col" in msg and "StudentId" in msg


def test_an_outcome_file_with_two_outcomes_for_a_user_is_refused_naming_what_tells_them_apart(tmp_path):
    """OULAD: studentInfo holds a row per student and course; joined on id_student alone, 54 of BBB 2014J's
    students silently took another course's final_result (the first row). Rows that agree stay fine."""
    events = rows_csv(tmp_path)
    lines = ["code_module,user_id,final_result"] + [f"BBB,u{u},Pass" for u in range(30)]
    agree = write(tmp_path / "agree.csv", "\n".join(lines + ["CCC,u1,Pass", "CCC,nobody,Fail"]) + "\n")
    table = load_events([events], EventInputConfig(outcome_file=str(agree), outcome_col="final_result"))
    assert set(table.users["outcome"]) == {"Pass"}
    clash = write(tmp_path / "info.csv", "\n".join(lines + ["AAA,u3,Withdrawn", "AAA,u4,Pass", "AAA,x9,Fail"]) + "\n")
    with pytest.raises(InputError) as err:
        load_events([events], EventInputConfig(outcome_file=str(clash), outcome_col="final_result"))
    msg = one_line(err)
    assert msg.startswith(f"{clash}: 1 user has rows with different 'final_result' values (user u3: Pass, Withdrawn)")
    assert "--where on a column the event files have too (it filters both; e.g. code_module=...)" in msg and "--user-col" in msg
    assert main([str(events), "--out", str(tmp_path / "run"), "--outcome-file", str(clash),
                 "--outcome-col", "final_result"]) == 2 and not (tmp_path / "run").exists()


def test_a_matrix_key_that_joins_several_courses_is_said(tmp_path):
    """An events review: OULAD's clicks table (a row per student and module-presentation) keyed on id_student alone
    summed 53 students' courses into one user, seen only in a row count. The rows' other text column that differs
    within a user is named, with the key to pass."""
    lines = ["code_presentation,id_student,forum,quiz,page"]
    for u in range(30):
        lines.append(f"2013J,{u},{u % 5},{1 + u % 3},2")
    lines += ["2014J,3,1,1,1", "2014J,7,2,0,1"]  # two students took a second presentation
    path = write(tmp_path / "clicks.csv", "\n".join(lines) + "\n")
    table = load_events([path], EventInputConfig(layout="matrix"))
    split = table.report["user_split"]
    assert split["columns"] == ["code_presentation"] and split["users"] == 2 and split["example"] == "3"
    from ml.events.pipeline import user_split_line

    line = user_split_line(split, table.mapping["user"])
    assert line.endswith("pass --user-col id_student,code_presentation") and "2 users have rows" in line
    once = write(tmp_path / "once.csv", "\n".join(lines[:31]) + "\n")  # one row per student: nothing to say
    assert "user_split" not in load_events([once], EventInputConfig(layout="matrix")).report
    # an outcome column differs by course too, but it is no key to pass (the diff review)
    graded = [lines[0] + ",final_result"] + [f"{row},{'Pass' if k % 2 else 'Fail'}" for k, row in enumerate(lines[1:])]
    path = write(tmp_path / "graded.csv", "\n".join(graded) + "\n")
    split = load_events([path], EventInputConfig(layout="matrix", outcome_col="final_result")).report["user_split"]
    assert split["columns"] == ["code_presentation"]


def test_an_outcome_that_joins_few_users_is_refused_before_a_run_replaces_a_good_one(tmp_path, capsys):
    """An events review: an outcome file whose ids were written in another case matched 2 of 113 users; the run
    dropped the outcome table without a word and replaced the earlier good run in --out."""
    events = rows_csv(tmp_path)
    lower = write(tmp_path / "grades.csv", "StudentId,label\n" + "".join(f"U{u},{u % 2}\n" for u in range(30))
                  + "u1,1\nu2,0\n")
    with pytest.raises(InputError) as err:
        load_events([events], EventInputConfig(outcome_file=str(lower), outcome_key_cols=["StudentId"],
                                               outcome_col="label"))
    msg = one_line(err)
    assert msg.startswith(f"{lower}: the outcome 'label' is known for 2 users, fewer than the 10")
    assert "StudentId" in msg and "'u0'" in msg and "--outcome-key-col" in msg and "--outcome-file" in msg
    out = tmp_path / "run"
    assert main([str(events), "--out", str(out), "--no-store", "--quiet"]) == 0
    before = (out / "manifest.json").read_bytes()
    status = main([str(events), "--out", str(out), "--no-store", "--quiet", "--outcome-file", str(lower),
                   "--outcome-key-col", "StudentId", "--outcome-col", "label"])
    assert status == 2 and "known for 2 users" in capsys.readouterr().err
    assert (out / "manifest.json").read_bytes() == before
    # enough users matched: read (the 30 upper-case ids are no users; 10 lower-case ones are)
    enough = write(tmp_path / "ok.csv", "StudentId,label\n" + "".join(f"u{u},{u % 2}\n" for u in range(10)))
    table = load_events([events], EventInputConfig(outcome_file=str(enough), outcome_key_cols=["StudentId"],
                                                   outcome_col="label"))
    assert int(table.users["outcome"].notna().sum()) == 10


def test_yyyymmdd_numbers_are_dates_not_seconds_since_1970(tmp_path):
    """Google Analytics 4 writes event_date as 20180511: it read as 1970-08-22 with a made-up hour, and the
    export's own column names (user_pseudo_id, event_name, event_date) were not found without flags."""
    lines = ["user_pseudo_id,event_name,event_date"] + [f"p{u},{ev},2018051{1 + j}" for u in range(25)
                                                        for j, ev in enumerate(["open", "search", "buy"])]
    table = load_events([write(tmp_path / "ga.csv", "\n".join(lines) + "\n")])
    assert table.mapping["user"] == ["user_pseudo_id"] and table.mapping["time"] == "event_date"
    assert table.resolution == "day"
    days = table.events["day"]
    assert (pd.Timestamp(0) + pd.Timedelta(days=float(days.min()))) == pd.Timestamp("2018-05-11")
    assert table.events["hour"].isna().all()
    from ml.events.pipeline import date_span_line

    assert date_span_line(days, table.resolution, table.yearless) == "dates: 11 May 2018 – 13 May 2018; 3 distinct days"


def test_times_with_offsets_name_their_clock_and_timezone_converts(tmp_path):
    """An events review: times written with their offset were read in UTC while every sentence said "(UTC or local
    time, unknown)", and --timezone was refused for event runs."""
    def log(stamp: str) -> Path:
        lines = ["user_id,event,timestamp,count"] + [
            f"u{u},{ev},2024-07-0{1 + j}T{9 + j % 3:02d}:30:00{stamp},{1 + (u + j) % 4}"
            for u in range(30) for j, ev in enumerate(["open", "search", "buy", "share"][: 2 + u % 3])]
        return write(tmp_path / f"log{len(stamp)}.csv", "\n".join(lines) + "\n")

    naive = load_events([log("")])  # no offset written: the clock is unknown, not UTC
    assert naive.report["time"]["basis"] is None and sorted(naive.events["hour"].unique()) == [9, 10, 11]
    utc = load_events([log("Z")])
    assert utc.report["time"]["basis"] == "UTC" and sorted(utc.events["hour"].unique()) == [9, 10, 11]
    dublin = load_events([log("+01:00")])  # the wall clock written, named by its offset
    assert dublin.report["time"]["basis"] == "UTC+01:00" and sorted(dublin.events["hour"].unique()) == [9, 10, 11]
    moved = load_events([log("Z")], EventInputConfig(timezone="America/New_York"))
    assert moved.report["time"]["basis"] == "America/New_York" and sorted(moved.events["hour"].unique()) == [5, 6, 7]
    with pytest.raises(InputError) as err:
        load_events([log("Z")], EventInputConfig(timezone="Mars/Base"))
    assert "--timezone 'Mars/Base'" in one_line(err)
    out = tmp_path / "run"
    assert main([str(log("Z")), "--out", str(out), "--no-store", "--quiet", "--timezone", "Europe/Dublin"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    persona = json.loads((out / "personas.json").read_text(encoding="utf-8"))[0]
    assert manifest["time"]["basis"] == "Europe/Dublin" and persona["activity"]["time_basis"] == "Europe/Dublin"
    assert "Europe/Dublin time" in persona["description"] and "unknown" not in persona["description"]


def test_a_window_that_ends_before_it_starts_is_refused_naming_both_flags(tmp_path, capsys):
    """An events review: --window-start 20 --window-end 14 read "only 0 users and 0 event types left"."""
    status = main([str(rows_csv(tmp_path)), "--out", str(tmp_path / "run"), "--no-store", "--quiet",
                   "--window-start", "20", "--window-end", "14"])
    err = capsys.readouterr().err
    assert status == 2 and "--window-end 14 must be after --window-start 20" in err and "0 users" not in err


def test_the_event_model_reads_new_rows_on_the_runs_timezone_clock(tmp_path):
    """A review: a run made with --timezone cut its window on the zone's days, while the API's /assign read new rows'
    days on their written offsets (UTC here), so a user near a window edge was placed from other events."""
    from ml.events.model import EventRunModel

    rows = pd.DataFrame({"user_id": ["a", "a"], "event": ["open", "buy"],
                         "timestamp": ["2024-07-02T02:00:00Z", "2024-07-02T12:00:00Z"]})
    mapping = {"layout": "rows", "user": ["user_id"], "event": ["event"], "time": "timestamp", "count": None,
               "group": []}
    utc = EventRunModel(None, None, mapping).canonical(rows)["day"]
    ny = EventRunModel(None, None, mapping, timezone="America/New_York").canonical(rows)["day"]
    assert [int(d) for d in utc] == [19906, 19906]  # 2 July 2024 in UTC
    assert [int(d) for d in ny] == [19905, 19906]  # 02:00 UTC is still 1 July in New York
    path = rows_csv(tmp_path)
    out = tmp_path / "run"
    assert main([str(path), "--out", str(out), "--no-store", "--quiet", "--timezone", "America/New_York"]) == 0
    import joblib

    assert joblib.load(out / "model" / "event_model.joblib").timezone == "America/New_York"


def test_a_mostly_blank_user_id_beside_a_filled_pseudo_id_reads_the_filled_one(tmp_path):
    """Google Analytics 4 writes user_id (empty unless the site sets it) beside user_pseudo_id: the run stopped at
    "data row 1 has an empty user id in column 'user_id'"."""
    lines = ["user_id,user_pseudo_id,event_name,event_timestamp"] + [
        f"{'' if u % 5 else 'U' + str(u)},p{u},{ev},{1_700_000_000_000_000 + (u * 7 + j) * 3_600_000_000}"
        for u in range(25) for j, ev in enumerate(["page_view", "scroll", "purchase"])]
    table = load_events([write(tmp_path / "ga4.csv", "\n".join(lines) + "\n")])
    assert table.mapping["user"] == ["user_pseudo_id"] and table.mapping["time"] == "event_timestamp"
    assert table.users["user"].nunique() == 25 and table.report["time"]["basis"] == "UTC"
    filled = write(tmp_path / "filled.csv", "\n".join(["user_id,user_pseudo_id,event_name"] + [
        f"u{u},p{u},open" for u in range(25)]) + "\n")
    assert load_events([filled]).mapping["user"] == ["user_id"]  # a filled user_id is kept


def test_a_few_rows_without_a_user_id_are_skipped_and_counted_as_unread_times_are(tmp_path, capsys):
    """An events review: 3 blank user ids among 19,296 Moodle rows stopped the whole run, while up to 1 % of
    unreadable times are kept and counted. Up to 1 % of rows without a user are now skipped and said."""
    path = rows_csv(tmp_path, n_users=120, extra=",open,2024-03-01T10:00:00Z,1\n,buy,2024-03-02T10:00:00Z,2\n")
    table = load_events([path])
    assert table.report["user_unread"] == 2 and "" not in set(table.events["user"])
    out = tmp_path / "run"
    assert main([str(path), "--out", str(out), "--no-store"]) == 0
    assert "user id: 2 rows with an empty user_id skipped" in " ".join(capsys.readouterr().err.split())
    many = rows_csv(tmp_path, n_users=3, extra="".join(",open,2024-03-01T10:00:00Z,1\n" for _ in range(3)))
    with pytest.raises(InputError) as err:  # more than 1 %: refused naming the first row, as before
        load_events([many])
    assert "has an empty user id in column 'user_id'" in one_line(err) and "(3 such rows)" in str(err.value)


def test_a_log_appended_to_itself_is_refused_naming_the_rows(tmp_path, capsys):
    """Every count per user would double and the personas change, said by nothing (an events review); a header line
    the append left among the rows does not hide it. Rows repeated one by one (real logs: 9 %) are read."""
    body = rows_csv(tmp_path).read_text(encoding="utf-8").splitlines()
    doubled = write(tmp_path / "doubled.csv", "\n".join(body + body) + "\n")  # `cat a.csv a.csv`: the header too
    with pytest.raises(InputError) as err:
        load_events([doubled])
    n = len(body) - 1
    assert one_line(err).startswith(f"{doubled}: its last {n} data rows repeat its first {n} exactly")
    assert "remove the copy" in one_line(err)
    pandas_made = write(tmp_path / "appended.csv", "\n".join(body + body[1:]) + "\n")  # no header line in between
    with pytest.raises(InputError) as err:
        load_events([pandas_made])
    assert f"its last {n} data rows repeat its first {n}" in one_line(err)
    status = main([str(pandas_made), "--out", str(tmp_path / "run"), "--no-store", "--quiet"])
    assert status == 2 and "appended.csv" in capsys.readouterr().err and not (tmp_path / "run").exists()
    some_repeats = write(tmp_path / "repeats.csv", "\n".join(body + body[1:6]) + "\n")  # five rows again: read
    assert len(load_events([some_repeats]).events) > 0


def test_the_same_rows_in_two_files_are_refused(tmp_path):
    first = rows_csv(tmp_path)
    second = write(tmp_path / "copy.csv", first.read_text(encoding="utf-8"))
    with pytest.raises(InputError) as err:
        load_events([first, second])
    assert "holds the same rows as" in one_line(err) and "events.csv" in one_line(err)
    other = write(tmp_path / "other.csv", first.read_text(encoding="utf-8").replace("u1,", "u999,", 1))
    assert len(load_events([first, other]).events) > 0


def test_a_file_of_too_few_users_says_how_many_it_read(tmp_path):
    """"only 0 users and 0 event types left after the window …" for a file of one user with 55 events."""
    lines = ["user_id,event,timestamp"] + [f"solo,{ev},2024-03-01T10:{m:02d}:00Z"
                                           for m, ev in enumerate(["open", "search", "buy"] * 18)]
    from ml.events.pipeline import EventPipeline

    with pytest.raises(TooFewRowsError) as err:
        EventPipeline(EventConfig()).run([write(tmp_path / "solo.csv", "\n".join(lines) + "\n")])
    assert "only 1 user in the data (54 events); at least 20 users" in one_line(err)


def test_assume_year_out_of_range_is_refused_naming_the_flag(tmp_path, capsys):
    path = rows_csv(tmp_path)
    status = main([str(path), "--out", str(tmp_path / "run"), "--no-store", "--quiet", "--assume-year", "20188"])
    err = capsys.readouterr().err
    assert status == 2 and "--assume-year 20188" in err and "2200" in err


def test_the_clock_counts_the_times_of_every_file(tmp_path):
    """KDD Cup's 31 files: the manifest counted the first file's 31,140 times of 1,720,980."""
    a = rows_csv(tmp_path)
    b = write(tmp_path / "b.csv", a.read_text(encoding="utf-8").replace(",u", ",v").replace("\nu", "\nv"))
    one = load_events([a]).report["time"]["offsets"]
    both = load_events([a, b]).report["time"]["offsets"]
    assert sum(both.values()) == 2 * sum(one.values()) > 0


def test_one_file_named_twice_is_refused_and_nested_json_fields_are_read(tmp_path):
    """A diff review: load_events([a, a]) doubled every count; a JSON export with list fields (GA4's event_params)
    crashed in the doubled-file check with a TypeError."""
    path = rows_csv(tmp_path)
    with pytest.raises(InputError) as err:
        load_events([path, tmp_path, path])  # the folder holds it too
    assert "passed twice" in one_line(err)
    records = [{"user_id": f"u{u}", "event": ev, "timestamp": f"2024-03-0{1 + j}T10:00:00Z", "tags": ["x", ev]}
               for u in range(30) for j, ev in enumerate(["open", "search", "buy"])]
    nested = write(tmp_path / "nested.jsonl", "\n".join(json.dumps(r) for r in records) + "\n")
    assert len(load_events([nested]).events) == 90


def test_two_small_files_that_agree_are_both_read(tmp_path):
    a = write(tmp_path / "day1.csv", "user_id,event\nu1,login\n")
    b = write(tmp_path / "day2.csv", "user_id,event\nu1,login\n")
    assert load_events([a, b]).events["count"].sum() == 2


def test_check_says_how_many_users_the_event_types_set_aside_took_with_them(tmp_path):
    """An events review: --check read 22 users set aside and 1,898 of 1,921 factorised, one user unaccounted for (all
    their events were of near-empty types)."""
    from ml.events.pipeline import EventPipeline

    lines = ["user_id,event,timestamp"] + [f"u{u},{ev},2024-03-01T1{j}:00:00Z" for u in range(150)
                                           for j, ev in enumerate(["open", "search", "buy", "open", "search"])]
    lines += [f"odd,rare,2024-03-01T1{j}:00:00Z" for j in range(6)]  # 1 of 151 users: a near-empty type
    said, _ = EventPipeline(EventConfig()).check([write(tmp_path / "e.csv", "\n".join(lines) + "\n")])
    step = next(line for line in said if line.startswith("key_events"))
    assert step.endswith("; 1 user left with no event of a kept type"), step
    assert any(line.startswith("users a run would factorise: 150;") for line in said)


def test_a_doubled_log_sorted_again_is_refused_and_overlapping_exports_are_said(tmp_path):
    """A verification: the Moodle log appended to itself and sorted by user read as 38,592 events, and two exports
    that overlap by 6,000 rows as 25,296, both without a word."""
    from ml.events.pipeline import EventPipeline

    body = rows_csv(tmp_path).read_text(encoding="utf-8").splitlines()
    header, rows = body[0], body[1:]
    doubled = write(tmp_path / "sorted.csv", "\n".join([header, *sorted(rows + rows)]) + "\n")
    with pytest.raises(InputError) as err:
        load_events([doubled])
    assert f"each of its {len(rows)} distinct rows appears an even number of times" in one_line(err)
    first = write(tmp_path / "first.csv", "\n".join([header, *rows[:60]]) + "\n")
    second = write(tmp_path / "second.csv", "\n".join([header, *rows[40:]]) + "\n")
    table = load_events([first, second])
    assert table.report["duplicate_rows"] == 20 and table.report["rows"] == len(rows) + 20
    said, _ = EventPipeline(EventConfig()).check([first, second])
    assert any(line.startswith(f"rows repeated exactly: 20 of {len(rows) + 20:,}") for line in said), said
    assert load_events([rows_csv(tmp_path)]).report["duplicate_rows"] == 0
