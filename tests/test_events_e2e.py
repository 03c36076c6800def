"""End-to-end event runs on real logs: Moodle (rows, yearless times, grades) and OULAD (raw rows + lookup)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ml.events.cli import main
from ml.events.model import EventRunModel
from ml.events.rundir import ASSIGNMENT_COLUMNS
from ml.events.timecol import parse_event_times
from tests.fixtures.data import shared_path


@pytest.fixture(scope="module")
def moodle_run(tmp_path_factory):
    d = shared_path("events_moodle")
    out = tmp_path_factory.mktemp("ev") / "moodle"
    db = out.parent / "store.db"
    status = main([str(d / "Course_Activity_Obfuscated.csv.gz"), "--out", str(out), "--store", f"sqlite:///{db}",
                   "--user-col", "User full name", "--event-col", "Component,Event name", "--time-col", "Time",
                   "--outcome-file", str(d / "Course_Grades_Obfuscated.csv"), "--outcome-key-col", "StudentId",
                   "--outcome-col", "Overall", "--quiet"])
    assert status == 0
    return out, db


def test_moodle_run_directory(moodle_run):
    out, _ = moodle_run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "events" and manifest["unit"] == "user"
    assert manifest["counts"]["input"] == 19296 and manifest["counts"]["kept"] == 113
    assert [s["stage"] for s in manifest["filtering"]] == ["window", "min_activity", "key_events"]
    # the events go with the users a step removes: the window's events = those removed with users + those kept
    window, active, key = manifest["filtering"]
    assert window["kept"] == active["events_removed"] + active["events_kept"]
    assert active["events_kept"] == key["events_removed"] + key["events_kept"]
    assert key["events_kept"] == manifest["counts"]["events_in_window"] and key["events_removed"] >= 1
    assert manifest["time_resolution"] == "hour" and manifest["dates_without_year"] is True
    table = manifest["metrics"]["k_selection"]
    assert len(table) >= 3 and sum(r["chosen"] for r in table) == 1
    assert manifest["metrics"]["k"] == next(r["k"] for r in table if r["chosen"])
    outcomes = manifest["metrics"]["outcomes"]
    assert outcomes["nmf"]["n"] == 113 and outcomes["nmf"]["p_value"] < 0.05  # grades differ by persona
    # the users cut into as many groups by how many events they logged, read beside the personas (an events review)
    volume = outcomes["volume"]
    assert volume["n"] == 113 and len(volume["personas"]) == manifest["metrics"]["n_personas"]
    assert 0 <= volume["cramers_v"] <= 1 and max(r["n"] for r in volume["personas"]) - min(
        r["n"] for r in volume["personas"]) <= 113 // 4  # groups of about equal size
    assert set(manifest["timings_s"]) >= {"ingest", "matrix", "nmf", "profile", "total"}
    frame = pd.read_parquet(out / "assignments.parquet")
    assert list(frame.columns) == ASSIGNMENT_COLUMNS and len(frame) == 113
    assert frame["distance"].between(0, 1).all() and frame["text"].str.contains("%").all()
    assert frame["timestamp"].isna().all()  # no year in the log: no made-up dates


def test_moodle_personas(moodle_run):
    out, _ = moodle_run
    personas = json.loads((out / "personas.json").read_text())
    assert sum(p["size"] for p in personas) == 113
    assert sorted(m for p in personas for m in p["member_ids"]) == sorted(
        pd.read_parquet(out / "assignments.parquet")["member_id"])
    for p in personas:
        assert p["name"] and p["description"] and p["top_events"] and p["evidence"]
        assert {"event", "weight", "lift", "sentence"} <= set(p["top_events"][0])
        assert p["top_terms"][0]["term"] == p["top_events"][0]["event"]
        assert p["activity"]["has_timestamps"] and sum(p["activity"]["hourly"]) > 0
        assert p["activity"]["weekday"] is None  # unknown without a year
        ev = p["evidence"][0]
        assert set(ev) == {"member_id", "text", "similarity", "top_events"}
        # the mix and how many events it is of (a light user and a heavy one read alike before)
        total = sum(e["count"] for e in ev["top_events"])
        assert ev["text"].endswith(" events)") and int(ev["text"].rsplit("(of ", 1)[1].split()[0].replace(",", "")) >= total
    assert len({p["name"] for p in personas}) == len(personas)
    # Moodle's event names are sentences ("The user has accepted the statement of the submission."): a name cuts
    # them after a whole word, and descriptions drop their closing full stops
    for p in personas:
        for part in p["name"].split(" & "):
            if "…" in part:
                kept = part.split("…")[0].split()
                event = next(e["event"].split("|")[-1] for e in p["top_events"] if e["event"].split("|")[-1].startswith(" ".join(kept)))
                assert event.split()[: len(kept)] == kept, (p["name"], event)
        assert ". (" not in p["description"], p["description"]


def test_moodle_store_and_strategy(moodle_run):
    from pathlib import Path

    import jsonschema

    from ml.store import open_store
    from ml.strategy import generate_strategy

    out, db = moodle_run
    store = open_store(f"sqlite:///{db}")
    try:
        runs = store.list_runs()
        assert len(runs) == 1 and runs[0]["unit"] == "user"
    finally:
        store.close()
    schema = json.loads((Path(__file__).resolve().parents[1] / "ml/strategy/schema.json").read_text())
    for p in json.loads((out / "personas.json").read_text()):
        doc = generate_strategy(p, "retention", rewriter=None)
        jsonschema.validate(doc, schema)
        # users of a course log do things, they do not write: events read as people read them, no raw "|" keys
        said = " ".join(m["text"] for m in doc["key_messages"])
        assert "|" not in said and "how they write" not in said, said


def test_moodle_model_assigns_new_users_like_the_run(moodle_run):
    out, _ = moodle_run
    d = shared_path("events_moodle")
    model = EventRunModel.load(out)
    raw = pd.read_csv(d / "Course_Activity_Obfuscated.csv.gz", dtype=str, keep_default_na=False,
                      lineterminator="\r")
    users = raw["User full name"].unique()[:10]
    sample = raw[raw["User full name"].isin(users)]
    pred = model.predict(sample)
    run = pd.read_parquet(out / "assignments.parquet").set_index("member_id").loc[pred["member_id"]]
    assert (pred["persona_id"].to_numpy() == run["persona_id"].to_numpy()).mean() >= 0.9
    canonical = pd.DataFrame({"user": ["new1"] * 3, "event": ["System|Course viewed", "Quiz|Quiz attempt viewed",
                                                               "Quiz|Quiz attempt viewed"]})
    one = model.predict(canonical)
    assert len(one) == 1 and one["persona_id"].iloc[0] in range(model.model.k_)


def test_oulad_raw_rows_with_lookup_and_window(tmp_path):
    d = shared_path("events_oulad")
    out = tmp_path / "oulad"
    status = main([str(d / "studentVle_AAA_2013J.csv.gz"), "--out", str(out), "--no-store", "--quiet",
                   "--user-col", "code_module,code_presentation,id_student", "--group-col",
                   "code_module,code_presentation", "--event-lookup", str(d / "vle.csv"),
                   "--event-lookup-key", "id_site", "--event-lookup-value", "activity_type",
                   "--count-col", "sum_click", "--time-col", "date", "--window-end", "60",
                   "--outcome-file", str(d / "studentInfo.csv.gz"), "--outcome-col", "final_result"])
    assert status == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["time_resolution"] == "offset"
    window = manifest["filtering"][0]
    assert window["stage"] == "window" and window["removed"] > 0 and window["window"] == [None, 60.0]
    assert 300 < manifest["counts"]["kept"] <= 378
    assert set(manifest["metrics"]["outcomes"]["nmf"]["categories"]) == {"Pass", "Fail", "Withdrawn", "Distinction"}
    personas = json.loads((out / "personas.json").read_text())
    by_day = personas[0]["activity"]["by_day"]
    assert personas[0]["activity"]["has_timestamps"] is False and by_day["bin_days"] == 7
    assert by_day["start_day"] < 0 and abs(sum(by_day["population"]) - 1) < 1e-3


def test_yearless_and_offset_times():
    frame, res = parse_event_times(pd.Series(["11 May, 09:44", "1 Feb, 23:05", ""]))
    assert res == "hour" and frame["hour"].tolist()[:2] == [9, 23] and frame["weekday"].isna().all()
    frame, res = parse_event_times(pd.Series(["11 May, 09:44"]), assume_year=2018)
    assert frame["weekday"].iloc[0] == 4  # 2018-05-11 was a Friday
    frame, res = parse_event_times(pd.Series(["-10", "3", "269"]))
    assert res == "offset" and frame["day"].tolist() == [-10.0, 3.0, 269.0]
    frame, res = parse_event_times(pd.Series(["2014-05-28", "2014-05-29"]))
    assert res == "day" and frame["hour"].isna().all() and np.diff(frame["day"])[0] == 1.0
    # a batch mixing yearless and ISO times (the API's assign example): each row reads, whatever the others are
    # (the minority was refused: the ISO row among yearless ones, or the yearless row among ISO ones)
    for batch in (["11 May, 09:44", "12 May, 10:00", "2024-05-11T09:44:00Z"],
                  ["11 May, 09:44", "2024-05-11T09:44:00Z", "2024-05-12T09:44:00Z"]):
        frame, res = parse_event_times(pd.Series(batch), assume_year=2024)
        assert res == "hour" and not frame["bad"].any() and frame["day"].iloc[0] == frame["day"].iloc[
            batch.index("2024-05-11T09:44:00Z")], batch
    frame, _ = parse_event_times(pd.Series(["11 May, 09:44", "bogus", "2024-05-12T09:44:00Z"]), assume_year=2024)
    assert frame["bad"].tolist() == [False, True, False]
    # with no year named, a few yearless rows take the dated rows' year, and only they lose their weekday (the diff
    # review: the placeholder year put them 24 years away and blanked every row's weekday)
    dated = [f"2024-05-{d:02d}T09:44:00Z" for d in range(1, 11)]
    frame, _ = parse_event_times(pd.Series([*dated, "11 May, 09:44"]))
    assert frame["weekday"].iloc[:10].notna().all() and pd.isna(frame["weekday"].iloc[10])
    assert frame["day"].iloc[10] == frame["day"].iloc[9] + 1  # 11 May 2024 beside 10 May 2024


def test_a_mixpanel_style_json_export_finds_user_event_and_time_nested_in_properties(tmp_path):
    """Moodle's real log rewritten as Mixpanel exports events ({"event", "properties": {"distinct_id", "time"}}):
    the nested fields are found by their own names, and the events are those of the CSV with the same columns."""
    from ml.events.config import EventInputConfig
    from ml.events.ingest import load_events
    from ml.ingest.load import read_table

    d = shared_path("events_moodle")
    raw, _ = read_table(d / "Course_Activity_Obfuscated.csv.gz")
    raw = raw.head(3000)
    lines = [json.dumps({"event": r["Event name"], "properties": {"distinct_id": r["User full name"],
                                                                 "time": r["Time"], "Component": r["Component"]}})
             for r in raw.to_dict("records")]
    (tmp_path / "export.json").write_text("\n".join(lines))
    nested = load_events([tmp_path / "export.json"])
    assert nested.mapping["user"] == ["properties.distinct_id"] and nested.mapping["time"] == "properties.time"
    flat = raw.rename(columns={"Event name": "event", "User full name": "distinct_id", "Time": "time"})
    flat[["event", "distinct_id", "time"]].to_csv(tmp_path / "flat.csv", index=False)
    plain = load_events([tmp_path / "flat.csv"], EventInputConfig())
    cols = ["user", "event", "count", "day"]
    pd.testing.assert_frame_equal(nested.events[cols].reset_index(drop=True), plain.events[cols].reset_index(drop=True))
