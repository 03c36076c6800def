"""Persona models in the SQLite store: one row per run in `models` (the joblib file's bytes, kind, size
and sha256), written in the transaction that makes the run visible (``SqliteStore.publish``) or, for a
run published before models were stored, by ``put_model`` in one transaction of its own. A mixin of
``ml.store.sqlite.SqliteStore``; a read-only file made before the table existed has no models.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from ml.store.base import InjectedFailure, StoreError
from ml.store.bundle import StoredModel


class SqliteModels:
    """Needs ``self._tx``, ``self._read``, ``self._complete``, ``self.path``, ``self._has_models`` and
    ``_writes_allowed`` (``RunStore``)."""

    @staticmethod
    def _write_model(cur: sqlite3.Cursor, run_id: str, model: StoredModel) -> None:
        cur.execute("INSERT OR REPLACE INTO models (run_id, kind, size, sha256, data) VALUES (?, ?, ?, ?, ?)",
                    (run_id, model.kind, len(model.data), model.sha256, sqlite3.Binary(model.data)))

    def put_model(self, run_id: str, model: StoredModel) -> None:
        run_id = self._complete(run_id)
        if not self._has_models:
            raise StoreError(f"SQLite store {self.path} has no models table (a read-only file from before "
                             "models were stored): open it writable once")
        if not self._writes_allowed(0, 1):  # test hook: a crash before the one transaction commits
            raise InjectedFailure("injected failure before the model was written")
        with self._tx() as cur:
            self._write_model(cur, run_id, model)

    def get_model_info(self, run_id: str) -> dict[str, Any] | None:
        run_id = self._complete(run_id)
        if not self._has_models:
            return None
        rows = self._read("SELECT kind, size, sha256 FROM models WHERE run_id = ?", (run_id,))
        return {"kind": rows[0][0], "size": rows[0][1], "sha256": rows[0][2]} if rows else None

    def get_model(self, run_id: str) -> StoredModel | None:
        run_id = self._complete(run_id)
        if not self._has_models:
            return None
        rows = self._read("SELECT kind, size, sha256, data FROM models WHERE run_id = ?", (run_id,))
        if not rows:
            return None
        kind, size, sha256, data = rows[0]
        data = bytes(data)
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
            raise StoreError(f"SQLite store {self.path}: the stored model of run {run_id} does not match its "
                             "checksum; publish the run again")
        return StoredModel(kind, data)
