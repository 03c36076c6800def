"""Firestore-only checks against the real emulator: production limits, layout, cleanup."""

from __future__ import annotations

import numpy as np
import pytest

from ml.store import InjectedFailure, RunNotFound, StoreError, open_store
from ml.store import records as R
from ml.store.bundle import StoredModel
from ml.store.firestore import (
    MAX_DOC_BYTES,
    FirestoreStore,
    _Batcher,
    firestore_doc_size,
    pack_rows,
    parse_firestore_url,
    split_utf8,
)
from tests.store.synthetic import make_bundle

SUBS = ("personas", "members", "map", "blobs", "model")


def run_docs(store: FirestoreStore, run_id: str):
    run_ref = store.client.collection("runs").document(run_id)
    docs = [s for sub in SUBS for s in run_ref.collection(sub).stream()]
    snap = run_ref.get()
    return docs + ([snap] if snap.exists else [])


def test_doc_size_follows_firestore_rules():
    # the worked example of https://cloud.google.com/firestore/docs/storage-size
    data = {"type": "Personal", "done": False, "priority": 1, "description": "Learn Cloud Firestore"}
    assert firestore_doc_size("users/jeff/tasks/my_task_id", data) == 147


def test_split_and_pack_respect_byte_limits():
    text = "aé東😀" * 5000
    parts = split_utf8(text, 1000)
    assert "".join(parts) == text and max(len(p.encode()) for p in parts) <= 1000
    rows = [{"member_id": str(i), "text": "東" * (i % 50)} for i in range(2000)]
    chunks = pack_rows(rows, 3000)
    assert sum(len(c) for c in chunks) == 2000
    assert max(len(("[" + ",".join(c) + "]").encode()) for c in chunks) <= 3000


def test_url_parsing():
    assert parse_firestore_url("firestore://proj") == ("proj", "(default)")
    assert parse_firestore_url("firestore://proj/other-db") == ("proj", "other-db")
    with pytest.raises(ValueError, match="names no project"):
        parse_firestore_url("firestore://")
    # the client answered "Unknown: None" for a display name (a deployment review, 2026-12-05)
    with pytest.raises(ValueError, match="'Bad_Project!' is not a Google Cloud project id"):
        parse_firestore_url("firestore://Bad_Project!")


def test_an_unreachable_server_fails_a_probe_at_once_and_a_read_within_its_bound(monkeypatch):
    """A deployment review: with nothing listening, /ready answered after 292 s and a page after 290 s (the
    client's default retries). The probe has no retry; a read retries for read_timeout_s at most."""
    import socket
    import time

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{port}")
    store = FirestoreStore("personas-nowhere", read_timeout_s=2.0)
    t0 = time.monotonic()
    with pytest.raises(StoreError, match=f"FIRESTORE_EMULATOR_HOST=127.0.0.1:{port}: is the emulator running"):
        store.ping()
    assert time.monotonic() - t0 < 5
    t0 = time.monotonic()
    with pytest.raises(StoreError):
        store.list_runs()
    assert time.monotonic() - t0 < 10
    store.close()
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "")
    with pytest.raises(StoreError, match="FIRESTORE_EMULATOR_HOST is set but empty"):
        FirestoreStore("personas-nowhere")


@pytest.mark.firestore
def test_open_store_url_uses_emulator(firestore_store_url):
    store = open_store(firestore_store_url)
    assert isinstance(store, FirestoreStore) and store.ping()
    store.publish(make_bundle("run-url", [3]))
    assert open_store(firestore_store_url).latest_run_id() == "run-url"


@pytest.mark.firestore
def test_oversize_document_is_refused_before_writing(firestore_store):
    ref = firestore_store.client.collection("guard").document("big")
    with pytest.raises(StoreError, match="over Firestore's 1 MiB limit"):
        _Batcher(firestore_store).set(ref, {"s": "x" * MAX_DOC_BYTES})
    assert not ref.get().exists


@pytest.mark.firestore
def test_many_small_chunks_stay_within_batch_and_size_limits(firestore_project):
    store = FirestoreStore(firestore_project, chunk_bytes=1_000)
    bundle = make_bundle("run-chunks", [5000, 900, 100], words=6)
    store.publish(bundle)
    assert store.stats["commits"] >= 3 and store.stats["max_batch_writes"] <= 500
    docs = run_docs(store, "run-chunks")
    assert len(docs) > 1000
    chunk_docs = [s for s in docs if s.reference.parent.id in ("members", "map")]
    assert max(firestore_doc_size(s.reference.path, s.to_dict()) for s in chunk_docs) <= 1_000 + 200
    members, total = store.get_members("run-chunks", 0, offset=1234, limit=777)
    expected = [r for r in R.member_records(bundle.members) if r["persona_id"] == 0]
    assert total == 5000 and members == expected[1234:2011]


