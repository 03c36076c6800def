"""SQLite files made before series and comparisons were stored: opening one adds them; a read-only one
answers without them."""

from __future__ import annotations

import sqlite3

import pytest

from ml.store.base import StoreError
from ml.store.sqlite import SqliteStore
from tests.store.synthetic import make_bundle
from tests.store.synthetic_compare import make_comparison


def _old_file(path):
    """A store file as written before series: no `series` column, no `comparisons` table."""
    store = SqliteStore(path)
    store.publish(make_bundle("run-old", [4, 4], created_at="2026-01-01T00:00:00Z"))
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE comparisons")
        conn.execute("DROP INDEX runs_by_series")
        conn.execute("ALTER TABLE runs DROP COLUMN series")
    return path


def test_old_file_gains_series_and_comparisons(tmp_path):
    store = SqliteStore(_old_file(tmp_path / "old.db"))
    assert store.get_comparison("run-old") is None and store.series_runs("weekly") == ([], 0)
    bundle = make_bundle("run-new", [4, 4], created_at="2026-02-01T00:00:00Z")
    bundle.manifest["series"] = "weekly"
    bundle.comparison = make_comparison("run-old", "run-new")
    store.publish(bundle)
    items, total = store.series_runs("weekly")
    assert total == 1 and items[0]["comparison"]["base_run_id"] == "run-old"
    assert store.list_runs()[1]["series"] is None  # the old run belongs to no series


def test_read_only_old_file_has_no_series(tmp_path, monkeypatch):
    """A file the migration cannot change (read-only; simulated, as the tests run as root, who ignores
    chmod): reads answer without series and comparisons, storing one says what to do."""
    import ml.store.sqlite_schema as schema

    path = _old_file(tmp_path / "old.db")
    monkeypatch.setattr(schema, "_try", lambda conn, sql: False)
    store = SqliteStore(path)
    assert store.get_comparison("run-old") is None and store.series_runs("weekly") == ([], 0)
    assert store.latest_in_series("weekly") is None
    with pytest.raises(StoreError, match="no comparisons"):
        store.put_comparison("run-old", make_comparison("x", "run-old"))
