"""English Snowball stems (the ``snowballstemmer`` package), cached: "flight"/"flights", "charge"/"charged"
share a stem, so a name never repeats a word in two forms."""

from __future__ import annotations

from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Lower-cased Snowball stem of one word."""
    return _STEMMER.stemWord(word.lower())
