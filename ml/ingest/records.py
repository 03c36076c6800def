"""Ingest for records: dicts (such as JSON objects posted to the API's assign route) → the canonical
message frame (docs/CONTRACTS.md §1), by the rules `ml.ingest.load.load_messages` applies to a file.

`messages_from_records(records, mapping=None, name="records")` reuses ingest's own steps (column
detection, `canonical_frame`: entities decoded and ids normalised; `ml.ingest.timeparse`; thread roots;
`_typed`), so a record and the same row in a file become the same message. What differs is what bad
input does: a file's empty texts are dropped and repeated ids renamed, while a record's raise
`InputError` naming `{name}.{index}.{key}`, because the caller gets one answer per record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from ml.ingest.canonical import canonical_frame
from ml.ingest.frame import thread_ids, typed
from ml.ingest.load import ColumnMapping, detect_layout
from ml.ingest.pseudonyms import author_pseudonyms
from ml.ingest.timeparse import parse_timestamps
from ml.runtime.errors import InputError

__all__ = ["messages_from_records"]


def messages_from_records(records: Iterable[dict], mapping: ColumnMapping | None = None,
                          name: str = "records") -> pd.DataFrame:
    """Records (dicts, such as posted JSON objects) → the canonical message frame, canonicalised exactly
    as `load_messages` does a file: entities decoded, ids normalised, timestamps parsed, thread roots,
    CONTRACTS §1 column order and dtypes.

    `mapping` names each field's key (default: detected from the keys, as for a file's columns); a
    mapped key that no record has counts as absent. Unlike a file, nothing is dropped or renamed:
    an empty text, an unreadable timestamp or an id used twice raises `InputError` naming
    `{name}.{index}.{key}` (index from 0). Records without an id get `{name}:{row}` (row from 1).
    """
    rows = list(records)
    if not rows:
        raise InputError(f"{name}: no records given; send at least one")
    frame = pd.DataFrame.from_records(rows)
    used = (mapping or ColumnMapping()).over(detect_layout(list(frame.columns))[1])
    used = ColumnMapping(**{k: v if v in frame.columns else None for k, v in asdict(used).items()})
    if used.text is None:
        raise InputError(f"{name}: no text field (fields: {', '.join(map(str, frame.columns))}); "
                         "send each record's text")
    msgs = canonical_frame(frame, Path(name), used)
    msgs["author"] = author_pseudonyms(msgs["author"])[0]  # as load_messages does a file's
    empty = np.flatnonzero((msgs["text"].str.strip() == "").to_numpy())
    if len(empty):
        raise InputError(f"{name}.{int(empty[0])}.{used.text}: empty; send the message text")
    _record_times(msgs, name, used.timestamp)
    dup = np.flatnonzero(msgs["message_id"].duplicated().to_numpy())
    if len(dup):
        i = int(dup[0])
        raise InputError(f"{name}.{i}.{used.id or 'id'}: {msgs['message_id'][i]!r} is used twice; "
                         "ids must be unique within one call")
    msgs["thread_id"] = thread_ids(msgs)
    return typed(msgs)


def _record_times(msgs: pd.DataFrame, name: str, key: str | None) -> None:
    """`_add_times` for records: the first unreadable timestamp raises, naming its record."""
    raw = msgs.pop("_time")
    try:
        times = parse_timestamps(raw)
        bad = np.flatnonzero(times["unparseable"].to_numpy())
    except (OverflowError, ValueError):  # a date pandas cannot hold (before 1677 / after 2262)
        bad = [i for i in range(len(raw)) if not _readable(raw.iloc[i : i + 1])][:1] or [0]
    if len(bad):
        i = int(bad[0])
        raise InputError(f"{name}.{i}.{key or 'timestamp'}: cannot read {raw[i]!r}; use ISO 8601 "
                         "(2017-10-31T22:10:47+02:00), the Twitter format or epoch seconds")
    for col in ("timestamp", "utc_offset_min", "local_hour", "local_weekday"):
        msgs[col] = times[col]


def _readable(one: pd.Series) -> bool:
    try:
        return not bool(parse_timestamps(one)["unparseable"].iloc[0])
    except (OverflowError, ValueError):
        return False
