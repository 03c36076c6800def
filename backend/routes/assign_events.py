"""Assign new users of an event run (`manifest.kind == "events"`) from their posted event rows.

The rows become the frame `ml.events.model.EventRunModel.predict` reads (`user`, `event`, `count`,
and `time` / `group` when given), which builds each user's row with the run's fitted matrix (same
window, event types, weighting, scaling) and places it with the run's NMF components fixed.
Event requests wait on the same bounded per-run queue as conversations (`backend.assign_queue`:
429 when full, 503 past the deadline) and are predicted one request at a time, never merged, so
the same user id in two calls stays two users.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backend.errors import APIError
from backend.schemas import EventRow, UserAssignment

EVENTS_BODY = '{"events": [{"user", "event", "count"?, "time"?, "group"?}]}'
CONVERSATIONS_BODY = '{"conversations": [{"text", "author"?, "timestamp"?, "id"?, "reply_to"?, "inbound"?}]}'


def check_event_rows(events: list[EventRow], max_rows: int) -> None:
    """413 over the row limit; 422 naming the first row whose user or event is blank."""
    if len(events) > max_rows:
        raise APIError(413, "too_many_events",
                       f"events: {len(events)} rows in one call, the limit is {max_rows}; split the batch by user")
    for i, row in enumerate(events):
        if isinstance(row.user, str) and not row.user.strip():
            raise APIError(422, "invalid_request", f"events.{i}.user: empty; send the user's id")
        if not row.event.strip():
            raise APIError(422, "invalid_request", f"events.{i}.event: empty; send the event name")


def events_to_frame(events: list[EventRow], assume_year: int | None = None) -> pd.DataFrame:
    """Posted rows → `user`, `event`, `count` (default 1), plus `time` / `group` when any row has them.

    Raises APIError(422) naming the first time that `ml.events.timecol.parse_event_times` cannot read
    (with the run's `assume_year`, so yearless Moodle times like "11 May, 09:44" are accepted).
    """
    from ml.events.timecol import parse_event_times

    frame = pd.DataFrame({
        "user": [str(e.user).strip() for e in events],
        "event": [e.event.strip() for e in events],
        "count": np.array([1.0 if e.count is None else float(e.count) for e in events], dtype=np.float64),
    })
    if any(e.time is not None for e in events):
        times = pd.Series([e.time for e in events], dtype=object)
        bad = np.flatnonzero(parse_event_times(times, assume_year)[0]["bad"].to_numpy())
        if len(bad):
            i = int(bad[0])
            raise APIError(422, "invalid_request",
                           f"events.{i}.time: cannot read {times[i]!r}; use an ISO 8601 timestamp, a date, "
                           "epoch seconds or a day offset, as in the run's data")
        frame["time"] = times
    if any(e.group is not None for e in events):
        frame["group"] = [e.group for e in events]
    return frame


def user_items(result: pd.DataFrame, frame: pd.DataFrame, names: dict[int, str]) -> list[UserAssignment]:
    """One item per distinct posted user, in first-seen order; a user with no event of the run's
    kept types gets persona_id None (their margin is 0, nothing places them)."""
    by_user = result.set_index(result["member_id"].astype(str))
    items = []
    for user in pd.unique(frame["user"]):
        if user not in by_user.index:
            raise APIError(500, "internal_error", "the persona model returned no row for a posted user")
        row = by_user.loc[user]
        n_events = float(row["n_events"])
        placed = n_events > 0
        pid = int(row["persona_id"]) if placed else None
        distance, margin = float(row["distance"]), float(row["margin"])
        items.append(UserAssignment(
            user=str(user), persona_id=pid, persona_name=names.get(pid) if pid is not None else None,
            distance=distance if placed and np.isfinite(distance) else None,
            margin=margin if placed and np.isfinite(margin) else None,
            would_be_noise=bool(row["would_be_noise"]) or not placed, n_events=n_events))
    return items
