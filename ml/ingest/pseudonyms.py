"""Pseudonyms for authors whose export names them by an address, a name or a phone number (mailboxes, WhatsApp
chats, a help desk's "Requester" column), so no address, name or number reaches a run's files.

``pseudonym(prefix, value)`` → ``prefix`` and 10 hex digits of a hash of ``value``: SHA-1 by default, the same
on every machine, so runs made anywhere can be compared author by author (lineage's movers); with
``PERSONAS_PSEUDONYM_KEY`` set, HMAC-SHA-256 under that key, so that whoever holds a run's files cannot
confirm a guessed address by hashing it. Every machine whose runs are compared needs the same key; runs made
with and without one do not share authors. ``keyed()`` says which is in use (the load report records it).
``author_pseudonyms(series)`` applies them to any file's author column (below).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

import pandas as pd

KEY_VARIABLE = "PERSONAS_PSEUDONYM_KEY"


def keyed() -> bool:
    return bool(os.environ.get(KEY_VARIABLE))


def pseudonym(prefix: str, value: str) -> str:
    data = value.encode("utf-8")
    key = os.environ.get(KEY_VARIABLE)
    digest = hmac.new(key.encode("utf-8"), data, hashlib.sha256).hexdigest() if key else hashlib.sha1(data).hexdigest()
    return prefix + digest[:10]


#: an e-mail address inside an author value ("Maria Gonzalez <maria@example.com>", "maria@example.com")
ADDRESS_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
#: a phone number written as one ("+44 7700 900123", "+1-312-555-0142"); ids of digits alone stay ids
PHONE_RE = re.compile(r"^\+[\d\s().-]{7,}$")


def author_pseudonyms(authors: pd.Series) -> tuple[pd.Series, int]:
    """One file's author column with personal names, e-mail addresses and phone numbers replaced by pseudonyms,
    and how many distinct values were replaced.

    - a value holding an e-mail address: ``em-`` of the address in lower case, as a mailbox's sender
      (``ml.ingest.mail``), so one customer is one author across a help desk's CSV and a mailbox;
    - a phone number written with its ``+``: ``au-`` of the value;
    - a value with a space between two words ("Maria Gonzalez"): ``au-`` of the value as written; in a column where
      most distinct values have one, every value ("Cher" too): the column names people. Ids and handles hold no
      space (TWCS's numbers, the airline dump's screen names, Slack's ids) and are kept as the export writes them;
      the airline dump's one screen name with a space ("kgLate Flightshow10", its "late" → "Late Flight" artefact)
      goes alone.
    ``authors``: stripped strings or None (``ml.ingest.columns.normalize_ids``); None stays None, and a value that
    is already a pseudonym (``em-``/``wa-``/``au-`` and 10 hex digits) is kept."""
    distinct = [v for v in pd.unique(authors.dropna()) if isinstance(v, str)]  # ml.ingest.columns.normalize_ids
    spaced = {v for v in distinct if _NAME_RE.search(v)}
    names = 2 * len(spaced) > len(distinct)
    table = {v: p for v in distinct if (p := _author_pseudonym(v, names or v in spaced)) is not None}
    if not table:
        return authors, 0
    out = [table.get(a, a) if isinstance(a, str) else a for a in authors]
    return pd.Series(out, index=authors.index, dtype=object), len(table)


_NAME_RE = re.compile(r"[^\W\d_]\w*\.?\s+[^\W\d_]")  # a word, a space, a word: "Maria Gonzalez", "J. Smith"
_PSEUDONYM_RE = re.compile(r"^(?:em|wa|au)-[0-9a-f]{10}$")


def _author_pseudonym(value: str, names: bool) -> str | None:
    """``value``'s pseudonym under ``author_pseudonyms``'s rules, or None when it is kept as written."""
    if not value or _PSEUDONYM_RE.match(value):
        return None
    address = ADDRESS_RE.search(value)
    if address:
        return pseudonym("em-", address.group(0).lower())
    if names or PHONE_RE.match(value):
        return pseudonym("au-", value)
    return None
