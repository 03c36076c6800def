"""GET /runs/{id}/comparison, /runs/{id}/movers and /series/{name} on both stores (the populated store's
NEW_RUN carries a comparison against OLD_RUN; both belong to SERIES)."""

from __future__ import annotations

from tests.backend.conftest import NEW_RUN, OLD_RUN, SERIES, error_answer
from tests.backend.synthetic import synthetic_bundle

API = "/api/v1"


def test_comparison_is_served_without_server_paths(client, populated_store):
    stored = populated_store.get_comparison(NEW_RUN)
    body = client.get(f"{API}/runs/latest/comparison").json()
    assert body["new"]["run_id"] == NEW_RUN and body["base"]["run_id"] == OLD_RUN
    assert body["base"]["run_dir"] is None and body["new"]["run_dir"] is None
    assert body["counts"] == stored["counts"] and body["shift"] == stored["shift"]
    assert [p["status"] for p in body["new_personas"]] == [p["status"] for p in stored["new_personas"]]


def test_the_run_says_whether_it_has_a_comparison(client):
    """The explorer asks for a comparison only when the run has one (no 404 in the console for the others)."""
    assert client.get(f"{API}/runs/{NEW_RUN}").json()["has_comparison"] is True
    assert client.get(f"{API}/runs/{OLD_RUN}").json()["has_comparison"] is False
    assert client.get(f"{API}/runs/{NEW_RUN}/comparison").status_code == 200
    assert client.get(f"{API}/runs/{OLD_RUN}/comparison").status_code == 404


def test_movers_are_paged_and_filtered(client, populated_store):
    moves = populated_store.get_comparison(NEW_RUN)["movers"]["moves"]
    assert len(moves) > 5
    page = client.get(f"{API}/runs/{NEW_RUN}/movers", params={"offset": 2, "limit": 3}).json()
    assert page["items"] == moves[2:5] and page["total"] == page["listed"] == len(moves)
    assert page["base_run_id"] == OLD_RUN and page["offset"] == 2 and page["limit"] == 3
    src, dst = moves[0]["from_id"], moves[0]["to_id"]
    both = client.get(f"{API}/runs/{NEW_RUN}/movers", params={"from_persona": src, "to_persona": dst}).json()
    assert both["total"] == sum(m["from_id"] == src and m["to_id"] == dst for m in moves) >= 1
    assert all(m["from_id"] == src and m["to_id"] == dst for m in both["items"])
    assert client.get(f"{API}/runs/{NEW_RUN}/movers", params={"from_persona": 999}).json()["total"] == 0


def test_series_history_oldest_first(client):
    body = client.get(f"{API}/series/{SERIES}").json()
    assert body["series"] == SERIES and body["total"] == 2
    assert [i["run_id"] for i in body["items"]] == [OLD_RUN, NEW_RUN]
    assert body["items"][0]["comparison"] is None
    headline = body["items"][1]["comparison"]
    assert headline["base_run_id"] == OLD_RUN
    served = client.get(f"{API}/runs/{NEW_RUN}/comparison").json()["shift"]
    assert headline["basis"] == served["basis"] is not None and headline["psi"] == served["psi"]  # what psi compares
    runs = {r["id"]: r["series"] for r in client.get(f"{API}/runs").json()["items"]}
    assert runs[OLD_RUN] == runs[NEW_RUN] == SERIES


def test_errors(client):
    assert error_answer(client.get(f"{API}/runs/{OLD_RUN}/comparison")) == (404, "comparison_not_found")
    assert error_answer(client.get(f"{API}/runs/{OLD_RUN}/movers")) == (404, "comparison_not_found")
    # the first run of a series is said to be so (it read "runs made with … --series have one")
    message = client.get(f"{API}/runs/{OLD_RUN}/comparison").json()["error"]["message"]
    assert f"is the first run of series '{SERIES}'" in message
    assert error_answer(client.get(f"{API}/runs/no-such-run/comparison")) == (404, "run_not_found")
    assert error_answer(client.get(f"{API}/series/no-such-series")) == (404, "series_not_found")
    assert client.get(f"{API}/series/a..b").status_code == 422
    assert client.get(f"{API}/runs/{NEW_RUN}/movers", params={"from_persona": -1}).status_code == 422


