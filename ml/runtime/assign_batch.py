"""Assign a batch of posted requests to a run's persona model: the whole of `POST /runs/{id}/assign`
after validation, in whichever process runs it (the API's assign worker process, or a thread).

In: the run's model (`PersonaModel`, or anything with `predict_many(frames)` / `predict(frame)`) and
one list of conversation records per request (the posted JSON objects: `text`, and when known `id`,
`author`, `timestamp`, `reply_to`, `inbound`). Out: one outcome per request, in order: `("ok",
[Placement, ...])` with one `Placement` per posted conversation in posted order, or `("error",
exception)` for that request alone (`RecordsError` for records that cannot become the canonical frame:
the API answers 422 with its message).

Each request's records become the pipeline's canonical message frame
(`ml.ingest.records.messages_from_records`); the frames of all requests go through one
`predict_many` call (one embedding pass; behavioral features per request, so each result equals that
request alone; with the run's member sample each request's texts are also judged novel or not as one batch,
`ml.lineage.neighbourhood`, as `python -m ml.assign` judges its input). If that call fails, each request is predicted alone so one bad request does not fail
the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ml.runtime.errors import InputError

#: The posted conversation's fields, by the ingest mapping's names (ml.ingest.load.ColumnMapping).
CONVERSATION_FIELDS = {"text": "text", "id": "id", "author": "author", "timestamp": "timestamp",
                       "reply_to": "reply_to", "inbound": "inbound"}

Outcome = tuple[str, Any]  # ("ok", value) or ("error", exception)


class RecordsError(InputError):
    """Posted records that cannot become the canonical message frame (the message names the field,
    e.g. `conversations.1.timestamp`)."""


class Placement(NamedTuple):
    """Where one posted conversation was placed; ``novel`` None when the model keeps no member sample."""

    persona_id: int
    distance: float
    would_be_noise: bool
    novel: bool | None = None


def novelty_quantile(model: Any) -> float | None:
    """The quantile at which a posted batch's texts are judged novel (``ml.lineage.config.LineageConfig``'s
    default, as ``python -m ml.assign`` without ``--config``); None for a model without the run's member sample
    (saved before it, an event run, a test double)."""
    if getattr(model, "novelty", None) is None:
        return None
    from ml.lineage.config import LineageConfig

    return LineageConfig().novelty_quantile


def conversation_frame(records: list[dict]) -> pd.DataFrame:
    """Posted conversation records → the canonical message frame; raises `RecordsError` naming the
    field. Records without an id get `conversations:<n>` (n from 1)."""
    from ml.ingest.load import ColumnMapping
    from ml.ingest.records import messages_from_records

    try:
        return messages_from_records(records, ColumnMapping(**CONVERSATION_FIELDS), name="conversations")
    except InputError as exc:
        raise RecordsError(str(exc)) from None


def placements(result: pd.DataFrame, frame: pd.DataFrame) -> list[Placement]:
    """One Placement per row of `frame`, matched on member_id (= message_id for unit message)."""
    if "member_id" in result.columns:
        result = result.set_index(result["member_id"].astype(str))
        missing = [m for m in frame["message_id"] if m not in result.index]
        if missing:
            raise ValueError(f"the model returned no persona for {missing[0]!r}")
        result = result.loc[frame["message_id"].tolist()]
    elif len(result) != len(frame):
        raise RuntimeError("the persona model returned a different number of rows")
    novel = result["novel"].to_numpy() if "novel" in result.columns else [None] * len(result)
    return [Placement(int(pid), float(dist), bool(noise), None if new is None else bool(new))
            for pid, dist, noise, new in zip(result["persona_id"].to_numpy(), result["distance"].to_numpy(np.float64),
                                             result["would_be_noise"].to_numpy(), novel)]


def _attempt(call: Callable[[], Any]) -> Outcome:
    try:
        return ("ok", call())
    except Exception as exc:  # noqa: BLE001 - the request it belongs to gets it (a 422 or the JSON 500)
        return ("error", exc)


def _many(model: Any, frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """`predict_many`, asking for `novel` (each frame judged as one batch) when the model can say it."""
    q = novelty_quantile(model)
    return model.predict_many(frames) if q is None else model.predict_many(frames, novelty_quantile=q)


def _predict_all(model: Any, frames: list[pd.DataFrame]) -> list[pd.DataFrame] | None:
    """All frames in one `predict_many` call; None when there is none or it failed."""
    if getattr(model, "predict_many", None) is None:
        return None
    try:
        results = _many(model, frames)
    except Exception:  # noqa: BLE001 - one bad request must not fail the others: one by one then
        return None
    return results if len(results) == len(frames) else None


def _predict_one(model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    return _many(model, [frame])[0] if getattr(model, "predict_many", None) is not None else model.predict(frame)


def assign_conversations(model: Any, requests: list[list[dict]]) -> list[Outcome]:
    """One outcome per request (see the module doc): frames built per request, predicted together."""
    built = [_attempt(lambda records=records: conversation_frame(records)) for records in requests]
    frames = [value for status, value in built if status == "ok"]
    together = _predict_all(model, frames) if len(frames) > 1 else None
    results = iter(together or ())
    out: list[Outcome] = []
    for status, frame in built:
        if status != "ok":
            out.append((status, frame))
            continue
        result = next(results) if together is not None else None
        out.append(_attempt(lambda f=frame, r=result: placements(_predict_one(model, f) if r is None else r, f)))
    return out
