"""On-disk cache of masked texts, so a re-run never runs the name detector on a text twice.

``MaskCache(folder, version)`` is a SQLite file ``pii-<version>.sqlite`` in ``folder`` (default: the embedding
cache's folder, ``PERSONAS_CACHE_DIR`` or ``~/.cache/personas``) mapping ``sha1(text)`` to the text with
names, numbers and addresses masked (handles are masked afterwards, per run, because which handles are
brands depends on the data). Only masked text is stored, never the raw text. ``version`` names the masker's
rules: a change of rules uses a new file. ``MaskCache("")`` is a cache that stores nothing. The storage is
``ml.text_cache.TextCache``.
"""

from __future__ import annotations

from pathlib import Path

from ml.text_cache import TextCache

__all__ = ["MaskCache"]


class MaskCache(TextCache):
    """``get(texts)`` → cached masked texts (None where missing); ``put(texts, masked)`` stores them."""

    def __init__(self, folder: str | Path | None, version: str):
        super().__init__(folder, "pii", version, table="masked")
