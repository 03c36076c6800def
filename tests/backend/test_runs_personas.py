"""Runs and personas endpoints over a real store holding synthetic runs."""

from __future__ import annotations

import pytest

from tests.backend.conftest import NEW_RUN, OLD_RUN, error_answer, error_of
from tests.backend.synthetic import synthetic_bundle

API = "/api/v1"


def test_health_and_ready(client):
    assert client.get(f"{API}/health").json()["status"] == "ok"
    ready = client.get(f"{API}/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert "/tmp" not in ready.json()["store"]  # no server paths in public answers


def test_ready_is_503_when_the_store_is_unreachable(make_client, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where the store folder should be
    client = make_client(store_url=f"sqlite:///{blocker}/sub/personas.db")
    response = client.get(f"{API}/ready")
    assert response.status_code == 503
    assert error_of(response)["code"] == "store_unavailable"
    assert client.get(f"{API}/health").status_code == 200


def test_runs_newest_first_and_paged(client):
    body = client.get(f"{API}/runs").json()
    ids = [item["id"] for item in body["items"]]
    assert ids.index(NEW_RUN) < ids.index(OLD_RUN)
    assert body["total"] >= 2
    page = client.get(f"{API}/runs", params={"limit": 1, "offset": 1}).json()
    assert [i["id"] for i in page["items"]] == ids[1:2] and page["limit"] == 1


def test_page_size_is_clamped_to_the_cap(make_client):
    client = make_client(max_page_size=1, default_page_size=1)
    body = client.get(f"{API}/runs", params={"limit": 500}).json()
    assert body["limit"] == 1 and len(body["items"]) == 1


def test_run_manifest_and_latest(client):
    run = client.get(f"{API}/runs/{OLD_RUN}").json()
    assert run["id"] == OLD_RUN and run["counts"]["personas"] == 3
    assert len(run["filtering"]) == 6 and "silhouette" in run["metrics"] and run["timings_s"]
    assert run["model_available"] is False
    assert "run_dir" not in run
    assert client.get(f"{API}/runs/latest").json()["id"] == NEW_RUN


@pytest.mark.parametrize("bad", ["a..b", "..", "-x", "a" * 65, "a b", "a%2F..%2Fetc", "%2e%2e"])
def test_odd_run_ids_are_rejected_before_the_store(client, bad):
    response = client.get(f"{API}/runs/{bad}/personas")
    assert response.status_code in (404, 422)
    error_of(response)


def test_unknown_run_and_persona_are_404(client):
    assert error_answer(client.get(f"{API}/runs/nope-123")) == (404, "run_not_found")
    assert client.get(f"{API}/runs/nope-123").json()["error"]["message"] == (
        "run 'nope-123' not found; GET /api/v1/runs lists the stored runs")
    assert error_answer(client.get(f"{API}/runs/{OLD_RUN}/personas/99")) == (404, "persona_not_found")
    message = client.get(f"{API}/runs/{OLD_RUN}/personas/99").json()["error"]["message"]
    assert message == f"persona 99 not found in run {OLD_RUN!r}; GET {API}/runs/{OLD_RUN}/personas lists its personas"
    assert error_answer(client.get(f"{API}/runs/{OLD_RUN}/personas/99/members")) == (404, "persona_not_found")
    assert client.get(f"{API}/runs/nope-123/map").status_code == 404
    assert error_of(client.get(f"{API}/nothing-here"))["code"] == "not_found"


def test_persona_list_has_treemap_fields(client):
    body = client.get(f"{API}/runs/{NEW_RUN}/personas").json()
    items = body["items"]
    assert [p["id"] for p in items] == [0, 1, 2, 3] and body["total"] == 4
    assert sum(p["share"] for p in items) == pytest.approx(1.0)
    first = items[0]
    assert first["name"] and first["size"] == 40
    assert [t["term"] for t in first["top_terms"]] == ["refund", "order", "late"]
    assert [t["weight"] for t in first["top_terms"]] == pytest.approx([1.0, 0.5, 1 / 3])
    assert first["metrics"]["reassigned_share"] == pytest.approx(6 / 40)
    assert first["metrics"]["separability"] == pytest.approx(0.8)
    assert first["metrics"]["night_share"] == pytest.approx(0.1)
    assert first["feature_z"]["politeness"] == pytest.approx(-0.3)


def test_persona_profile_is_complete(client):
    body = client.get(f"{API}/runs/latest/personas/1").json()
    assert body["run_id"] == NEW_RUN and body["id"] == 1
    for key in ("fingerprint", "activity", "top_terms", "top_ngrams", "evidence", "separators", "highlights"):
        assert body[key], key
    assert "member_ids" not in body


def test_members_are_paged_and_searchable(client):
    url = f"{API}/runs/{OLD_RUN}/personas/1/members"
    first = client.get(url, params={"limit": 10}).json()
    assert first["total"] == 80 and len(first["items"]) == 10
    distances = [m["distance"] for m in first["items"]]
    assert distances == sorted(distances)
    second = client.get(url, params={"limit": 10, "offset": 10}).json()
    assert not {m["member_id"] for m in first["items"]} & {m["member_id"] for m in second["items"]}
    found = client.get(url, params={"q": "PLEASE HELP", "limit": 200}).json()
    assert found["total"] == 40 and all("please help" in m["text"] for m in found["items"])
    assert client.get(url, params={"q": "no such words"}).json()["total"] == 0
    response = client.get(url, params={"limit": 0})
    assert response.status_code == 422 and "limit" in error_of(response)["message"]


def test_map_is_bounded(make_client):
    client = make_client(max_map_points=50, default_map_points=20, map_text_chars=10)
    body = client.get(f"{API}/runs/{NEW_RUN}/map").json()
    assert len(body["points"]) == 20
    assert {p["persona_id"] for p in body["points"]} == {0, 1, 2, 3}  # stratified
    assert all(len(p["text"]) <= 10 for p in body["points"])
    assert len(client.get(f"{API}/runs/{NEW_RUN}/map", params={"limit": 10_000}).json()["points"]) == 50


def test_delete_needs_write_access(make_client, store_url):
    response = make_client().delete(f"{API}/runs/{OLD_RUN}")
    assert error_answer(response) == (403, "writes_disabled")
    admin = {"Authorization": "Bearer admin-key-0123456789abcdef"}  # more in test_security.py
    writer = make_client(admin_key=admin["Authorization"].split()[1])
    from ml.store import open_store

    open_store(store_url).publish(synthetic_bundle("run-doomed", "2001-01-01T00:00:00Z"), replace=True)
    assert writer.get(f"{API}/runs/run-doomed/personas/0").status_code == 200  # now cached
    assert writer.delete(f"{API}/runs/run-doomed", headers=admin).json() == {"id": "run-doomed", "deleted": True, "baseline_of": []}
    assert writer.get(f"{API}/runs/run-doomed").status_code == 404
    assert writer.get(f"{API}/runs/run-doomed/personas/0").status_code == 404  # the cache forgot it
    assert writer.delete(f"{API}/runs/run-doomed", headers=admin).status_code == 404


def test_cors_origins_from_settings(make_client):
    client = make_client(cors_origins=["http://localhost:3000"])
    response = client.get(f"{API}/health", headers={"Origin": "http://localhost:3000"})
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    # cross-origin code may read a 429/503's wait and a download's file name (an API review: both hidden)
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"retry-after", "content-disposition"} <= exposed
    # load balancers probe with HEAD (docs/security.md lists it; it was 405)
    assert client.head(f"{API}/health").status_code == 200 and client.head(f"{API}/ready").status_code == 200
    assert "access-control-allow-origin" not in make_client().get(
        f"{API}/health", headers={"Origin": "http://localhost:3000"}).headers


def test_runs_made_before_families_answer_a_flat_tree(client):
    tree = client.get("/api/v1/runs/latest/families")
    assert tree.status_code == 200
    assert tree.json()["families"] == [] and tree.json()["levels"] == ["persona"]
    assert all(p["parent_id"] is None for p in client.get("/api/v1/runs/latest/personas").json()["items"])
    assert client.get("/api/v1/runs/no-such-run/families").status_code == 404


def test_a_run_a_newer_pipeline_wrote_is_served_without_the_fields_this_version_does_not_know(tmp_path):
    """A deployment review (2026-12-05): a run published by the updated pipeline (its fingerprint had t_stat) made
    the older API answer 500 "Extra inputs are not permitted" for every persona of that run. Here a real store
    holds a run whose stored documents carry fields, nested too, that this version does not know."""
    import json
    import sqlite3
    from contextlib import closing

    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.settings import Settings
    from ml.store import open_store

    db = tmp_path / "personas.db"
    with closing(open_store(f"sqlite:///{db}")) as store:
        store.publish(synthetic_bundle("newer-run", "2026-12-05T10:00:00+00:00", n_personas=2))
    with closing(sqlite3.connect(db)) as con, con:
        manifest = json.loads(con.execute("SELECT manifest FROM runs").fetchone()[0])
        manifest["counts"]["brand_new_count"] = 3
        manifest["new_section"] = {"x": 1}
        con.execute("UPDATE runs SET manifest = ?", (json.dumps(manifest),))
        for pid, profile in con.execute("SELECT id, profile FROM personas").fetchall():
            doc = json.loads(profile)
            doc["new_score"] = 0.5
            doc["fingerprint"] = [{**f, "t_next": 1.0} for f in doc.get("fingerprint") or []]
            con.execute("UPDATE personas SET profile = ? WHERE id = ?", (json.dumps(doc), pid))
    with TestClient(create_app(Settings(store_url=f"sqlite:///{db}", frontend_dir=None))) as client:
        for path in ("/runs", "/runs/newer-run", "/runs/newer-run/personas", "/runs/newer-run/personas/0",
                     "/runs/newer-run/families", "/runs/newer-run/personas/0/members", "/runs/newer-run/map",
                     "/runs/newer-run/export/personas.json"):
            response = client.get(f"{API}{path}")
            assert response.status_code == 200, (path, response.text[:300])
            for unknown in ("brand_new_count", "new_section", "new_score", "t_next"):
                assert unknown not in response.text, (path, unknown)
