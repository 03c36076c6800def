"""SQLite-only checks: URLs and settings, WAL, threads, reader latency."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ml.store import default_store_url, open_store
from ml.store.sqlite import SqliteStore, parse_sqlite_url
from tests.store.synthetic import make_bundle


def test_url_forms(tmp_path):
    assert parse_sqlite_url("sqlite:///rel/personas.db") == "rel/personas.db"
    assert parse_sqlite_url("sqlite:////abs/personas.db") == "/abs/personas.db"
    assert parse_sqlite_url("sqlite:///:memory:") == ":memory:"
    with pytest.raises(ValueError, match="no path"):
        parse_sqlite_url("sqlite://")
    assert isinstance(open_store(str(tmp_path / "x.db")), SqliteStore)
    store = open_store("sqlite:///" + str(tmp_path / "sub" / "p.db"))
    assert (tmp_path / "sub" / "p.db").exists() and store.count_runs() == 0
    with pytest.raises(ValueError, match="unknown store URL"):
        open_store("postgres://x")


def test_default_url_from_settings(monkeypatch, tmp_path):
    monkeypatch.delenv("PERSONAS_STORE_URL", raising=False)
    monkeypatch.setenv("PERSONAS_HOME", str(tmp_path))
    assert default_store_url() == f"sqlite:///{tmp_path}/personas.db"
    monkeypatch.setenv("PERSONAS_STORE_URL", "firestore://my-project")
    assert default_store_url() == "firestore://my-project"
    monkeypatch.setenv("PERSONAS_STORE_URL", "sqlite:///" + str(tmp_path / "o.db"))
    assert open_store().path == str(tmp_path / "o.db")


def test_wal_and_memory(tmp_path):
    store = SqliteStore(tmp_path / "w.db")
    assert store._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    mem = SqliteStore(":memory:")
    mem.publish(make_bundle("run-m", [4]))
    seen = []
    t = threading.Thread(target=lambda: seen.append(mem.get_members("run-m", 0)[1]))
    t.start()
    t.join()
    assert seen == [4]


def test_readers_during_publish_see_only_complete_runs(tmp_path):
    store = SqliteStore(tmp_path / "c.db", batch_rows=500)
    store.publish(make_bundle("run-1", [200, 100], created_at="2026-01-01T00:00:00Z"))
    stop, errors, seen = threading.Event(), [], set()

    def read() -> None:
        while not stop.is_set():
            try:
                latest = store.latest_run_id()
                seen.add(latest)
                personas = store.get_personas(latest)
                assert sum(store.get_members(latest, p["id"], limit=1)[1] for p in personas) == \
                    sum(p["size"] for p in personas)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(read) for _ in range(4)]
        store.publish(make_bundle("run-2", [8000, 4000], created_at="2026-02-01T00:00:00Z"))
        time.sleep(0.2)
        stop.set()
        for f in futures:
            f.result()
    assert errors == [] and seen == {"run-1", "run-2"}


def test_reader_latency(tmp_path):
    store = SqliteStore(tmp_path / "l.db")
    store.publish(make_bundle("run-l", [6000, 5000, 3000, 1000], words=30))
    timings = []
    for i in range(200):
        t0 = time.perf_counter()
        store.get_personas("latest")
        store.get_persona("run-l", i % 4)
        store.get_members("run-l", i % 4, offset=(i * 37) % 900, limit=50)
        timings.append(time.perf_counter() - t0)
    # backend target is p99 < 50 ms per request; three reads together must stay well under that
    assert statistics.quantiles(timings, n=100)[98] < 0.05



def test_old_file_gains_the_models_table(tmp_path):
    """A store file made before models were stored: opening it adds the table; its runs have no model."""
    import sqlite3

    from ml.store.bundle import StoredModel

    path = tmp_path / "old.db"
    old = SqliteStore(path)
    old.publish(make_bundle("run-old", [4]))
    old.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE models")
    store = SqliteStore(path)
    assert store.get_model_info("run-old") is None and store.get_model("run-old") is None
    store.put_model("run-old", StoredModel("conversations", b"model bytes"))
    assert store.get_model("run-old") == StoredModel("conversations", b"model bytes")
    assert SqliteStore(path).get_model_info("run-old")["size"] == len(b"model bytes")


def test_a_new_stores_own_folder_is_made_but_not_a_chain_of_them(tmp_path):
    """``--store sqlite:////nonexistent/dir/s.db`` made every folder and published where no explorer looked."""
    from ml.store.base import StoreError

    SqliteStore(tmp_path / "new" / "personas.db")  # the store's own folder: made
    assert (tmp_path / "new" / "personas.db").is_file()
    with pytest.raises(StoreError, match="neither its folder") as err:
        open_store(f"sqlite:///{tmp_path}/typo/dir/personas.db")
    assert "\n" not in str(err.value) and not (tmp_path / "typo").exists()


def test_the_default_store_home_is_made_with_its_parents(tmp_path, monkeypatch):
    from ml.store.settings import get_store_settings

    monkeypatch.setenv("PERSONAS_HOME", str(tmp_path / "data" / "personas" / "home"))
    monkeypatch.delenv("PERSONAS_STORE_URL", raising=False)
    getattr(get_store_settings, "cache_clear", lambda: None)()
    store = open_store()
    assert (tmp_path / "data" / "personas" / "home" / "personas.db").is_file() and store.url.endswith("personas.db")
