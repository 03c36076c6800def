"""The canonical message frame's finishing steps (docs/CONTRACTS.md §1), shared by ``ml.ingest.load`` and
``ml.ingest.records``: unique message ids, parsed times, each message's conversation, the columns' order and
dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.ingest.report import LoadReport
from ml.ingest.timeparse import parse_timestamps
from ml.units import thread_roots

COLUMNS = ["message_id", "text", "author", "timestamp", "utc_offset_min", "local_hour", "local_weekday",
           "reply_to", "inbound", "label", "source_file", "source_row", "thread_id"]


def thread_ids(msgs: pd.DataFrame):
    """Each message's conversation: the thread column's value (``ColumnMapping.thread``: a ticket or chat id)
    where it has one, else the root of its reply chain (``ml.units.thread_roots``); None without either."""
    roots = None
    if msgs["reply_to"].notna().any():
        roots = pd.Series(thread_roots(msgs["message_id"], msgs["reply_to"]), index=msgs.index, dtype=object)
    given = msgs["_thread"]
    if not given.notna().any():
        return None if roots is None else roots.to_numpy()
    return given.where(given.notna(), roots).to_numpy()


def unique_ids(msgs: pd.DataFrame, report: LoadReport) -> None:
    """Repeated ids get a suffix ("<id>#1", ...) so message ids stay unique; rows are kept (the
    filter stage decides about duplicate texts). Reply links point at the first one."""
    rank = msgs.groupby("message_id", sort=False).cumcount()
    clash = rank > 0
    report.renamed_duplicate_ids = int(clash.sum())
    msgs.loc[clash, "message_id"] = msgs.loc[clash, "message_id"] + "#" + rank[clash].astype(str)


def add_times(msgs: pd.DataFrame, report: LoadReport) -> None:
    raw_time = msgs.pop("_time")
    times = parse_timestamps(raw_time)
    for col in ("timestamp", "utc_offset_min", "local_hour", "local_weekday"):
        msgs[col] = times[col]
    raw_missing = msgs["timestamp"].isna() & ~times["unparseable"].to_numpy()
    report.timestamps_missing = int(raw_missing.sum())
    report.timestamps_unparseable = int(times["unparseable"].sum())
    report.date_order = times.attrs.get("date_order")
    bad = np.flatnonzero(times["unparseable"].to_numpy())[:3]
    report.timestamp_examples = [
        {"file": msgs.at[i, "source_file"], "row": int(msgs.at[i, "source_row"]), "value": str(raw_time[i])}
        for i in bad
    ]


def typed(msgs: pd.DataFrame) -> pd.DataFrame:
    """The frame in CONTRACTS §1 column order and dtypes."""
    msgs = msgs.reset_index(drop=True)[COLUMNS]
    msgs["text"] = msgs["text"].astype(str)
    msgs["message_id"] = msgs["message_id"].astype(str)
    msgs["source_file"] = msgs["source_file"].astype(str)
    msgs["source_row"] = msgs["source_row"].astype("int64")
    msgs["inbound"] = msgs["inbound"].astype("boolean")
    msgs["timestamp"] = msgs["timestamp"].astype("datetime64[ns, UTC]")
    for col in ("local_hour", "local_weekday"):
        msgs[col] = msgs[col].astype("Int64")
    for col in ("author", "reply_to", "label", "thread_id"):
        msgs[col] = msgs[col].astype(object).where(msgs[col].notna(), None)
    return msgs
