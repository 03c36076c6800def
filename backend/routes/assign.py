"""Assign new conversations (or, for an event run, new users' event rows) to a run's saved model.

The posted conversations become the pipeline's canonical message frame (docs/CONTRACTS.md §1) through
`ml.ingest.records.messages_from_records` and go through `PersonaModel.predict_many`, which embeds and
featurizes exactly as the pipeline did; the model comes from the store (`backend.deps.ModelRegistry`).
An event run (`manifest.kind == "events"`) takes `{"events": [...]}` instead (see `assign_events`).

The route validates the request, resolves the run and its model in the thread pool, then puts the posted
records on the run's bounded queue (`backend.assign_queue`; a full queue answers 429 with Retry-After).
The frame, features, encoding and placement happen in the assign worker process
(`ml.runtime.assign_batch`, texts of concurrent requests encoded together); this process turns the
returned `Placement` rows into the answer.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from backend.assign_queue import QueuesDep, wait_for_result
from backend.deps import CacheDep, ModelsDep, SettingsDep, StoreDep
from backend.errors import APIError
from backend.routes.assign_events import (
    CONVERSATIONS_BODY,
    EVENTS_BODY,
    check_event_rows,
    events_to_frame,
    user_items,
)
from backend.routes.common import RunIdPath, errors, resolve_run
from backend.schemas import Assignment, AssignRequest, AssignResponse, Conversation, EventAssignResponse
from ml.runtime.assign_batch import Placement, RecordsError, conversation_frame

router = APIRouter(prefix="/runs/{run_id}", tags=["assign"])
log = logging.getLogger("backend")


def conversations_to_frame(conversations: list[Conversation]) -> pd.DataFrame:
    """Posted conversations → the canonical message frame, by `ml.ingest.records.messages_from_records`: the
    pipeline's own canonicalisation (entities decoded, ids normalised, timestamps read as ingest reads
    them, thread roots from reply links), as the assign worker process builds it. Raises APIError(422)
    naming the field, e.g. `conversations.1.timestamp`; conversations without an id get
    `conversations:<n>` (n from 1).
    """
    try:
        return conversation_frame([c.model_dump() for c in conversations])
    except RecordsError as exc:
        raise APIError(422, "invalid_request", str(exc)) from exc


def _check_request(body: AssignRequest, max_batch: int, max_chars: int) -> None:
    assert body.conversations is not None
    n = len(body.conversations)
    if n > max_batch:
        raise APIError(413, "too_many_conversations",
                       f"conversations: {n} in one call, the limit is {max_batch}; split the batch")
    for i, conv in enumerate(body.conversations):
        if not conv.text.strip():
            raise APIError(422, "invalid_request", f"conversations.{i}.text: empty; send the message text")
        if len(conv.text) > max_chars:
            raise APIError(422, "invalid_request",
                           f"conversations.{i}.text: {len(conv.text)} characters, the limit is {max_chars}")


def _to_items(rows: list[Placement], conversations: list[Conversation], names: dict[int, str]) -> list[Assignment]:
    """One Assignment per posted conversation, from the worker's rows (in posted order)."""
    if len(rows) != len(conversations):
        raise APIError(500, "internal_error", "the persona model returned a different number of rows")
    return [Assignment(index=i, id=conv.id, persona_id=row.persona_id, persona_name=names.get(row.persona_id),
                       distance=row.distance if math.isfinite(row.distance) else None,
                       would_be_noise=row.would_be_noise, novel=row.novel)
            for i, (conv, row) in enumerate(zip(conversations, rows))]


def _novelty_share(items: list[Assignment]) -> float | None:
    flags = [i.novel for i in items]
    return None if not flags or any(f is None for f in flags) else round(sum(flags) / len(flags), 4)


def _check_body_kind(body: AssignRequest, run_id: str, events_run: bool) -> None:
    """422 when the body's form does not fit the run: `events` for an event run, else `conversations`."""
    if events_run and body.events is None:
        sent = "the body sends conversations, but " if body.conversations is not None else ""
        raise APIError(422, "invalid_request",
                       f"events: {sent}run {run_id!r} was made from event logs and assigns users from their "
                       f"event rows; send {EVENTS_BODY}")
    if not events_run and body.conversations is None:
        sent = "the body sends events, but " if body.events is not None else ""
        raise APIError(422, "invalid_request",
                       f"conversations: {sent}run {run_id!r} was made from conversations; send {CONVERSATIONS_BODY}")


