"""What every contract model shares: unknown fields are refused, one term shape, the run kinds, run ids.

Documents written by earlier versions lack fields added since; those fields are optional with
defaults, so runs already in a store still load. ``kind_of`` tells the two run kinds apart in
documents written before ``kind`` was recorded everywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag
from pydantic.config import ExtraValues

RunKind = Literal["conversations", "events"]
RUN_KINDS: tuple[str, ...] = ("conversations", "events")
#: The unit of every event run (conversation runs use message, conversation or author).
EVENT_UNIT = "user"


#: how the API reads a stored document: fields this version does not know are left out, so that a run published by
#: a newer pipeline (a roll-out updates the pipeline and the API apart) is served, not a 500 "Extra inputs are not
#: permitted" (a deployment review, 2026-12-05). What the pipeline writes is still checked strictly.
STORED: ExtraValues = "ignore"


class Contract(BaseModel):
    """Base of every contract model: an unknown field is an error, never silently kept or dropped."""

    model_config = ConfigDict(extra="forbid")


class Term(Contract):
    """A top term or n-gram (for event runs: an event name): the one shape everywhere."""

    term: str
    weight: float | None = Field(None, description="Its distinctiveness (c-TF-IDF, or the event's share of the "
                                                   "persona's NMF component for event runs); None when unknown.")
    written: str | None = Field(
        None, description="How the persona's members write it, as its name and description do: capitals, "
                          "apostrophes and the stop words the vocabulary dropped put back (\"card isn't working\" "
                          "for \"card working\", \"ATM\" for \"atm\"); None when that is the term itself, or for "
                          "runs made before it existed and event runs.")


def kind_of(document: Any) -> str:
    """``"conversations"`` or ``"events"`` for a stored manifest, summary or persona (a dict or a model).

    The recorded ``kind`` when there is one; otherwise an event document is recognised by what only event
    runs write (unit ``user``, ``top_events``), anything else is a conversation run's.
    """
    if not isinstance(document, dict):
        return getattr(document, "kind", "conversations")
    kind = document.get("kind")
    if kind in RUN_KINDS:
        return kind
    if kind is not None:
        return str(kind)  # an unknown kind: validation names it
    return "events" if document.get("unit") == EVENT_UNIT or "top_events" in document else "conversations"


def by_kind(conversations: type, events: type) -> Any:
    """The union of a conversation run's model and an event run's, told apart by ``kind_of``."""
    return Annotated[Annotated[conversations, Tag("conversations")] | Annotated[events, Tag("events")],
                     Discriminator(kind_of)]


def with_kind(document: Any) -> Any:
    """``document`` with its ``kind`` filled in (a copy; non-dicts are returned as they are)."""
    if isinstance(document, dict) and "kind" not in document:
        return {**document, "kind": kind_of(document)}
    return document


def new_run_id(config: dict[str, Any], paths: Iterable[Any], now: datetime | None = None) -> str:
    """A run id: UTC time of the run and a short digest of its config, inputs and time
    (``20260130T164639Z-3fa2c1``; sorts by time, matches the store's run-id pattern)."""
    now = now or datetime.now(UTC)
    text = json.dumps(config, sort_keys=True, default=str) + "|".join(map(str, paths)) + now.isoformat()
    return f"{now:%Y%m%dT%H%M%SZ}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"


def utc_now() -> str:
    """ISO time of now in UTC, to the second (a manifest's ``created_at``)."""
    return datetime.now(UTC).isoformat(timespec="seconds")
