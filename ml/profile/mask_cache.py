"""On-disk cache of masked texts, so a re-run never runs the name detector on a text twice.

``MaskCache(folder)`` is a SQLite file ``pii-<version>.sqlite`` in ``folder`` (default: the embedding
cache's folder, ``PERSONAS_CACHE_DIR`` or ``~/.cache/personas``) mapping ``sha1(text)`` to the text with
names, numbers and addresses masked (handles are masked afterwards, per run, because which handles are
brands depends on the data). Only masked text is stored, never the raw text. ``version`` names the masker's
rules: a change of rules uses a new file. ``MaskCache("")`` is a cache that stores nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

__all__ = ["MaskCache"]


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class MaskCache:
    """``get(texts)`` → cached masked texts (None where missing); ``put(texts, masked)`` stores them."""

    def __init__(self, folder: str | Path | None, version: str):
        if folder is None:
            from ml.features.embed import default_cache_dir

            folder = default_cache_dir()
        self.path = None if folder == "" else Path(folder) / f"pii-{version}.sqlite"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("CREATE TABLE IF NOT EXISTS masked (key TEXT PRIMARY KEY, text TEXT NOT NULL)")
        return con

    def get(self, texts: Sequence[str]) -> list[str | None]:
        if self.path is None or not self.path.exists() or not texts:
            return [None] * len(texts)
        keys = [_key(t) for t in texts]
        found: dict[str, str] = {}
        with self._connect() as con:
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                rows = con.execute(f"SELECT key, text FROM masked WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                found.update(rows.fetchall())
        con.close()
        return [found.get(k) for k in keys]

    def put(self, texts: Sequence[str], masked: Sequence[str]) -> None:
        if self.path is None or not texts:
            return
        try:
            con = self._connect()
            with con:
                con.executemany("INSERT OR REPLACE INTO masked VALUES (?, ?)",
                                [(_key(t), m) for t, m in zip(texts, masked)])
            con.close()
        except sqlite3.Error:  # a read-only or full cache folder must not fail a run: masking is redone
            pass
