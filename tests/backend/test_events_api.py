"""The API over a real event run (the Moodle course log, NMF on users × events): persona list and
detail show events, assign takes event rows and places the run's own users back on their personas.

`moodle_event_run` runs `python -m ml.run --kind events` in-process (about 5 s) once per session and
publishes it to a SQLite store; the app loads the run's `EventRunModel` from the store.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.settings import Settings
from ml.events.profile import event_label
from ml.store import RunBundle, open_store
from tests.backend.conftest import OLD_RUN, error_of
from tests.fixtures.data import shared_path
from tests.fixtures.runs import sqlite_store_with

API = "/api/v1"
MOODLE = ("events_moodle", "Course_Activity_Obfuscated.csv.gz")


def make_moodle_event_run(out: Path, extra: tuple[str, ...] = ()) -> Path:
    """Run the event pipeline on the Moodle log into `out` (``extra``: more flags); returns `out`."""
    from ml.run import main

    source = shared_path(*MOODLE)
    code = main([str(source), "--kind", "events", "--out", str(out), "--no-store", "--quiet", *extra])
    assert code == 0, "the event pipeline failed on the Moodle log"
    return out


def moodle_rows() -> pd.DataFrame:
    """The Moodle log's raw rows (user, event, time), as the API would receive them."""
    with gzip.open(shared_path(*MOODLE), "rt", newline="", encoding="utf-8") as handle:
        raw = pd.read_csv(handle, dtype=str, keep_default_na=False)
    return pd.DataFrame({"user": raw["User full name"], "event": raw["Event name"], "time": raw["Time"]})


@pytest.fixture(scope="session")
def moodle_event_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_moodle_event_run(tmp_path_factory.mktemp("event-runs") / "moodle")


