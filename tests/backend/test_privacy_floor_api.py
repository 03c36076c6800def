"""The privacy floor (docs/privacy.md) where member texts leave the store: a persona below it
(``evidence_withheld``) has its members served without text or author on the member map, the members page and
the member exports; the other personas' texts are served as before. A synthetic run in a SQLite store."""

from __future__ import annotations

import io

import pandas as pd
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.settings import Settings
from ml.store import open_store
from tests.backend.synthetic import synthetic_bundle

API = "/api/v1"


def _client(tmp_path) -> TestClient:
    url = f"sqlite:///{tmp_path / 'floor.db'}"
    bundle = synthetic_bundle("run-floor", "2017-10-01T00:00:00Z", n_personas=3, seed=5)
    bundle.personas[0] |= {"evidence": [], "evidence_withheld": True, "distinct_authors": 3,
                           "evidence_withheld_reason": "only 3 distinct authors behind this persona"}
    store = open_store(url)
    store.publish(bundle, replace=True)
    store.close()
    return TestClient(create_app(Settings(store_url=url, frontend_dir=None)))


def test_members_of_a_persona_below_the_floor_carry_no_text_anywhere(tmp_path):
    with _client(tmp_path) as client:
        points = client.get(f"{API}/runs/run-floor/map", params={"limit": 10000}).json()["points"]
        few = [p for p in points if p["persona_id"] == 0]
        rest = [p for p in points if p["persona_id"] != 0]
        assert few and all(p["text"] is None and p["text_withheld"] for p in few)
        assert rest and all(p["text"] and not p["text_withheld"] for p in rest)

        page = client.get(f"{API}/runs/run-floor/personas/0/members").json()
        assert page["total"] == 40 and all(m["text"] is None and m["author"] is None for m in page["items"])
        assert client.get(f"{API}/runs/run-floor/personas/0/members", params={"q": "problem"}).json()["total"] == 0
        other = client.get(f"{API}/runs/run-floor/personas/1/members", params={"q": "problem"}).json()
        assert other["total"] > 0 and all("problem" in m["text"] for m in other["items"])

        frame = pd.read_csv(io.StringIO(client.get(f"{API}/runs/run-floor/export/members.csv").text))
        assert frame.loc[frame["persona_id"] == 0, "text"].isna().all()
        assert frame.loc[frame["persona_id"] != 0, "text"].notna().all()


def test_with_authors_as_members_a_persona_below_the_floor_withholds_their_ids_too(tmp_path):
    """A privacy review: with --unit author a member's id is its author's handle, and a persona below the floor
    served "plantuser086" beside the withheld text, in the map, the members page, the exports and the movers."""
    from tests.store.synthetic_compare import make_comparison

    url = f"sqlite:///{tmp_path / 'authors.db'}"
    old = synthetic_bundle("run-a", "2017-10-01T00:00:00Z", n_personas=4, seed=1)
    new = synthetic_bundle("run-b", "2017-11-01T00:00:00Z", n_personas=4, seed=2)
    for bundle in (old, new):
        bundle.manifest["unit"] = "author"
        bundle.personas[1] |= {"evidence": [], "evidence_withheld": True, "distinct_authors": 3}
    new.comparison = make_comparison("run-a", "run-b", n_personas=4, moved=0.5)
    store = open_store(url)
    store.publish(old, replace=True)
    store.publish(new, replace=True)
    store.close()
    with TestClient(create_app(Settings(store_url=url, frontend_dir=None))) as client:
        points = client.get(f"{API}/runs/run-b/map", params={"limit": 10000}).json()["points"]
        assert {p["member_id"] for p in points if p["persona_id"] == 1} == {"withheld"}
        assert all(p["member_id"] != "withheld" for p in points if p["persona_id"] != 1)
        page = client.get(f"{API}/runs/run-b/personas/1/members").json()
        assert page["items"] and {m["member_id"] for m in page["items"]} == {"withheld"}
        assert "withheld" not in {m["member_id"] for m in
                                  client.get(f"{API}/runs/run-b/personas/0/members").json()["items"]}
        frame = pd.read_csv(io.StringIO(client.get(f"{API}/runs/run-b/export/members.csv").text))
        assert set(frame.loc[frame["persona_id"] == 1, "member_id"]) == {"withheld"}
        assert "withheld" not in set(frame.loc[frame["persona_id"] != 1, "member_id"])
        moves = client.get(f"{API}/runs/run-b/movers", params={"limit": 500}).json()["items"]
        touching = [m for m in moves if m["from_id"] == 1 or m["to_id"] == 1]
        assert touching and {m["key"] for m in touching} == {"withheld"}
        assert all(m["key"] != "withheld" for m in moves if m["from_id"] != 1 and m["to_id"] != 1)
        listed = client.get(f"{API}/runs/run-b/comparison").json()["movers"]["moves"]
        assert {m["key"] for m in listed if m["from_id"] == 1 or m["to_id"] == 1} == {"withheld"}


def test_the_access_log_writes_no_query_string():
    """A privacy review: members search (?q=Ndlovu) put a customer's name into the server's access log."""
    import logging

    from backend.access_log import DropQuery, log_config

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/api/v1/runs/r/personas/0/members?q=Ndlovu", "1.1", 200), None)
    assert DropQuery().filter(record) and "Ndlovu" not in record.getMessage()
    assert "/members?…" in record.getMessage()
    assert log_config()["handlers"]["access"]["filters"] == ["drop_query"]