def _as_written_before(doc: dict, with_placed: bool) -> dict:
    """A current comparison in the layout stored before 2026-12-01: the fits' PSI in `shift`, no `basis`, no
    `fit_shift`, no `recut`; for one day the placed shift in `placed_shift`."""
    old = {k: v for k, v in doc.items() if k != "fit_shift"}
    old["shift"] = {k: v for k, v in (doc["fit_shift"] or doc["shift"]).items() if k != "basis"}
    if with_placed:
        old["placed_shift"] = {k: v for k, v in doc["shift"].items() if k != "basis"}
    for side in ("base_personas", "new_personas"):
        old[side] = [{k: v for k, v in p.items() if k != "recut"} for p in doc[side]]
    return old


def test_comparisons_stored_before_the_population_shift_are_still_served(make_client, populated_store, monkeypatch):
    from ml.runtime.contracts.compare import Comparison, upgrade_comparison

    current = populated_store.get_comparison(NEW_RUN)
    assert upgrade_comparison(current) is current  # a current document is served as stored
    client = make_client(cache_ttl_s=0)
    for with_placed in (False, True):
        old = _as_written_before(current, with_placed)
        if with_placed:  # a placed shift that differs from the fits' one, so the test sees which is served
            old["placed_shift"].update(psi=0.4321, level="major")
        up = Comparison.model_validate(upgrade_comparison(old))
        assert up.fit_shift.basis == "linked" and up.fit_shift.psi == old["shift"]["psi"]
        assert up.shift.psi == (0.4321 if with_placed else old["shift"]["psi"])
        assert up.shift.basis == ("placed" if with_placed else "linked")
        assert not any(p.recut for p in up.new_personas)
        monkeypatch.setattr(type(populated_store), "get_comparison", lambda self, run_id, doc=old: doc)
        body = client.get(f"{API}/runs/{NEW_RUN}/comparison").json()
        assert body["shift"]["psi"] == up.shift.psi and body["fit_shift"]["basis"] == "linked", body


def test_a_deleted_baseline_is_said_by_the_comparison_and_the_series(make_client, populated_store):
    """A re-runs review deleted a series' middle run: the next run's comparison and the series history went on
    naming it without a word. Both say so now, on both stores (the comparison is cached: read per request). Runs of
    their own series, so the session's store keeps OLD_RUN and NEW_RUN for the other tests."""
    from tests.store.synthetic_compare import make_comparison

    first, second = "run-2018-gone", "run-2018-next"
    a = synthetic_bundle(first, "2018-01-01T00:00:00Z", n_personas=3, seed=3)
    b = synthetic_bundle(second, "2018-02-01T00:00:00Z", n_personas=4, seed=4)
    a.manifest["series"] = b.manifest["series"] = "gone"
    b.comparison = make_comparison(first, second, n_personas=4, moved=0.3)
    populated_store.publish(a, replace=True)
    populated_store.publish(b, replace=True)
    key = "admin-key-0123456789abcdef"
    client = make_client(admin_key=key)
    try:
        assert client.get(f"{API}/series/gone").json()["items"][1]["comparison"]["base_missing"] is False
        before = client.get(f"{API}/runs/{second}/comparison").json()["notes"]
        assert not any("not in the store" in n for n in before)
        deleted = client.delete(f"{API}/runs/{first}", headers={"Authorization": f"Bearer {key}"}).json()
        assert deleted == {"id": first, "deleted": True, "baseline_of": [second]}
        body = client.get(f"{API}/series/gone").json()
        assert [i["run_id"] for i in body["items"]] == [second] and body["items"][0]["comparison"]["base_missing"]
        notes = client.get(f"{API}/runs/{second}/comparison").json()["notes"]
        assert notes[:-1] == before and notes[-1].startswith(f"its baseline run {first} is not in the store (deleted since")
    finally:
        populated_store.delete_run(second)
        populated_store.delete_run(first)