@pytest.fixture(scope="session")
def event_store_url(moodle_event_run: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store holding the Moodle event run and one synthetic conversation run (OLD_RUN)."""
    from tests.backend.synthetic import synthetic_bundle

    url = f"sqlite:///{tmp_path_factory.mktemp('event-store') / 'personas.db'}"
    store = open_store(url)
    try:
        store.publish(synthetic_bundle(OLD_RUN, "2017-10-01T00:00:00Z", n_personas=3, seed=1), replace=True)
        store.publish(RunBundle.from_dir(moodle_event_run), replace=True)
    finally:
        store.close()
    return url


@pytest.fixture(scope="module")
def event_client(event_store_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store_url=event_store_url, frontend_dir=None))) as client:
        yield client


@pytest.fixture(scope="session")
def run_id(moodle_event_run: Path) -> str:
    return json.loads((moodle_event_run / "manifest.json").read_text())["run_id"]


def test_manifest_says_event_run_and_model_available(event_client, run_id):
    body = event_client.get(f"{API}/runs/{run_id}").json()
    assert body["kind"] == "events" and body["unit"] == "user"
    assert body["model_available"] is True and "run_dir" not in body


def test_persona_list_has_event_names(event_client, run_id, moodle_event_run):
    events = set(json.loads((moodle_event_run / "manifest.json").read_text())["events"])
    body = event_client.get(f"{API}/runs/{run_id}/personas").json()
    assert body["total"] == len(json.loads((moodle_event_run / "personas.json").read_text())) >= 2
    for item in body["items"]:
        assert item["top_terms"] and {t["term"] for t in item["top_terms"]} <= events, item["top_terms"]
        assert set(item["feature_z"]) & events  # fingerprint features are the events (colour measures)
    assert sum(i["size"] for i in body["items"]) == 113


def test_persona_detail_has_top_events_and_activity_without_weekdays(event_client, run_id):
    body = event_client.get(f"{API}/runs/{run_id}/personas/0").json()
    assert body["top_events"] and body["top_ngrams"] == []
    first = body["top_events"][0]
    assert set(first) >= {"event", "weight", "lift", "sentence"} and event_label(first["event"]) in first["sentence"]
    activity = body["activity"]
    assert activity["has_timestamps"] is True and activity["weekday"] is None  # Moodle times have no year
    assert activity["by_day"]["persona"] and len(activity["hourly"]) == 24
    members = event_client.get(f"{API}/runs/{run_id}/personas/0/members?limit=3").json()
    assert members["items"] and "%" in members["items"][0]["text"]  # the user's event mix


def test_assign_event_rows_returns_one_item_per_user(event_client, run_id):
    rows = [{"user": "new-1", "event": "Course viewed", "count": 30, "time": "11 May, 09:44"},
            {"user": "new-1", "event": "Course module viewed", "count": 20},
            {"user": "new-1", "event": "Quiz attempt viewed", "count": 2},
            {"user": 7, "event": "Submission form viewed.", "count": 12},
            {"user": 7, "event": "The user has accepted the statement of the submission.", "count": 10},
            {"user": "nobody", "event": "An event this run never saw"}]
    response = event_client.post(f"{API}/runs/{run_id}/assign", json={"events": rows})
    assert response.status_code == 200, response.text
    body = response.json()
    personas = {p["id"]: p["name"] for p in event_client.get(f"{API}/runs/{run_id}/personas").json()["items"]}
    assert body["run_id"] == run_id and body["kind"] == "events"
    assert [i["user"] for i in body["items"]] == ["new-1", "7", "nobody"]
    for item in body["items"][:2]:
        assert item["persona_id"] in personas and item["persona_name"] == personas[item["persona_id"]]
        assert 0 <= item["margin"] <= 1 and item["distance"] == pytest.approx(1 - item["margin"])
        assert item["would_be_noise"] == (item["margin"] < 0.15)
    assert body["items"][0]["n_events"] == 52
    unknown = body["items"][2]
    assert unknown["persona_id"] is None and unknown["would_be_noise"] is True and unknown["n_events"] == 0
    assert body["ignored_events"] == ["An event this run never saw"]  # said, not silently dropped


def test_the_documented_assign_body_is_accepted(event_client, run_id):
    """An API review: docs/api.md's example (a yearless Moodle time, a row without time, an ISO time) was refused
    with 422 "events.0.time: cannot read '11 May, 09:44'": the minority reading lost to the majority's."""
    body = {"events": [{"user": "u1", "event": "Course viewed", "count": 3, "time": "11 May, 09:44"},
                       {"user": "u1", "event": "Quiz attempt viewed"},
                       {"user": 42, "event": "Discussion viewed", "time": "2024-05-11T09:44:00Z"}]}
    response = event_client.post(f"{API}/runs/{run_id}/assign", json=body)
    assert response.status_code == 200, response.text
    assert sorted(str(i["user"]) for i in response.json()["items"]) == ["42", "u1"]


def test_a_user_with_fewer_events_than_the_run_kept_is_flagged(event_client, run_id):
    """The run dropped users with fewer than 5 events (matrix.min_user_events); one posted event got margin 1.0 and
    no flag. Such a user is placed, and flagged as one the run would not have kept."""
    rows = [{"user": "one", "event": "Course viewed", "count": 1},
            {"user": "four", "event": "Course viewed", "count": 4},
            {"user": "five", "event": "Course viewed", "count": 5}]
    items = event_client.post(f"{API}/runs/{run_id}/assign", json={"events": rows}).json()["items"]
    by_user = {i["user"]: i for i in items}
    assert by_user["one"]["would_be_noise"] is True and by_user["four"]["would_be_noise"] is True
    assert by_user["one"]["persona_id"] is not None and by_user["one"]["n_events"] == 1
    five = by_user["five"]
    assert five["would_be_noise"] == (five["margin"] < 0.15)  # enough events: only the margin decides
    # the run counted every event of its window, dropped types too ("Course searched", near-empty): so does assign
    mixed = [{"user": "m", "event": "Course viewed", "count": 1}, {"user": "m", "event": "Course searched", "count": 4}]
    item = event_client.post(f"{API}/runs/{run_id}/assign", json={"events": mixed}).json()["items"][0]
    assert item["n_events"] == 1 and item["would_be_noise"] == (item["margin"] < 0.15)


def test_assign_agrees_with_the_runs_own_users(event_client, run_id, moodle_event_run):
    """Each of the 113 users' own rows, posted back, lands on the persona the run gave them."""
    rows = moodle_rows()
    response = event_client.post(f"{API}/runs/{run_id}/assign", json={"events": rows.to_dict("records")})
    assert response.status_code == 200, response.text
    got = {i["user"]: i for i in response.json()["items"]}
    fitted = pd.read_parquet(moodle_event_run / "assignments.parquet")
    assert set(got) >= set(fitted["member_id"])
    same = sum(got[m]["persona_id"] == p for m, p in zip(fitted["member_id"], fitted["persona_id"]))
    agreement = same / len(fitted)
    mixed_same = sum(got[m]["would_be_noise"] == r for m, r in zip(fitted["member_id"], fitted["reassigned"]))
    print(f"assign agreement with the run's own users: {agreement:.3f} ({same}/{len(fitted)}); "
          f"mixed flag agreement {mixed_same / len(fitted):.3f}")
    assert agreement >= 0.95


def test_assign_loads_the_event_model_once(event_client, run_id):
    registry = event_client.app.state.models
    body = {"events": [{"user": "u", "event": "Course viewed"}]}
    assert event_client.post(f"{API}/runs/{run_id}/assign", json=body).status_code == 200
    store = event_client.app.state.store
    assert registry.source(run_id, {}, store).info == store.get_model_info(run_id)  # from the store
    model = registry.get(run_id, {}, store)
    assert event_client.post(f"{API}/runs/latest/assign", json=body).status_code == 200
    assert registry.get(run_id, {}, store) is model and type(model).__name__ == "EventRunModel"


@pytest.mark.parametrize("body, field", [
    ({}, "events"),
    ({"events": []}, "events"),
    ({"events": [{"event": "Course viewed"}]}, "events.0.user"),
    ({"events": [{"user": "u"}]}, "events.0.event"),
    ({"events": [{"user": "u", "event": "Course viewed", "count": -1}]}, "events.0.count"),
    ({"events": [{"user": "u", "event": "Course viewed", "count": "3"}]}, "events.0.count"),
    ({"events": [{"user": "u", "event": "x"}, {"user": " ", "event": "Course viewed"}]}, "events.1.user"),
    ({"events": [{"user": "u", "event": "x", "colour": "red"}]}, "events.0.colour"),
    ({"events": [{"user": "u", "event": "x", "time": "11 May, 09:44"},
                 {"user": "u", "event": "x", "time": "not a time"}]}, "events.1.time"),
    ({"events": [{"user": "u", "event": "x"}], "conversations": [{"text": "hi"}]}, "body"),
])
def test_bad_event_bodies_name_the_field(event_client, run_id, body, field):
    response = event_client.post(f"{API}/runs/{run_id}/assign", json=body)
    assert response.status_code == 422, response.text
    assert error_of(response)["message"].startswith(field)


def test_wrong_body_form_says_which_body_the_run_expects(event_client, run_id):
    response = event_client.post(f"{API}/runs/{run_id}/assign", json={"conversations": [{"text": "hello"}]})
    assert response.status_code == 422
    message = error_of(response)["message"]
    assert message.startswith("events:") and "event logs" in message and '"events"' in message
    response = event_client.post(f"{API}/runs/{OLD_RUN}/assign", json={"events": [{"user": "u", "event": "x"}]})
    assert response.status_code == 422
    message = error_of(response)["message"]
    assert message.startswith("conversations:") and "from conversations" in message and '"conversations"' in message


def test_event_assign_limits_are_413(event_store_url, run_id):
    settings = Settings(store_url=event_store_url, frontend_dir=None, max_assign_events=3, max_body_bytes=2048)
    with TestClient(create_app(settings)) as client:
        rows = [{"user": "u", "event": "Course viewed"}] * 4
        response = client.post(f"{API}/runs/{run_id}/assign", json={"events": rows})
        assert response.status_code == 413 and error_of(response)["code"] == "too_many_events"
        big = [{"user": "u", "event": "x" * 500}] * 5  # over the body limit before the row limit
        response = client.post(f"{API}/runs/{run_id}/assign", json={"events": big})
        assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"


def test_an_event_strategy_reads_the_runs_outcome_where_it_differs(tmp_path):
    """POST /strategy on an event run with an outcome file: the persona whose users' grades differ from the others'
    gets a risk with the numbers, cited as ``outcome:<band>`` and explained in ``cited_signals`` (the outcome was
    on the overview only; the strategy planned a goal as if it were not there)."""
    grades = shared_path("events_moodle", "Course_Grades_Obfuscated.csv")
    run_dir = make_moodle_event_run(tmp_path / "moodle", ("--outcome-file", str(grades), "--outcome-col", "Overall",
                                                          "--outcome-key-col", "StudentId"))
    url = sqlite_store_with(tmp_path / "personas.db", run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    table = manifest["metrics"]["outcomes"]["nmf"]
    with TestClient(create_app(Settings(store_url=url, frontend_dir=None))) as client:
        said = {}
        for row in table["personas"]:
            body = client.post(f"{API}/strategy", json={"run_id": manifest["run_id"], "persona_id": row["persona_id"],
                                                        "goal": "retention"}).json()["strategy"]
            refs = [r for risk in body["risks"] for r in risk["citations"]["signals"] if r.startswith("outcome:")]
            said[row["persona_id"]] = (refs, body["cited_signals"])
    assert any(refs for refs, _ in said.values()), "no persona's outcome differs enough to be said"
    for refs, cited in said.values():
        for ref in refs:
            assert ref.removeprefix("outcome:") in table["categories"] and cited[ref].startswith("Overall ")


def test_the_report_of_an_event_run_with_an_outcome_gives_it(tmp_path):
    """An events review: the printable report, the document handed on, had no outcome at all (KDD's dropout, Moodle's
    grades): the cover now has the explorer's "Outcome by persona" table and each persona page its own rates."""
    grades = shared_path("events_moodle", "Course_Grades_Obfuscated.csv")
    run_dir = make_moodle_event_run(tmp_path / "moodle", ("--outcome-file", str(grades), "--outcome-col", "Overall",
                                                          "--outcome-key-col", "StudentId", "--outcome-bins",
                                                          "0,40,70,101"))
    url = sqlite_store_with(tmp_path / "personas.db", run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    table = manifest["metrics"]["outcomes"]["nmf"]
    personas = json.loads((run_dir / "personas.json").read_text())
    with TestClient(create_app(Settings(store_url=url, frontend_dir=None))) as client:
        text = client.get(f"{API}/runs/{manifest['run_id']}/report.html").text
        one = client.get(f"{API}/runs/{manifest['run_id']}/report.html",
                         params={"persona": personas[0]["id"]}).text
    assert "Outcome by persona" in text and 'data-section="outcomes"' in text
    for label in ("0 to under 40", "40 to under 70", "70 to under 101"):
        assert label in text
    assert f"{table['n']:,} users with an outcome" in text
    row = next(r for r in table["personas"] if r["persona_id"] == personas[0]["id"])
    assert f"Outcome (Overall), for its {row['n']:,} users with one: " in text
    assert text.count("data-outcome") == len(personas)
    assert "Outcome by persona" not in one and "data-outcome" in one  # a persona's report: its own line only
    assert "Typical users (their mix of events)" not in text  # the heading a persona's name could read the same as


def test_the_reports_outcome_says_where_it_came_from_and_compares_with_no_one_when_alone():
    """A review of the report's outcome: one persona read "(everyone else 0%)", and the cover said "from the outcome
    file" for an outcome column of the event rows."""
    from backend.routes.report_outcome import persona_outcome_read, report_outcomes

    table = {"n": 20, "categories": ["a", "b"], "overall": {"a": 0.5, "b": 0.5},
             "personas": [{"persona_id": 0, "n": 20, "rates": {"a": 0.5, "b": 0.5}}]}
    manifest = {"kind": "events", "config": {"input": {}}, "metrics": {"outcomes": {"column": "label", "nmf": table}}}
    assert [x["rest"] for x in persona_outcome_read(manifest, 0)["parts"]] == [None, None]
    assert report_outcomes(manifest, {0: "P"})["source"] == "the event rows"
    filed = {**manifest, "config": {"input": {"outcome_file": "grades.csv"}}}
    assert report_outcomes(filed, {0: "P"})["source"] == "the outcome file"
    assert report_outcomes({**manifest, "kind": "conversations"}, {0: "P"}) is None


def test_a_small_cramers_v_gap_is_about_the_same_in_the_report():
    """An events review: "k-means … reaches 0.43: its groups tell the outcome apart more than these personas do" for
    0.42 against 0.43."""
    from backend.routes.report_outcome import report_outcomes

    def strength(v: float, kv: float) -> str:
        table = {"n": 20, "categories": ["a"], "overall": {"a": 1.0}, "cramers_v": v,
                 "personas": [{"persona_id": 0, "n": 20, "rates": {"a": 1.0}}]}
        outcomes = {"column": "label", "nmf": table, "kmeans": {"cramers_v": kv}}
        manifest = {"kind": "events", "config": {"input": {}}, "metrics": {"outcomes": outcomes}}
        return report_outcomes(manifest, {0: "P"})["strength"]

    assert strength(0.42, 0.43).endswith("reaches 0.43, about the same.")
    assert "tell the outcome apart more than these personas" in strength(0.09, 0.26)
    assert strength(0.30, 0.10).endswith("reaches 0.10.")
    assert "tell the outcome apart more" in strength(0.38, 0.43)  # 0.43 - 0.38 is 0.0499… in floating point


def test_the_report_reads_the_personas_beside_a_plain_split_by_how_much_users_do():
    """An events review: OULAD's personas reached Cramér's V 0.42, users split at the median event count 0.57, and
    nothing said so. The run's volume table (``Outcomes.volume``) is read beside the personas."""
    from backend.routes.report_outcome import report_outcomes

    table = {"n": 20, "categories": ["a"], "overall": {"a": 1.0}, "cramers_v": 0.42,
             "personas": [{"persona_id": 0, "n": 20, "rates": {"a": 1.0}}]}

    def strength(vol: float | None) -> str:
        groups = [{"persona_id": g, "n": 10, "rates": {"a": 1.0}} for g in range(2)]
        outcomes = {"column": "label", "nmf": table, "kmeans": {"cramers_v": 0.43},
                    **({"volume": {"cramers_v": vol, "personas": groups}} if vol is not None else {})}
        manifest = {"kind": "events", "config": {"input": {}}, "metrics": {"outcomes": outcomes}}
        return report_outcomes(manifest, {0: "P"})["strength"]

    assert strength(0.57).endswith("Users cut into 2 groups of about equal size by how many events they logged reach "
                                   "0.57: how much users do tells the outcome apart more than these personas, which "
                                   "describe what they do.")
    assert strength(0.44).endswith("reach 0.44, about the same.")
    assert "events they logged" not in strength(None)  # runs made before the volume table
