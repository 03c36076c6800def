"""`RunStore.preflight()` and `StorePublisher.open()`: a destination is checked before the work, the
check leaves nothing behind, and a store that cannot be used fails fast with one line."""

from __future__ import annotations

import socket
import sqlite3
import time

import pytest

from ml.runtime.errors import InputError
from ml.store import StoreError
from ml.store.publish import StorePublisher
from ml.store.sqlite import SqliteStore
from tests.store.synthetic import make_bundle


def _meta(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall()


def test_sqlite_preflight_leaves_nothing(tmp_path):
    db = tmp_path / "personas.db"
    store = SqliteStore(db)
    store.publish(make_bundle("run-a", [3]))
    before = _meta(db)
    store.preflight()
    assert _meta(db) == before and store.latest_run_id() == "run-a" and store.incomplete_run_ids() == []
    store.close()


def test_sqlite_preflight_fails_fast_on_a_locked_store(tmp_path):
    db = tmp_path / "personas.db"
    SqliteStore(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = SqliteStore(db)  # opening an existing store needs no write lock
        start = time.monotonic()
        with pytest.raises(StoreError, match="locked"):
            store.preflight(timeout_s=0.5)
        assert time.monotonic() - start < 5
        store.close()
        with pytest.raises(InputError, match="locked") as err:
            StorePublisher(f"sqlite:///{db}", preflight_timeout_s=0.5).open()
        assert "\n" not in str(err.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    StorePublisher(f"sqlite:///{db}").open().close()  # fine once the lock is gone


def test_publisher_refuses_bad_urls_before_opening(tmp_path):
    for url in ("mongodb://x/y", "postgres://h/db"):
        with pytest.raises(InputError, match="unknown scheme"):
            StorePublisher(url)
    with pytest.raises(InputError, match="cannot be used"):
        StorePublisher(str(tmp_path / "not-a-store.txt")).open()
    with pytest.raises(InputError, match="names no project"):
        StorePublisher("firestore://").open()
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="cannot be used"):  # the store's folder is a regular file
        StorePublisher(f"sqlite:///{a_file}/personas.db").open()
    assert StorePublisher(f"sqlite:///{tmp_path}/p.db").local_paths == [tmp_path / "p.db"]
    assert not (tmp_path / "p.db").exists()  # parsing a URL touches nothing


@pytest.mark.firestore
def test_firestore_preflight_on_the_emulator_leaves_nothing(firestore_store):
    firestore_store.preflight()
    client = firestore_store.client
    assert [c.id for c in client.collections()] == []  # no probe document (and no collection) left
    firestore_store.publish(make_bundle("run-a", [4]))
    firestore_store.preflight()
    assert [d.id for d in client.collection("meta").list_documents()] == ["latest"]
    assert firestore_store.latest_run_id() == "run-a"


def test_firestore_preflight_fails_fast_when_the_emulator_is_unreachable(monkeypatch):
    from ml.store.firestore import FirestoreStore

    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{port}")
    store = FirestoreStore("personas-unreachable")
    start = time.monotonic()
    with pytest.raises(StoreError, match="Firestore"):
        store.preflight(timeout_s=1.0)
    assert time.monotonic() - start < 10
    store.close()
