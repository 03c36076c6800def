"""SqliteStore: the embedded default results store (standard-library sqlite3, no server).

Layout: `runs` (status 'in_progress' | 'complete', manifest JSON), `personas` (profile JSON),
`members` (one row per member, clustered by (run, persona, rank) so a page is one index range),
`map_points` (the persona-stratified map sample order, clustered so a map is one range scan),
`strategies`, `models` (each run's persona model file, ``ml.store.sqlite_models``), `comparisons`
(``ml.store.sqlite_series``), and `meta` holding
the `latest` pointer. Publishing writes the run row as
in-progress, then personas and members in transactions of `batch_rows`, then flips status and
pointer in one final transaction; readers only ever see complete runs. WAL mode lets readers
run while a publish is writing. One connection per thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ml.runtime.contracts.base import STORED
from ml.store import records as R
from ml.store.base import InjectedFailure, PersonaNotFound, RunNotFound, RunStore, StoreError, validate_run_id
from ml.store.bundle import RunBundle
from ml.store.series import check_comparison, validate_series
from ml.store.sqlite_models import SqliteModels
from ml.store.sqlite_schema import MEMBER_COLS, SCHEMA, SCHEMA_VERSION, migrate, parse_sqlite_url
from ml.store.sqlite_series import SqliteSeries


def _is_default_home(db: Path) -> bool:
    """Is ``db`` the default store (``<PERSONAS_HOME or ~/.personas>/personas.db``)?"""
    from ml.store.settings import default_store_url, get_store_settings

    try:
        default = parse_sqlite_url(default_store_url(get_store_settings().home))
    except (ValueError, OSError):
        return False
    return Path(default).expanduser().resolve() == db.resolve()


class SqliteStore(SqliteModels, SqliteSeries, RunStore):
    """Results store in one SQLite file. `path` may be ':memory:' (private, for tests)."""

    def __init__(self, path: str | Path, batch_rows: int = 5000, timeout_s: float = 30.0):
        self.path = str(path)
        self.batch_rows = batch_rows
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        if self.path == ":memory:":
            self._target, self._uri = f"file:personas-{uuid.uuid4().hex}?mode=memory&cache=shared", True
        else:
            db = Path(self.path).expanduser()
            if _is_default_home(db):  # PERSONAS_HOME may be a new chain of folders: it is the product's own
                db.parent.mkdir(parents=True, exist_ok=True)
            if not db.parent.exists() and not db.parent.parent.exists():  # a typo, not a new store's folder
                raise StoreError(f"store {db}: neither its folder {db.parent} nor that folder's parent exists; check "
                                 "the path (a new store's own folder is created, not a chain of them)")
            try:
                db.parent.mkdir(exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create folder for store {db}: {exc}") from exc
            self._target, self._uri = str(db), False
        self.url = "sqlite:///" + self.path
        self._keepalive = self._conn()  # holds an in-memory database alive; creates the schema
        try:
            found = self._schema_version()
            if found is None:  # a new file: only then is a write lock needed here
                self._keepalive.executescript(SCHEMA)
                self._keepalive.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                                        (SCHEMA_VERSION,))
                found = self._schema_version()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path} cannot be used: {exc}") from exc
        if found != SCHEMA_VERSION:
            raise StoreError(f"SQLite store {self.path} has schema {found}, this version needs {SCHEMA_VERSION}: "
                             "use a new file or delete this one")
        try:
            has = migrate(self._keepalive)  # files made before a column or table existed get it
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path} cannot be used: {exc}") from exc
        self._map_confidence = "confidence" if has["confidence"] else "NULL"  # read-only old file: maps read None
        self._has_models = has["models"]  # read-only old file: no run has a stored model
        self._has = has  # and no series or comparisons (ml.store.sqlite_series)

    def _schema_version(self) -> str | None:
        conn = self._keepalive
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
            return None
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return row[0] if row else None

    def preflight(self, timeout_s: float = 10.0) -> None:
        """Read, then write and delete a probe row in `meta`, waiting at most `timeout_s` for a lock."""
        conn = self._conn()
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        key = f"preflight-{uuid.uuid4().hex}"
        try:
            self.count_runs()
            with self._tx() as cur:
                cur.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, R.utc_now_iso()))
            with self._tx() as cur:
                cur.execute("DELETE FROM meta WHERE key = ?", (key,))
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout_s * 1000)}")

    # -- connections -------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self._target, uri=self._uri, timeout=self.timeout_s,
                                       check_same_thread=False, isolation_level=None)
                if not self._uri:
                    conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=OFF")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open SQLite store {self.path}: {exc}") from exc
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self._conn().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc

    def _tx(self):
        return _Transaction(self._conn(), self.path)

    def close(self) -> None:
        with self._conns_lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()

    # -- writing -----------------------------------------------------------------------------
    def publish(self, bundle: RunBundle, replace: bool = False) -> str:
        run_id = validate_run_id(bundle.run_id)
        R.check_bundle(bundle)
        comparison = check_comparison(run_id, bundle.comparison) if bundle.comparison is not None else None
        self.cleanup_incomplete()
        self._begin(run_id, bundle, replace)
        written = 1
        try:
            recs = R.member_records(bundle.members)
            counts: dict[int, int] = {}
            for rec in recs:
                counts[rec["persona_id"]] = counts.get(rec["persona_id"], 0) + 1
            persona_rows = [
                (run_id, int(p["id"]), counts.get(int(p["id"]), 0), R.dumps(R.persona_profile(p)))
                for p in bundle.personas
            ]
            written = self._insert(
                "INSERT INTO personas (run_id, id, n_members, profile) VALUES (?, ?, ?, ?)", persona_rows, written
            )
            written = self._insert(
                "INSERT INTO members (run_id, persona_id, rank, member_id, distance, reassigned, x, y, text, "
                "text_fold, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _member_rows(run_id, recs),
                written,
            )
            written = self._insert(
                "INSERT INTO map_points (run_id, map_order, member_id, persona_id, x, y, reassigned, text, "
                "confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((run_id, pos, p["member_id"], p["persona_id"], p["x"], p["y"], int(p["reassigned"]), p["text"],
                  p["confidence"])
                 for pos, p in enumerate(R.map_point(recs[i]) for i in R.map_order(recs))),
                written,
            )
            if not self._writes_allowed(written, 1):
                raise InjectedFailure(f"injected failure after {written} writes")
            with self._tx() as cur:
                cur.execute("INSERT INTO strategies (run_id, data) VALUES (?, ?)",
                            (run_id, R.dumps(R.to_jsonable(bundle.strategies or {}))))
                if bundle.model is not None:  # the model becomes visible with the run, never apart
                    self._write_model(cur, run_id, bundle.model)
                if comparison is not None:  # and so does the comparison with its baseline
                    self._write_comparison(cur, run_id, comparison)
                cur.execute("UPDATE runs SET status = 'complete', published_at = ? WHERE id = ?",
                            (R.utc_now_iso(), run_id))
                self._repoint_latest(cur)
        except InjectedFailure:
            raise  # a simulated crash cleans nothing up: that is what it tests
        except BaseException:
            self._try_delete(run_id)
            raise
        return run_id

    def _begin(self, run_id: str, bundle: RunBundle, replace: bool) -> None:
        """Write the run row as in progress (removing an earlier run of that id when `replace`)."""
        manifest = R.to_jsonable(bundle.manifest)
        created = R.run_created_at(bundle)
        series = validate_series(manifest["series"]) if manifest.get("series") is not None else None
        with self._tx() as cur:
            row = cur.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row and row[0] == "complete" and not replace:
                raise StoreError(f"run {run_id} is already published; delete it first or publish with replace")
            if row:
                self._delete_rows(cur, run_id)
                self._repoint_latest(cur)
            cur.execute(
                "INSERT INTO runs (id, status, created_at, created_key, started_at, manifest, series) "
                "VALUES (?, 'in_progress', ?, ?, ?, ?, ?)",
                (run_id, manifest.get("created_at", created), R.created_key(created), time.time(),
                 R.dumps(manifest), series),
            )

    def _insert(self, sql: str, rows: Iterator[tuple] | list[tuple], written: int) -> int:
        batch: list[tuple] = []

        def flush() -> None:
            nonlocal written
            allowed = self._writes_allowed(written, len(batch))
            with self._tx() as cur:
                cur.executemany(sql, batch[:allowed])
            written += allowed
            if allowed < len(batch):
                raise InjectedFailure(f"injected failure after {written} writes")
            batch.clear()

        for row in rows:
            batch.append(row)
            if len(batch) >= self.batch_rows:
                flush()
        if batch:
            flush()
        return written

    @staticmethod
    def _delete_rows(cur: sqlite3.Cursor, run_id: str) -> None:
        for table, col in (("members", "run_id"), ("map_points", "run_id"), ("personas", "run_id"),
                           ("strategies", "run_id"), ("models", "run_id"), ("comparisons", "run_id"),
                           ("runs", "id")):
            cur.execute(f"DELETE FROM {table} WHERE {col} = ?", (run_id,))

    @staticmethod
    def _repoint_latest(cur: sqlite3.Cursor) -> None:
        row = cur.execute(
            "SELECT id FROM runs WHERE status = 'complete' ORDER BY created_key DESC, id DESC LIMIT 1"
        ).fetchone()
        cur.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('latest', ?)", (row[0] if row else None,))

    def _try_delete(self, run_id: str) -> None:
        try:
            with self._tx() as cur:
                self._delete_rows(cur, run_id)
        except StoreError:
            pass  # left in progress: readers ignore it and cleanup_incomplete removes it

    def delete_run(self, run_id: str) -> bool:
        run_id = self.resolve_run_id(run_id)
        with self._tx() as cur:
            row = cur.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if not row:
                return False
            self._delete_rows(cur, run_id)
            self._repoint_latest(cur)
        return row[0] == "complete"

    def incomplete_run_ids(self) -> list[str]:
        return [r[0] for r in self._read("SELECT id FROM runs WHERE status = 'in_progress' ORDER BY id")]

    def cleanup_incomplete(self, older_than_s: float | None = None) -> list[str]:
        age = self.stale_after_s if older_than_s is None else older_than_s
        cutoff = time.time() - age
        rows = self._read("SELECT id FROM runs WHERE status = 'in_progress' AND started_at <= ?", (cutoff,))
        for (run_id,) in rows:
            with self._tx() as cur:
                self._delete_rows(cur, run_id)
        return [r[0] for r in rows]

    # -- reading -----------------------------------------------------------------------------
    def _complete(self, run_id: str) -> str:
        run_id = self.resolve_run_id(run_id)
        if not self._read("SELECT 1 FROM runs WHERE id = ? AND status = 'complete'", (run_id,)):
            raise RunNotFound(run_id)
        return run_id

    def list_runs(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        R.check_page(offset, limit)
        rows = self._read(
            "SELECT id, manifest FROM runs WHERE status = 'complete' "
            "ORDER BY created_key DESC, id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [R.run_summary(rid, json.loads(m), STORED) for rid, m in rows]

    def count_runs(self) -> int:
        return self._read("SELECT count(*) FROM runs WHERE status = 'complete'")[0][0]

    def get_run(self, run_id: str) -> dict[str, Any]:
        run_id = self.resolve_run_id(run_id)
        rows = self._read("SELECT manifest FROM runs WHERE id = ? AND status = 'complete'", (run_id,))
        if not rows:
            raise RunNotFound(run_id)
        return json.loads(rows[0][0])

    def latest_run_id(self) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = 'latest'")
        return rows[0][0] if rows else None

    def get_personas(self, run_id: str) -> list[dict[str, Any]]:
        run_id = self._complete(run_id)
        return [json.loads(p) for (p,) in self._read(
            "SELECT profile FROM personas WHERE run_id = ? ORDER BY id", (run_id,))]

    def get_persona(self, run_id: str, persona_id: int) -> dict[str, Any]:
        run_id = self._complete(run_id)
        rows = self._read("SELECT profile FROM personas WHERE run_id = ? AND id = ?", (run_id, int(persona_id)))
        if not rows:
            raise PersonaNotFound(persona_id)
        return json.loads(rows[0][0])

    def get_members(
        self, run_id: str, persona_id: int, offset: int = 0, limit: int = 50, query: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        R.check_page(offset, limit)
        run_id = self._complete(run_id)
        pid = int(persona_id)
        rows = self._read("SELECT n_members FROM personas WHERE run_id = ? AND id = ?", (run_id, pid))
        if not rows:
            raise PersonaNotFound(persona_id)
        if not query:
            total = rows[0][0]
            page = self._read(
                f"SELECT {MEMBER_COLS} FROM members WHERE run_id = ? AND persona_id = ? "
                "AND rank >= ? ORDER BY rank LIMIT ?",
                (run_id, pid, offset, limit),
            )
        else:
            needle = R.fold(query)
            where = "WHERE run_id = ? AND persona_id = ? AND instr(text_fold, ?) > 0"
            total = self._read(f"SELECT count(*) FROM members {where}", (run_id, pid, needle))[0][0]
            page = self._read(
                f"SELECT {MEMBER_COLS} FROM members {where} ORDER BY rank LIMIT ? OFFSET ?",
                (run_id, pid, needle, limit, offset),
            )
        return [_member_dict(pid, row) for row in page], total

    def get_map(self, run_id: str, limit: int = 5000) -> list[dict[str, Any]]:
        R.check_page(0, limit)
        run_id = self._complete(run_id)
        rows = self._read(
            f"SELECT member_id, persona_id, x, y, reassigned, text, {getattr(self, '_map_confidence', 'confidence')} "
            "FROM map_points "
            "WHERE run_id = ? ORDER BY map_order LIMIT ?",
            (run_id, limit),
        )
        return [{"member_id": m, "persona_id": p, "x": x, "y": y, "reassigned": bool(r), "text": t, "confidence": c}
                for m, p, x, y, r, t, c in rows]

    def get_strategies(self, run_id: str) -> dict[str, Any]:
        run_id = self._complete(run_id)
        rows = self._read("SELECT data FROM strategies WHERE run_id = ?", (run_id,))
        return json.loads(rows[0][0]) if rows else {}


def _member_rows(run_id: str, recs: list[dict[str, Any]]) -> Iterator[tuple]:
    rank, prev = 0, None
    for rec in recs:
        rank = rank + 1 if rec["persona_id"] == prev else 0
        prev = rec["persona_id"]
        extra = {k: v for k, v in rec.items() if k not in R.CORE_MEMBER_COLUMNS}
        yield (run_id, rec["persona_id"], rank, rec["member_id"], rec["distance"], int(rec["reassigned"]),
               rec["x"], rec["y"], rec["text"], R.fold(rec["text"]), R.dumps(extra))


def _member_dict(persona_id: int, row: tuple) -> dict[str, Any]:
    member_id, distance, reassigned, x, y, text, extra = row
    rec = {"member_id": member_id, "persona_id": persona_id, "distance": distance,
           "reassigned": bool(reassigned), "x": x, "y": y, "text": text}
    rec.update(json.loads(extra))
    return rec


class _Transaction:
    """`with` block running one IMMEDIATE transaction; sqlite errors become StoreError."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn, self.path = conn, path

    def __enter__(self) -> sqlite3.Cursor:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc
        return self.conn.cursor()

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as err:
                self.conn.execute("ROLLBACK")
                raise StoreError(f"SQLite store {self.path}: {err}") from err
            return False
        self.conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc
        return False
