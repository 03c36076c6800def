"""Sub-personas through the store and the API, on a real pipeline run (bundled TWCS sample) on SQLite and on the
Firestore emulator: the persona's profile carries them, /sub-personas serves them, members carry their
sub-persona id, the family tree names the level; runs without sub-personas answer empty lists."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow
API = "/api/v1/runs"


def test_split_personas_serve_their_sub_personas(run_client, run_files):
    personas, members = run_files.personas, run_files.members
    split = [p for p in personas if p["sub_personas"]]
    assert split, "the bundled sample has personas that split"
    summaries = {p["id"]: p for p in run_client.get(f"{API}/latest/personas").json()["items"]}
    for p in personas:
        assert summaries[p["id"]]["sub_persona_count"] == len(p["sub_personas"])
    for p in split:
        detail = run_client.get(f"{API}/latest/personas/{p['id']}").json()
        listed = run_client.get(f"{API}/latest/personas/{p['id']}/sub-personas").json()
        assert detail["sub_personas"] == listed["items"] == p["sub_personas"]
        assert listed["total"] == len(p["sub_personas"]) and listed["persona_id"] == p["id"]
        ids = members.loc[members["persona_id"] == p["id"], "subpersona_id"]
        assert {s["id"]: s["size"] for s in listed["items"]} == ids.value_counts().to_dict()
        page = run_client.get(f"{API}/latest/personas/{p['id']}/members", params={"limit": 500}).json()
        wanted = dict(zip(members["member_id"].astype(str), members["subpersona_id"]))
        assert page["items"] and all(m["subpersona_id"] == wanted[m["member_id"]] for m in page["items"])


def test_unsplit_persona_and_the_family_tree(run_client, run_files):
    personas = run_files.personas
    plain = next(p for p in personas if not p["sub_personas"])
    listed = run_client.get(f"{API}/latest/personas/{plain['id']}/sub-personas").json()
    assert listed["items"] == [] and listed["total"] == 0
    page = run_client.get(f"{API}/latest/personas/{plain['id']}/members", params={"limit": 5}).json()
    assert all(m["subpersona_id"] is None for m in page["items"])
    tree = run_client.get(f"{API}/latest/families").json()
    assert tree["levels"] == ["family", "persona", "sub-persona"]
    assert tree["n_subpersonas"] == sum(len(p["sub_personas"]) for p in personas) and tree["subpersona_rule"]
    missing = run_client.get(f"{API}/latest/personas/99999/sub-personas")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "persona_not_found"


def test_runs_made_before_sub_personas_answer_empty_lists(client):
    personas = client.get(f"{API}/latest/personas").json()["items"]
    assert personas and all(p["sub_persona_count"] == 0 for p in personas)
    pid = personas[0]["id"]
    assert client.get(f"{API}/latest/personas/{pid}").json()["sub_personas"] == []
    assert client.get(f"{API}/latest/personas/{pid}/sub-personas").json()["items"] == []
    assert client.get(f"{API}/latest/families").json().get("n_subpersonas") is None
    assert client.get(f"{API}/no-such-run/personas/{pid}/sub-personas").status_code == 404
