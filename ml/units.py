"""Group messages into members, the rows that get clustered.

`build_units(messages, unit)` takes the canonical message frame of `ml.ingest.load` and returns the
member frame of docs/CONTRACTS.md §1: `member_id`, `text` (the member's messages joined with "\\n"
in time order), `author`, `timestamp` / `local_hour` / `local_weekday` (of its first message),
`label` (majority label), `n_messages`, `message_ids` (list[str]), one row per member, ordered by
the first appearance of the member in the input.

Units: `message` (one member per message), `conversation` (one per reply thread: the chain of
`reply_to` links followed up to its root; uses the `thread_id` column that `ml.ingest.load` computes
before any filtering when present), `author` (one per author; messages without an author are
left out and counted in `members.attrs["dropped_no_author"]`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.runtime.errors import InputError

UNITS = ("message", "conversation", "author")
MEMBER_COLUMNS = [
    "member_id", "text", "author", "timestamp", "local_hour", "local_weekday", "label",
    "n_messages", "message_ids",
]


def thread_roots(ids: pd.Series, reply_to: pd.Series, max_rounds: int = 64) -> np.ndarray:
    """Root id of each message's reply chain, by pointer jumping (O(n log depth)).

    `ids` and `reply_to` are aligned string Series (reply_to None/NaN for a root). A message whose
    parent is not in `ids` is the root of its chain. With duplicate ids the first one is used as
    the parent. Messages on a reply cycle are their own roots.
    """
    ids_arr = ids.astype("object").to_numpy()
    n = len(ids_arr)
    if n == 0:
        return np.array([], dtype=object)
    first = ~pd.Series(ids_arr).duplicated().to_numpy()
    first_pos = np.flatnonzero(first)
    lookup = pd.Index(ids_arr[first])
    parents = reply_to.astype("object").where(reply_to.notna(), None).to_numpy()
    hit = lookup.get_indexer(parents)
    parent = np.arange(n)
    has = hit >= 0
    parent[has] = first_pos[hit[has]]
    for _ in range(max_rounds):
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        parent = nxt
    cyclic = parent[parent] != parent
    parent[cyclic] = np.flatnonzero(cyclic)
    return ids_arr[parent]


def _majority(keys: pd.Series, labels: pd.Series) -> pd.Series:
    """Most frequent non-null label per key (ties: alphabetically first)."""
    frame = pd.DataFrame({"key": keys.to_numpy(), "label": labels.to_numpy()}).dropna()
    if frame.empty:
        return pd.Series(dtype=object)
    counts = frame.groupby(["key", "label"], sort=False).size().reset_index(name="n")
    counts = counts.sort_values(["key", "n", "label"], ascending=[True, False, True], kind="stable")
    best = counts.drop_duplicates("key")
    return pd.Series(best["label"].to_numpy(), index=best["key"].to_numpy(), dtype=object)


def _group(messages: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    frame = messages.assign(_key=key.to_numpy(), _pos=np.arange(len(messages)))
    frame = frame.sort_values(["_key", "timestamp", "_pos"], na_position="last", kind="stable")
    grouped = frame.groupby("_key", sort=False)
    out = grouped.agg(
        text=("text", "\n".join),
        author=("author", "first"),
        timestamp=("timestamp", "first"),
        local_hour=("local_hour", "first"),
        local_weekday=("local_weekday", "first"),
        n_messages=("message_id", "size"),
        message_ids=("message_id", list),
        _first=("_pos", "min"),
    )
    # "first" skips nulls; the contract wants the values of the first message itself.
    head = frame.drop_duplicates("_key").set_index("_key")
    for col in ("author", "timestamp", "local_hour", "local_weekday"):
        out[col] = head.loc[out.index, col].to_numpy()
    labels = _majority(frame["_key"], frame["label"]) if "label" in frame else pd.Series(dtype=object)
    out["label"] = pd.Series(out.index, index=out.index).map(labels).astype(object)
    out = out.sort_values("_first", kind="stable")
    out["member_id"] = out.index.astype(str)
    return out.reset_index(drop=True)


def _finish(members: pd.DataFrame) -> pd.DataFrame:
    members = members.reindex(columns=MEMBER_COLUMNS)
    members["member_id"] = members["member_id"].astype(str)
    members["text"] = members["text"].astype(str)
    for col in ("author", "label"):
        members[col] = members[col].astype(object).where(members[col].notna(), None)
    members["timestamp"] = pd.to_datetime(members["timestamp"], utc=True).astype("datetime64[ns, UTC]")
    members["local_hour"] = members["local_hour"].astype("Int64")
    members["local_weekday"] = members["local_weekday"].astype("Int64")
    members["n_messages"] = members["n_messages"].astype("int64")
    return members


def build_units(messages: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Canonical message frame → member frame for `unit` (message, conversation or author)."""
    if unit not in UNITS:
        raise InputError(f"unknown unit {unit!r}; use --unit with one of: {', '.join(UNITS)}")
    messages = messages.reset_index(drop=True)
    if "label" not in messages:
        messages = messages.assign(label=None)
    if unit == "message":
        members = pd.DataFrame({
            "member_id": messages["message_id"].astype(str),
            "text": messages["text"],
            "author": messages["author"],
            "timestamp": messages["timestamp"],
            "local_hour": messages["local_hour"],
            "local_weekday": messages["local_weekday"],
            "label": messages["label"],
            "n_messages": 1,
            "message_ids": [[m] for m in messages["message_id"].astype(str)],
        })
        return _finish(members)

    if unit == "conversation":
        if not len(messages):  # nothing left to group (the filters or --where took every row): the run says why
            return build_units(messages, "message")
        has_thread = "thread_id" in messages and messages["thread_id"].notna().any()
        has_reply = "reply_to" in messages and messages["reply_to"].notna().any()
        if not (has_thread or has_reply):
            files = sorted(set(messages["source_file"].astype(str))) if "source_file" in messages else []
            where = f"{files[0]}{f' and {len(files) - 1} more files' if len(files) > 1 else ''}: " if files else ""
            raise InputError(
                f"{where}unit 'conversation' needs reply-to links or a conversation column but the data has neither; "
                "pass --thread-col COLUMN naming the ticket or chat id of each message, or --reply-to-col "
                "COLUMN naming the id each message answers, or use --unit message"
            )
        if has_thread:
            key = messages["thread_id"].astype(object)
            missing = key.isna()
            if missing.any():
                key = key.where(~missing, messages["message_id"].astype(object))
        else:
            key = pd.Series(thread_roots(messages["message_id"], messages["reply_to"]))
        return _finish(_group(messages, key))

    # unit == "author"
    if "author" not in messages or messages["author"].notna().sum() == 0:
        raise InputError(
            "unit 'author' needs an author column but the data has none; pass --author-col "
            "COLUMN naming the column with the author id or handle, or use --unit message"
        )
    known = messages["author"].notna()
    dropped = int((~known).sum())
    members = _finish(_group(messages[known].reset_index(drop=True), messages.loc[known, "author"]))
    members.attrs["dropped_no_author"] = dropped
    return members
