"""Vectorised text helpers shared by the filter stages (pandas ``str`` methods, no per-row Python).

In: a pandas Series of raw texts. Out: a Series of the same index (normalised keys, skeletons, counts).
"""

from __future__ import annotations

import re

import pandas as pd

URL_RE = r"(?:https?://|www\.)\S+"
# "@x" / "#x" not preceded by a word character or another "@" / "#". The look-behind sits after the literal
# so that `re` jumps from one "@" to the next instead of testing the look-behind at every position (4x faster;
# the same matches as "(?<![\w@])@\w+").
HANDLE_RE = r"@(?<![\w@]@)\w+"
HASHTAG_RE = r"#(?<![\w#]#)\w+"
WORD_RE = r"[^\W\d_]+(?:['’][^\W\d_]+)?"
# Agent signatures brands append ("^KN", "-KC", "~Becky"): masked in skeletons.
SIGNATURE_RE = r"(?:\^[A-Za-z]{1,4}\b|\s[-–—~*]\s?[A-Z][A-Za-z]{0,11}\s*$)"
ID_TOKEN_RE = r"\b[\w-]*\d[\w-]*\b"
LATIN_LETTER_RE = r"[A-Za-z\u00C0-\u024F]"
LETTER_RE = r"[^\W\d_]"

_SKELETON_MASK = re.compile(rf"{URL_RE}|{HANDLE_RE}|{SIGNATURE_RE}|{ID_TOKEN_RE}")


def as_text(texts: pd.Series) -> pd.Series:
    """Texts as str with missing values as ""."""
    return texts.fillna("").astype(str)


def collapse_spaces(texts: pd.Series) -> pd.Series:
    """Whitespace runs as one space, none at the ends: ``re.sub(r"\\s+", " ", t).strip()`` (``str.split``
    splits on the same characters as ``\\s``), 4x faster."""
    return pd.Series([" ".join(t.split()) for t in texts.tolist()], index=texts.index, dtype=texts.dtype)


def strip_handles_urls(texts: pd.Series) -> pd.Series:
    """Remove URLs and @handles, collapse whitespace."""
    out = as_text(texts).str.replace(URL_RE, " ", regex=True).str.replace(HANDLE_RE, " ", regex=True)
    return collapse_spaces(out)


def normalize(texts: pd.Series) -> pd.Series:
    """Duplicate key: lowercase, no URLs/@handles, digits -> 0, punctuation/whitespace runs -> one space."""
    out = as_text(texts).str.lower()
    out = out.str.replace(URL_RE, " ", regex=True).str.replace(HANDLE_RE, " ", regex=True)
    out = out.str.replace(r"\d", "0", regex=True)
    return out.str.replace(r"[\W_]+", " ", regex=True).str.strip()


def skeleton(texts: pd.Series) -> pd.Series:
    """Template skeleton: URLs, handles, signatures, tokens with digits masked; lowercase; one space."""
    out = as_text(texts).str.replace(URL_RE, " <url> ", regex=True)
    out = out.str.replace(HANDLE_RE, " <h> ", regex=True).str.replace(SIGNATURE_RE, " <sig> ", regex=True)
    return collapse_spaces(out.str.replace(ID_TOKEN_RE, " <n> ", regex=True).str.lower())


def fillers(texts: pd.Series) -> pd.Series:
    """The parts a skeleton masks (handles, URLs, numbers, signatures), joined: templates vs copies."""
    return as_text(texts).str.findall(_SKELETON_MASK).str.join(" ")


def word_count(texts: pd.Series) -> pd.Series:
    """Number of words (runs of letters) in each text."""
    return as_text(texts).str.count(WORD_RE)