@pytest.mark.firestore
def test_big_run_documents_are_all_under_one_mib(firestore_store):
    bundle = make_bundle("run-big", [6000, 10], words=120, evidence_per_persona=3000, evidence_words=120)
    firestore_store.publish(bundle)
    assert firestore_store.stats["max_batch_bytes"] <= firestore_store.batch_bytes
    sizes = [firestore_doc_size(s.reference.path, s.to_dict()) for s in run_docs(firestore_store, "run-big")]
    assert max(sizes) <= 900_000 and sum(sizes) > 5 * MAX_DOC_BYTES
    assert firestore_store.get_persona("run-big", 0) == R.persona_profile(bundle.personas[0])


@pytest.mark.firestore
def test_delete_leaves_no_documents(firestore_store):
    bundle = make_bundle("run-del", [3000, 20], words=40)
    bundle.model = StoredModel("conversations", b"m" * 600_000)
    firestore_store.publish(bundle)
    assert len(list(firestore_store._run("run-del").collection("model").stream())) == 3
    assert len(run_docs(firestore_store, "run-del")) > 3
    firestore_store.delete_run("run-del")
    assert run_docs(firestore_store, "run-del") == []
    assert firestore_store.latest_run_id() is None


@pytest.mark.firestore
def test_deleted_run_disappears_for_other_clients_after_cache(firestore_project):
    writer, reader = FirestoreStore(firestore_project), FirestoreStore(firestore_project, cache_ttl_s=0.0)
    writer.publish(make_bundle("run-shared", [5]))
    assert reader.get_persona("run-shared", 0)["size"] == 5
    writer.delete_run("run-shared")
    with pytest.raises(KeyError):
        reader.get_persona("run-shared", 0)


@pytest.mark.firestore
def test_a_part_missing_from_a_cached_run_that_was_deleted_is_not_found(firestore_project):
    """A deployment review (two API replicas): after replica B deleted a run, replica A, with the run document
    cached, answered 503 for members it had not read, an empty map and an export cut off, for 30-40 s."""
    writer = FirestoreStore(firestore_project)
    reader = FirestoreStore(firestore_project, cache_ttl_s=600.0)
    writer.publish(make_bundle("run-gone", [5, 7]))
    assert reader.get_persona("run-gone", 0)["size"] == 5  # the run and persona documents are cached now
    writer.delete_run("run-gone")
    with pytest.raises(RunNotFound):
        reader.get_members("run-gone", 1)  # its member chunks are gone: not found, not a store failure
    with pytest.raises(RunNotFound):
        reader.get_persona("run-gone", 0)  # and the run was forgotten


def test_indexes_file_declares_what_the_queries_need():
    import json
    from pathlib import Path

    from ml.store.firestore import COMPOSITE_INDEXES, UNINDEXED_FIELDS

    spec = json.loads((Path(__file__).resolve().parents[2] / "firestore.indexes.json").read_text())
    declared = [(i["collectionGroup"], [(f["fieldPath"], f["order"]) for f in i["fields"]]) for i in spec["indexes"]]
    assert declared == COMPOSITE_INDEXES and all(i["queryScope"] == "COLLECTION" for i in spec["indexes"])
    overrides = [(o["collectionGroup"], o["fieldPath"]) for o in spec["fieldOverrides"]]
    assert overrides == UNINDEXED_FIELDS and all(o["indexes"] == [] for o in spec["fieldOverrides"])


@pytest.mark.firestore
def test_model_parts_stay_under_the_limits(firestore_store):
    model = StoredModel("conversations", np.random.default_rng(0).bytes(3_000_000))  # 3 MB, more than a batch
    bundle = make_bundle("run-model", [10])
    bundle.model = model
    firestore_store.publish(bundle)
    assert firestore_store.stats["max_batch_bytes"] <= firestore_store.batch_bytes
    parts = list(firestore_store._run("run-model").collection("model").stream())
    assert len(parts) == 12 and max(firestore_doc_size(s.reference.path, s.to_dict()) for s in parts) <= 257_000
    assert firestore_store.get_model("run-model") == model
    firestore_store.put_model("run-model", StoredModel("conversations", b"small"))
    assert [s.id.endswith("-00000") for s in firestore_store._run("run-model").collection("model").stream()] == [True]


@pytest.mark.firestore
@pytest.mark.parametrize("into_parts", [1, 3, 6])
def test_a_publish_crash_among_model_parts_leaves_no_model(firestore_project, into_parts):
    store = FirestoreStore(firestore_project, chunk_bytes=5_000, batch_writes=2)
    store.publish(make_bundle("run-probe", [30]))
    before_model = store.stats["writes"] - 2  # the final transaction writes the run and `latest`
    bundle = make_bundle("run-crash", [30])
    bundle.model = StoredModel("events", np.random.default_rng(1).bytes(30_000))  # 6 parts
    store._fail_after_writes = before_model + into_parts
    with pytest.raises(InjectedFailure):
        store.publish(bundle)
    store._fail_after_writes = None
    assert 0 < len(list(store._run("run-crash").collection("model").stream())) <= into_parts
    with pytest.raises(RunNotFound):
        store.get_model("run-crash")
    assert store.cleanup_incomplete(older_than_s=0) == ["run-crash"]
    assert run_docs(store, "run-crash") == []
