"""Each column of an event file plays one part: a user, an event, a time, a count.

``check_roles(path, frame, m)`` refuses, in one line that names the column and its flags, an event column that is
also the time, user or count column, and an event column whose values read as times. Either ran to the end before:
``--event-col date`` on OULAD's click log gave two personas, "Typical users (2 & 18)" and "Light 9 users (-9)", built
from day offsets, and replaced the good run (an events review, 2026-12-07); KDD's ``--event-col time`` gave 30
"event types" that were dates.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml.events.keys import FLAGS
from ml.events.timecol import reads_as_time
from ml.runtime.errors import InputError

SAMPLE_VALUES = 200  # distinct event values read as times
TIME_SHARE = 0.9  # of those, the share that reads as dates or times from which the column is refused


def _found(cfg_named: bool, flag: str) -> str:
    return flag if cfg_named else f"found by its name; {flag} names another"


def check_roles(path: Path, frame: pd.DataFrame, m: dict, named: dict[str, bool]) -> None:
    """``m``: the detected columns (``ml.events.ingest._detect``); ``named``: which of time / count / user the user
    named (else they were found by their names)."""
    event = list(m.get("event") or [])
    if not event or m.get("layout") != "rows":
        return
    parts = [("time", m.get("time"), FLAGS["time_col"]), ("count", m.get("count"), FLAGS["count_col"])]
    parts += [("user", u, FLAGS["user_cols"]) for u in m.get("user") or []]
    for what, col, flag in parts:
        if col and col in event:
            raise InputError(f"{path}: column '{col}' is both the event ({FLAGS['event_cols']}) and the {what} "
                             f"column ({_found(named.get(what, False), flag)}); the event column names what "
                             f"users did (a page, an action, a resource id): pass another {FLAGS['event_cols']}")
    for col in event:
        _not_times(path, frame[col], col)


def _not_times(path: Path, values: pd.Series, col: str) -> None:
    """Refuse an event column whose distinct values (a sample) mostly read as dates or times; plain numbers are ids
    (OULAD's ``id_site``), not times."""
    # distinct values first: the column may hold millions of rows (OULAD's click log), the sample 200 values
    distinct = pd.Series(pd.Series(values.dropna().unique()).astype(str).str.strip().unique()[:SAMPLE_VALUES])
    worded = distinct[distinct.ne("") & pd.to_numeric(distinct, errors="coerce").isna()]
    if len(worded) < max(2, TIME_SHARE * len(distinct)):
        return
    worded = worded.reset_index(drop=True)
    if reads_as_time(worded).mean() >= TIME_SHARE:
        raise InputError(f"{path}: column '{col}' ({FLAGS['event_cols']}) holds times such as {worded.iloc[0]!r}, "
                         f"not events; pass the column that names what users did as {FLAGS['event_cols']}, and "
                         f"this one as {FLAGS['time_col']}")
