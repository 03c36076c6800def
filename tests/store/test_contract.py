"""One contract, every store: the same tests run on SQLite and on the real Firestore emulator."""

from __future__ import annotations

import numpy as np
import pytest

from ml.store import InjectedFailure, PersonaNotFound, RunNotFound, StoreError
from ml.store import records as R
from ml.store.bundle import StoredModel
from ml.store.sqlite import SqliteStore
from tests.store.synthetic import make_bundle


@pytest.fixture(params=["sqlite", pytest.param("firestore", marks=pytest.mark.firestore)])
def store(request, tmp_path):
    if request.param == "sqlite":
        st = SqliteStore(tmp_path / "personas.db")
        yield st
        st.close()
    else:
        yield request.getfixturevalue("firestore_store")


def expected_members(bundle, pid):
    return [r for r in R.member_records(bundle.members) if r["persona_id"] == pid]


def all_pages(store, run_id, pid, limit, query=None):
    out, offset = [], 0
    while True:
        page, total = store.get_members(run_id, pid, offset=offset, limit=limit, query=query)
        out.extend(page)
        offset += limit
        if offset >= total:
            return out, total


def test_publish_reads_back_equal(store):
    bundle = make_bundle("run-a", [30, 12, 1])
    assert store.latest_run_id() is None and store.list_runs() == [] and store.count_runs() == 0
    assert store.publish(bundle) == "run-a"
    assert store.latest_run_id() == "run-a"
    assert store.count_runs() == 1
    assert store.list_runs() == [R.run_summary("run-a", bundle.manifest)]
    assert store.get_run("run-a") == R.to_jsonable(bundle.manifest)
    assert store.get_run("latest") == store.get_run("run-a")
    profiles = [R.persona_profile(p) for p in bundle.personas]
    assert store.get_personas("run-a") == profiles
    assert "member_ids" not in profiles[0] and profiles[0]["top_ngrams"] == [
        {"term": "late order", "weight": 0.5, "written": None}, {"term": "refund please", "weight": 0.25, "written": None}]
    for p in profiles:
        assert store.get_persona("run-a", p["id"]) == p
        members, total = store.get_members("run-a", p["id"], limit=1000)
        assert total == p["size"] and members == expected_members(bundle, p["id"])
    assert store.get_strategies("run-a") == bundle.strategies


def test_map_is_deterministic_and_stratified(store):
    bundle = make_bundle("run-map", [300, 60, 3, 1])
    store.publish(bundle)
    sample = store.get_map("run-map", limit=40)
    assert len(sample) == 40 and sample == store.get_map("run-map", limit=40)
    assert {p["persona_id"] for p in sample} == {0, 1, 2, 3}  # even the 1-member persona
    assert 25 <= sum(p["persona_id"] == 0 for p in sample) <= 35  # ~300/364 of 40
    everything = store.get_map("run-map", limit=10_000)
    assert sorted(p["member_id"] for p in everything) == sorted(bundle.members["member_id"])
    first = everything[0]
    assert set(first) == {"member_id", "persona_id", "x", "y", "reassigned", "text", "confidence"}
    assert all(0.0 <= p["confidence"] <= 1.0 for p in everything)


def test_runs_newest_first_and_latest(store):
    store.publish(make_bundle("run-new", [5], created_at="2026-03-01T00:00:00Z"))
    store.publish(make_bundle("run-old", [5], created_at="2026-01-01T00:00:00+00:00"))
    store.publish(make_bundle("run-mid", [5], created_at="2026-02-01T00:00:00Z"))
    assert [r["id"] for r in store.list_runs()] == ["run-new", "run-mid", "run-old"]
    assert [r["id"] for r in store.list_runs(limit=1, offset=1)] == ["run-mid"]
    assert store.latest_run_id() == "run-new"
    with pytest.raises(StoreError, match="already published"):
        store.publish(make_bundle("run-old", [5]))
    store.publish(make_bundle("run-old", [7], created_at="2026-01-01T00:00:00Z"), replace=True)
    assert store.get_persona("run-old", 0)["size"] == 7 and store.count_runs() == 3


def test_unknown_ids_raise(store):
    store.publish(make_bundle("run-a", [3]))
    with pytest.raises(RunNotFound):
        store.get_run("nope")
    with pytest.raises(RunNotFound):
        store.get_personas("nope")
    with pytest.raises(PersonaNotFound):
        store.get_persona("run-a", 99)
    with pytest.raises(PersonaNotFound):
        store.get_members("run-a", 99)
    with pytest.raises(ValueError, match="invalid run id"):
        store.get_run("../etc")
    with pytest.raises(ValueError, match="offset"):
        store.get_members("run-a", 0, offset=-1)


