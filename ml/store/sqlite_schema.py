"""The SQLite store's tables and URL form (used by ``ml.store.sqlite.SqliteStore``)."""

from __future__ import annotations

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
"""

SCHEMA_VERSION = "1"
MEMBER_COLS = "member_id, distance, reassigned, x, y, text, extra"


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