@dataclass
class _Prepared:
    """A validated request, ready for the queue: the run, its model and what to assign (the posted
    conversation records, or an event run's frame)."""

    run_id: str
    model: Any
    payload: Any
    weight: int
    names: dict[int, str]
    events_run: bool


def _persona_names(store, resolved: str) -> dict[int, str]:
    return {int(p["id"]): str(p.get("name") or "") for p in store.get_personas(resolved)}


def _prepare(run_id: str, body: AssignRequest, store, models, settings, cache) -> _Prepared:
    """Validate, resolve the run and load its model (blocking: run in a thread). Conversations are
    forwarded as posted records: their frame is built where they are assigned, or here when the run or
    its model cannot be had (a bad body is a 422 before anything about the run). The persona names
    come from the read cache (decoding every persona per request cost more than the rest)."""
    if body.conversations is not None and body.events is not None:
        raise APIError(422, "invalid_request", "body: send either conversations or events, not both")
    if body.conversations is not None:
        _check_request(body, settings.max_assign_batch, settings.max_text_chars)
    if body.events is not None:
        check_event_rows(body.events, settings.max_assign_events)
    try:
        resolved = resolve_run(store, run_id)
        manifest = store.get_run(resolved)
        events_run = models.is_events(resolved, manifest, store)
        _check_body_kind(body, resolved, events_run)
        model = models.get(resolved, manifest, store)
    except Exception:
        if body.conversations is not None:
            conversations_to_frame(body.conversations)  # raises the records' 422, if any
        raise
    names = cache.get_or_load(("assign-names", resolved), lambda: _persona_names(store, resolved))
    if events_run:
        assert body.events is not None
        frame = events_to_frame(body.events, getattr(model, "assume_year", None))
        return _Prepared(resolved, model, frame, int(frame["user"].nunique()), names, True)  # a user ≈ a text
    assert body.conversations is not None
    records = [c.model_dump() for c in body.conversations]
    return _Prepared(resolved, model, records, len(records), names, False)


@router.post("/assign", response_model=AssignResponse | EventAssignResponse,
             responses=errors(400, 404, 409, 413, 429, 503),
             summary="Assign new conversations (or, for an event run, new users' events) to the run's personas",
             description="A conversation run takes `conversations` and answers one item per conversation; an "
                         "event run (`kind: events`) takes `events` (one row per user and event) and answers "
                         "one item per user. Requests wait on a bounded queue in front of the run's model: "
                         "429 with `Retry-After` when it is full, 503 with `Retry-After` when a request "
                         "waited longer than `PERSONAS_ASSIGN_MAX_WAIT_S`.")
async def assign(run_id: RunIdPath, body: AssignRequest, store: StoreDep, models: ModelsDep,
                 settings: SettingsDep, queues: QueuesDep, cache: CacheDep) -> AssignResponse | EventAssignResponse:
    queues.admit(run_id, len(body.conversations or ()))  # a full queue refuses before any parsing (429)
    job = await run_in_threadpool(_prepare, run_id, body, store, models, settings, cache)
    batcher = queues.for_model(job.run_id, job.model, events=job.events_run)
    future = batcher.submit(job.payload, job.weight)
    if job.events_run:
        assert body.events is not None
        try:
            result = await wait_for_result(batcher, future, settings.assign_max_wait_s, job.weight)
        except (ValueError, KeyError) as exc:  # ml.runtime.errors.InputError is a ValueError
            raise APIError(422, "invalid_request", f"events: {exc}") from exc
        kept = set(getattr(getattr(job.model, "matrix", None), "events_", None) or ())
        ignored = sorted(set(job.payload["event"]) - kept)[:50] if kept else []
        return EventAssignResponse(run_id=job.run_id, items=user_items(result, job.payload, job.names),
                                   ignored_events=ignored)
    assert body.conversations is not None
    try:
        rows = await wait_for_result(batcher, future, settings.assign_max_wait_s, job.weight)
    except RecordsError as exc:  # the posted records (e.g. an unreadable timestamp), named by field
        raise APIError(422, "invalid_request", str(exc)) from exc
    except ValueError as exc:
        raise APIError(422, "invalid_request", f"conversations: {exc}") from exc
    items = _to_items(rows, body.conversations, job.names)
    return AssignResponse(run_id=job.run_id, items=items, novelty_share=_novelty_share(items))