@pytest.mark.parametrize("fail_after", [1, 2, 40])
def test_failed_publish_is_invisible_and_cleaned(store, fail_after):
    store.publish(make_bundle("run-good", [20, 20], created_at="2026-01-01T00:00:00Z"))
    broken = make_bundle("run-broken", [600, 400], created_at="2026-05-01T00:00:00Z", words=30)
    # small batches/chunks so that a crash lands between partial writes on every backend
    if isinstance(store, SqliteStore):
        store.batch_rows = 25
    else:
        store.chunk_bytes, store.batch_writes = 5_000, 10
    store._fail_after_writes = fail_after
    with pytest.raises(InjectedFailure):
        store.publish(broken)
    store._fail_after_writes = None
    assert store.latest_run_id() == "run-good"
    assert [r["id"] for r in store.list_runs()] == ["run-good"] and store.count_runs() == 1
    with pytest.raises(RunNotFound):
        store.get_run("run-broken")
    with pytest.raises(RunNotFound):
        store.get_members("run-broken", 0)
    assert store.incomplete_run_ids() == ["run-broken"]
    assert store.cleanup_incomplete() == []  # fresh leftovers may be a publish still going on
    assert store.cleanup_incomplete(older_than_s=0) == ["run-broken"]
    assert store.incomplete_run_ids() == []
    store.publish(broken)
    assert store.latest_run_id() == "run-broken"
    assert all_pages(store, "run-broken", 0, 250)[0] == expected_members(broken, 0)


def test_republish_after_failure_replaces_leftovers(store):
    bundle = make_bundle("run-x", [50])
    store._fail_after_writes = 2
    with pytest.raises(InjectedFailure):
        store.publish(bundle)
    store._fail_after_writes = None
    store.publish(bundle)
    assert store.incomplete_run_ids() == [] and store.latest_run_id() == "run-x"
    assert store.get_members("run-x", 0, limit=100)[0] == expected_members(bundle, 0)


def test_persona_over_one_mib(store):
    # ~2.4 MB of member text and ~1.3 MB of evidence in one persona
    bundle = make_bundle("run-big", [4000, 10], words=90, evidence_per_persona=2000, evidence_words=90)
    assert len(" ".join(bundle.members["text"]).encode()) > 2 * 2**20
    store.publish(bundle)
    assert store.get_persona("run-big", 0) == R.persona_profile(bundle.personas[0])
    members, total = all_pages(store, "run-big", 0, 700)
    assert total == 4000 and members == expected_members(bundle, 0)


def test_twenty_thousand_members_paged(store):
    bundle = make_bundle("run-20k", [20_000, 7], words=6)
    store.publish(bundle)
    expected = expected_members(bundle, 0)
    members, total = all_pages(store, "run-20k", 0, 500)
    assert total == 20_000 and members == expected
    page, total = store.get_members("run-20k", 0, offset=19_990, limit=50)
    assert total == 20_000 and page == expected[19_990:]
    assert store.get_members("run-20k", 0, offset=25_000, limit=50) == ([], 20_000)
    # case-insensitive substring search, paged the same way
    hits = [m for m in expected if "café" in m["text"].casefold()]
    found, n_found = all_pages(store, "run-20k", 0, 300, query="CAFÉ")
    assert n_found == len(hits) > 1000 and found == hits
    assert store.get_members("run-20k", 0, query="no-such-text") == ([], 0)


def test_delete(store):
    store.publish(make_bundle("run-1", [10], created_at="2026-01-01T00:00:00Z"))
    store.publish(make_bundle("run-2", [10], created_at="2026-02-01T00:00:00Z"))
    assert store.delete_run("latest") is True
    assert store.latest_run_id() == "run-1"
    with pytest.raises(RunNotFound):
        store.get_run("run-2")
    with pytest.raises(RunNotFound):
        store.get_members("run-2", 0)
    assert store.delete_run("run-2") is False
    assert store.delete_run("run-1") is True
    assert store.latest_run_id() is None and store.list_runs() == [] and store.count_runs() == 0
    store.publish(make_bundle("run-2", [4]))  # the id can be used again
    assert store.get_members("run-2", 0)[1] == 4


def test_bad_bundle_is_refused(store):
    bundle = make_bundle("run-bad", [3])
    bundle.members = bundle.members.drop(columns=["distance"])
    with pytest.raises(ValueError, match="distance"):
        store.publish(bundle)
    assert store.list_runs() == [] and store.incomplete_run_ids() == []


