"""The SQLite store's tables, their migration and URL form (used by ``ml.store.sqlite.SqliteStore``).

Version "1" files grow additively: ``migrate`` adds what later code needs to a file made before it
(the map points' ``confidence`` column, the ``models`` table, the runs' ``series`` column and the
``comparisons`` table) and says what a read-only file lacks.
"""

from __future__ import annotations

import sqlite3

#: One row per run with a stored persona model: the joblib file's bytes, checked on read by sha256.
MODELS_TABLE = """
CREATE TABLE IF NOT EXISTS models (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL
);
"""

#: One row per run stored with a comparison (ml.store.series): the headline for series histories, the document.
COMPARISONS_TABLE = """
CREATE TABLE IF NOT EXISTS comparisons (
    run_id TEXT PRIMARY KEY,
    base_run_id TEXT NOT NULL,
    headline TEXT NOT NULL,
    data TEXT NOT NULL
);
"""
#: Runs of a series, in order (the `series` column is added by `migrate`, to old and new files alike).
SERIES_INDEX = "CREATE INDEX IF NOT EXISTS runs_by_series ON runs (series, status, created_key, id);"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'complete')),
    created_at TEXT,
    created_key TEXT NOT NULL,
    started_at REAL NOT NULL,
    published_at TEXT,
    manifest TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_status_created ON runs (status, created_key DESC, id DESC);
CREATE TABLE IF NOT EXISTS personas (
    run_id TEXT NOT NULL,
    id INTEGER NOT NULL,
    n_members INTEGER NOT NULL,
    profile TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (
    run_id TEXT NOT NULL,
    persona_id INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    distance REAL,
    reassigned INTEGER NOT NULL,
    x REAL,
    y REAL,
    text TEXT,
    text_fold TEXT NOT NULL,
    extra TEXT NOT NULL,
    PRIMARY KEY (run_id, persona_id, rank)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS map_points (
    run_id TEXT NOT NULL,
    map_order INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    persona_id INTEGER NOT NULL,
    x REAL,
    y REAL,
    reassigned INTEGER NOT NULL,
    text TEXT,
    confidence REAL,
    PRIMARY KEY (run_id, map_order)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS strategies (run_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
""" + MODELS_TABLE

SCHEMA_VERSION = "1"
MEMBER_COLS = "member_id, distance, reassigned, x, y, text, extra"


def migrate(conn: sqlite3.Connection) -> dict[str, bool]:
    """Bring a version-"1" file up to date: the map points' nullable `confidence` column (old runs read
    None), the `models` table (old runs have no stored model), the runs' `series` column and the
    `comparisons` table (old runs belong to no series and have no comparison). Returns which of them the
    file has afterwards; a read-only file keeps what it had and its readers do without the rest."""
    has = {}
    columns = {row[1] for row in conn.execute("PRAGMA table_info(map_points)")}
    has["confidence"] = "confidence" in columns
    if not has["confidence"]:
        has["confidence"] = _try(conn, "ALTER TABLE map_points ADD COLUMN confidence REAL")
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'models'").fetchone()
    has["models"] = bool(found) or _try(conn, MODELS_TABLE)
    run_columns = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    has["series"] = "series" in run_columns or _try(conn, "ALTER TABLE runs ADD COLUMN series TEXT")
    if has["series"]:
        _try(conn, SERIES_INDEX)
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'comparisons'").fetchone()
    has["comparisons"] = bool(found) or _try(conn, COMPARISONS_TABLE)
    return has


def _try(conn: sqlite3.Connection, sql: str) -> bool:
    try:
        conn.executescript(sql)
    except sqlite3.Error:  # e.g. a read-only file
        return False
    return True


def parse_sqlite_url(url: str) -> str:
    """`sqlite:///rel/path.db`, `sqlite:////abs/path.db` (SQLAlchemy style), `sqlite:///:memory:`,
    or a bare path → the database path (':memory:' for an in-memory database)."""
    if url.startswith("sqlite://"):
        path = url[len("sqlite://") :]
        path = path.removeprefix("/")
        if not path:
            raise ValueError(f"store URL {url!r} has no path: use sqlite:///path/to/personas.db")
        return path
    return url
