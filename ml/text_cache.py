"""Content-addressed on-disk caches of per-text results, so a re-run never redoes per-text work.

``TextCache(folder, kind, version)`` is a SQLite file ``<kind>-<version>.sqlite`` in ``folder`` (None: the
embedding cache's folder, ``PERSONAS_CACHE_DIR`` or ``~/.cache/personas``) mapping ``sha1(text)`` to a
result stored as text; the raw text itself is never stored. ``version`` names whatever decides the result
(rules, model, settings): a change uses a new file. ``folder=""`` is a cache that stores nothing. A cache
folder that is read-only or full never fails a run: the work is simply redone.

Used by ``ml.profile.mask_cache`` (masked texts) and ``ml.filtering.language`` (language scores).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["TextCache", "default_cache_dir"]


def default_cache_dir() -> Path:
    """``PERSONAS_CACHE_DIR``, else ``~/.cache/personas``: the folder of every per-text cache (embeddings too)."""
    env = os.environ.get("PERSONAS_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "personas"


@contextmanager
def cache_dir_env(folder: str | Path) -> Iterator[None]:
    """``PERSONAS_CACHE_DIR`` set to ``folder`` for the block (child processes started in it inherit it), then
    restored as it was (unset if it was unset)."""
    saved = os.environ.get("PERSONAS_CACHE_DIR")
    os.environ["PERSONAS_CACHE_DIR"] = str(folder)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PERSONAS_CACHE_DIR", None)
        else:
            os.environ["PERSONAS_CACHE_DIR"] = saved


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class TextCache:
    """``get(texts)`` → cached values (None where missing); ``put(texts, values)`` stores them."""

    def __init__(self, folder: str | Path | None, kind: str, version: str, table: str = "entries"):
        if folder is None:
            folder = default_cache_dir()
        self.path = None if folder == "" else Path(folder) / f"{kind}-{version}.sqlite"
        self.table = table

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        con.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (key TEXT PRIMARY KEY, text TEXT NOT NULL)")
        return con

    def get(self, texts: Sequence[str]) -> list[str | None]:
        if self.path is None or not self.path.exists() or not texts:
            return [None] * len(texts)
        keys = [text_key(t) for t in texts]
        found: dict[str, str] = {}
        try:
            con = self._connect()
            with con:
                for i in range(0, len(keys), 500):
                    chunk = keys[i:i + 500]
                    rows = con.execute(f"SELECT key, text FROM {self.table} WHERE key IN "
                                       f"({','.join('?' * len(chunk))})", chunk)
                    found.update(rows.fetchall())
            con.close()
        except sqlite3.Error:  # an unreadable cache is an empty one
            return [None] * len(texts)
        return [found.get(k) for k in keys]

    def put(self, texts: Sequence[str], values: Sequence[str]) -> None:
        if self.path is None or not texts:
            return
        try:
            con = self._connect()
            with con:
                con.executemany(f"INSERT OR REPLACE INTO {self.table} VALUES (?, ?)",
                                [(text_key(t), v) for t, v in zip(texts, values, strict=True)])
            con.close()
        except (sqlite3.Error, OSError):  # a read-only or full cache folder must not fail a run
            pass