def model_of(kind: str, n_bytes: int, seed: int) -> StoredModel:
    """Incompressible bytes standing in for a model file (the store never looks inside)."""
    return StoredModel(kind, np.random.default_rng(seed).bytes(n_bytes))


def small_chunks(store) -> None:
    """Small parts and batches, so that a model spans many documents and commits on Firestore."""
    if not isinstance(store, SqliteStore):
        store.chunk_bytes, store.batch_writes = 5_000, 4


def corrupt_model(store, run_id: str) -> None:
    """Change one stored byte of the run's model behind the store's back."""
    if isinstance(store, SqliteStore):
        with store._tx() as cur:
            cur.execute("UPDATE models SET data = ? WHERE run_id = ?", (b"x" + store.get_model(run_id).data[1:], run_id))
        return
    header = store._run(run_id).get().get("model")
    part = store._run(run_id).collection("model").document(f"{header['gen']}-00000")
    part.update({"data": b"x" + part.get().get("data")[1:]})


def test_model_is_published_with_the_run(store):
    small_chunks(store)
    bundle = make_bundle("run-model", [6, 3])
    bundle.model = model_of("conversations", 23_456, seed=1)  # several parts on Firestore
    store.publish(bundle)
    store.publish(make_bundle("run-plain", [4]))
    assert store.get_model_info("run-model") == bundle.model.info()
    assert store.get_model("run-model") == bundle.model
    assert store.get_model_info("run-plain") is None and store.get_model("run-plain") is None
    with pytest.raises(RunNotFound):
        store.get_model("nope")
    with pytest.raises(RunNotFound):
        store.put_model("nope", bundle.model)
    corrupt_model(store, "run-model")
    with pytest.raises(StoreError, match="checksum"):
        store.get_model("run-model")


@pytest.mark.parametrize("fail_after", [0, 3, 6])
def test_a_crash_never_leaves_a_partial_model(store, fail_after):
    small_chunks(store)
    old, new = model_of("events", 9_000, seed=2), model_of("events", 30_000, seed=3)
    bundle = make_bundle("run-m", [5])
    bundle.model = old
    store.publish(bundle)
    store._fail_after_writes = fail_after
    if isinstance(store, SqliteStore) and fail_after:  # one transaction: no crash point inside it
        store.put_model("run-m", new)
        assert store.get_model("run-m") == new
    else:  # Firestore: 6 parts, then the header
        with pytest.raises(InjectedFailure):
            store.put_model("run-m", new)
        assert store.get_model("run-m") == old  # the partial write of `new` is never read
    store._fail_after_writes = None
    store.put_model("run-m", new)
    assert store.get_model("run-m") == new and store.get_model_info("run-m")["kind"] == "events"
    broken = make_bundle("run-broken", [40])
    broken.model = new
    store._fail_after_writes = fail_after + 2
    with pytest.raises(InjectedFailure):
        store.publish(broken)
    store._fail_after_writes = None
    with pytest.raises(RunNotFound):
        store.get_model("run-broken")
    assert store.cleanup_incomplete(older_than_s=0) == ["run-broken"]


def test_deleting_a_run_deletes_its_model(store):
    bundle = make_bundle("run-d", [5])
    bundle.model = model_of("conversations", 2_000, seed=4)
    store.publish(bundle)
    assert store.delete_run("run-d") is True
    with pytest.raises(RunNotFound):
        store.get_model_info("run-d")
    store.publish(make_bundle("run-d", [5]))  # the same id again, without a model: none is left over
    assert store.get_model("run-d") is None and store.get_model_info("run-d") is None
    bundle.model = model_of("conversations", 2_000, seed=5)
    store.publish(bundle, replace=True)
    assert store.get_model("run-d") == bundle.model


# -- series and comparisons ------------------------------------------------------------------------
def series_bundle(run_id: str, series: str | None, created_at: str, comparison=None, sizes=(6, 6)):
    bundle = make_bundle(run_id, list(sizes), created_at=created_at)
    bundle.manifest["series"] = series
    bundle.comparison = comparison
    return bundle


