"""Pseudonyms for authors whose export names them by an address or a name (mailboxes, WhatsApp chats), so no
address or name reaches a run's files.

``pseudonym(prefix, value)`` → ``prefix`` and 10 hex digits of a hash of ``value``: SHA-1 by default, the same
on every machine, so runs made anywhere can be compared author by author (lineage's movers); with
``PERSONAS_PSEUDONYM_KEY`` set, HMAC-SHA-256 under that key, so that whoever holds a run's files cannot
confirm a guessed address by hashing it. Every machine whose runs are compared needs the same key; runs made
with and without one do not share authors. ``keyed()`` says which is in use (the load report records it).
"""

from __future__ import annotations

import hashlib
import hmac
import os

KEY_VARIABLE = "PERSONAS_PSEUDONYM_KEY"


def keyed() -> bool:
    return bool(os.environ.get(KEY_VARIABLE))


def pseudonym(prefix: str, value: str) -> str:
    data = value.encode("utf-8")
    key = os.environ.get(KEY_VARIABLE)
    digest = hmac.new(key.encode("utf-8"), data, hashlib.sha256).hexdigest() if key else hashlib.sha1(data).hexdigest()
    return prefix + digest[:10]
