"""Series and comparisons in the SQLite store (a mixin of ``ml.store.sqlite.SqliteStore``).

A run's series is the ``runs.series`` column (from ``manifest.series``, written with the run row), indexed
by (series, status, created_key); a comparison is one row of ``comparisons`` (headline and document),
written in the transaction that makes the run visible (``publish``) or by ``put_comparison`` in one
transaction of its own. A read-only file made before these existed has no series and no comparisons.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ml.runtime.contracts.base import STORED
from ml.store import records as R
from ml.store.base import StoreError
from ml.store.series import check_comparison, headline_of, series_entry, validate_series


class SqliteSeries:
    """Needs ``self._tx``, ``self._read``, ``self._complete``, ``self.path`` and ``self._has`` (``migrate``)."""

    @staticmethod
    def _write_comparison(cur: sqlite3.Cursor, run_id: str, doc: dict[str, Any]) -> None:
        cur.execute("INSERT OR REPLACE INTO comparisons (run_id, base_run_id, headline, data) VALUES (?, ?, ?, ?)",
                    (run_id, doc["base"]["run_id"], R.dumps(headline_of(doc)), R.dumps(doc)))

    def _require(self, what: str) -> None:
        if not self._has[what]:
            raise StoreError(f"SQLite store {self.path} has no {what} (a read-only file from before they were "
                             "stored): open it writable once")

    def put_comparison(self, run_id: str, comparison: Any) -> None:
        run_id = self._complete(run_id)
        doc = check_comparison(run_id, comparison)
        self._require("comparisons")
        with self._tx() as cur:
            self._write_comparison(cur, run_id, doc)

    def get_comparison(self, run_id: str) -> dict[str, Any] | None:
        run_id = self._complete(run_id)
        if not self._has["comparisons"]:
            return None
        rows = self._read("SELECT data FROM comparisons WHERE run_id = ?", (run_id,))
        return json.loads(rows[0][0]) if rows else None

    def series_runs(self, series: str, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        R.check_page(offset, limit)
        validate_series(series)
        if not self._has["series"]:
            return [], 0
        where = "FROM runs WHERE series = ? AND status = 'complete'"
        total = self._read(f"SELECT count(*) {where}", (series,))[0][0]
        headline = "(SELECT headline FROM comparisons c WHERE c.run_id = runs.id)" if self._has["comparisons"] \
            else "NULL"
        rows = self._read(f"SELECT id, manifest, {headline} {where} ORDER BY created_key, id LIMIT ? OFFSET ?",
                          (series, limit, offset))
        return [series_entry(R.run_summary(rid, json.loads(m), STORED), json.loads(h) if h else None)
                for rid, m, h in rows], total

    def latest_in_series(self, series: str) -> str | None:
        validate_series(series)
        if not self._has["series"]:
            return None
        rows = self._read("SELECT id FROM runs WHERE series = ? AND status = 'complete' "
                          "ORDER BY created_key DESC, id DESC LIMIT 1", (series,))
        return rows[0][0] if rows else None