def test_series_history_in_order_with_headlines(store):
    from tests.store.synthetic_compare import make_comparison

    second = make_comparison("s-1", "s-2")
    store.publish(series_bundle("s-2", "weekly", "2026-02-01T00:00:00Z", second))
    first = series_bundle("s-1", "weekly", "2026-01-01T00:00:00Z")
    first.manifest["time"] = {"basis": "UTC-08:00", "first": "2015-02-16T18:00:00+00:00",
                              "last": "2015-02-20T23:00:00+00:00", "p05": "2015-02-17T01:00:00+00:00",
                              "p95": "2015-02-20T20:00:00+00:00"}
    store.publish(first)
    store.publish(series_bundle("other", "daily", "2026-03-01T00:00:00Z"))
    store.publish(series_bundle("none", None, "2026-04-01T00:00:00Z"))
    items, total = store.series_runs("weekly")
    assert total == 2 and [i["run_id"] for i in items] == ["s-1", "s-2"]
    assert items[0]["comparison"] is None and items[0]["n_personas"] == 2 and items[0]["kind"] == "conversations"
    # which dates each run's data covers, not only when it was made (the re-runs review)
    assert (items[0]["first"], items[0]["last"], items[0]["basis"]) == (
        "2015-02-16T18:00:00+00:00", "2015-02-20T23:00:00+00:00", "UTC-08:00")
    assert items[1]["first"] is None and items[1]["basis"] is None  # a bundle without timestamps
    head = items[1]["comparison"]
    assert head["base_run_id"] == "s-1" and head["psi"] == second.shift.psi and head["counts"] == second.counts
    assert store.series_runs("weekly", limit=1, offset=1)[0] == items[1:]
    assert store.series_runs("nothing") == ([], 0)
    assert store.latest_in_series("weekly") == "s-2" and store.latest_in_series("nothing") is None
    assert {r["id"]: r["series"] for r in store.list_runs()} == {"none": None, "other": "daily", "s-2": "weekly",
                                                                  "s-1": "weekly"}
    assert store.get_comparison("s-2") == second.model_dump(mode="json")
    assert store.get_comparison("s-1") is None
    with pytest.raises(RunNotFound):
        store.get_comparison("missing")
    with pytest.raises(ValueError, match="invalid series name"):
        store.series_runs("../x")


def test_put_comparison_replaces_and_is_checked(store):
    from tests.store.synthetic_compare import make_comparison

    store.publish(series_bundle("c-1", "s", "2026-01-01T00:00:00Z"))
    store.publish(series_bundle("c-2", "s", "2026-02-01T00:00:00Z"))
    first, second = make_comparison("c-1", "c-2", seed=1), make_comparison("c-1", "c-2", seed=2, moved=0.5)
    store.put_comparison("c-2", first)
    store.put_comparison("c-2", second)  # replaces: the reader sees the newer one
    assert store.get_comparison("c-2") == second.model_dump(mode="json")
    assert store.series_runs("s")[0][1]["comparison"]["n_moved"] == second.movers.n_moved
    with pytest.raises(ValueError, match="is of run c-2"):
        store.put_comparison("c-1", second)
    with pytest.raises(ValueError, match="does not match its contract"):
        store.put_comparison("c-2", {**second.model_dump(mode="json"), "shift": {"psi": "high"}})
    with pytest.raises(RunNotFound):
        store.put_comparison("missing", second)
    with pytest.raises(ValueError, match="is of run"):  # a bundle's comparison is checked before any write
        store.publish(series_bundle("c-3", "s", "2026-03-01T00:00:00Z", second))
    assert "c-3" not in {r["id"] for r in store.list_runs()}


def test_two_hundred_personas_with_movers_fit_and_page(store):
    """A comparison of 200 personas listing 1,700 movers (about 0.6 MB) is stored in parts on Firestore."""
    from tests.store.synthetic_compare import make_comparison

    big = make_comparison("big-1", "big-2", n_personas=200, per_persona=30, moved=0.3)
    assert len(big.model_dump_json()) > 500_000 and len(big.movers.moves) > 1000
    store.publish(series_bundle("big-1", "big", "2026-01-01T00:00:00Z"))
    store.publish(series_bundle("big-2", "big", "2026-02-01T00:00:00Z", big))
    assert store.get_comparison("big-2") == big.model_dump(mode="json")
    page = store.get_movers("big-2", offset=10, limit=5)
    assert page["total"] == page["listed"] == len(big.movers.moves) and page["base_run_id"] == "big-1"
    assert page["items"] == [m.model_dump(mode="json") for m in big.movers.moves[10:15]]
    src = big.movers.moves[0].from_id
    only = store.get_movers("big-2", from_persona=src, limit=10_000)
    assert only["total"] == sum(m.from_id == src for m in big.movers.moves) and {m["from_id"] for m in only["items"]} == {src}
    assert store.get_movers("big-1") is None
    assert store.delete_run("big-2") and store.series_runs("big")[1] == 1
