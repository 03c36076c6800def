"""Column checks and user/event keys shared by the event readers (``ml.events.ingest``, ``ml.events.outcome_join``):
the flag that names each column, a one-line refusal for a column not found (with the closest name), and a key
built from one or several columns (a blank value refused with its row)."""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from ml.runtime.errors import InputError

FLAGS = {"user_cols": "--user-col", "event_cols": "--event-col", "time_col": "--time-col",
         "count_col": "--count-col", "group_cols": "--group-col", "outcome_col": "--outcome-col"}


def _require(path: Path, columns: list[str], wanted: list[str], flag: str) -> None:
    for col in wanted:
        if col not in columns:
            close = difflib.get_close_matches(col, columns, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise InputError(f"{path}: column '{col}' ({flag}) not found; the file has columns "
                             f"{', '.join(columns[:20])}{hint}")


def blank_mask(values: pd.Series) -> pd.Series:
    """Which values are blank as a key: empty, or "nan" / "none" / "null" in any case."""
    text = values.astype(str).str.strip()
    return text.eq("") | text.str.lower().isin(["nan", "none", "null"])


def _key(frame: pd.DataFrame, cols: list[str], path: Path, what: str, flag: str, tolerate: float = 0.0) -> pd.Series:
    """The key of each row (several columns joined with "|"). A blank value is refused naming its row, unless blank
    rows are at most ``tolerate`` of the file: their key is then "" (the caller skips and counts them)."""
    parts = [frame[c].astype(str).str.strip() for c in cols]
    blanks = [blank_mask(part) for part in parts]
    anywhere = np.logical_or.reduce([b.to_numpy() for b in blanks]) if blanks else np.zeros(len(frame), bool)
    if anywhere.any() and anywhere.mean() > tolerate:
        c, blank = next((c, b) for c, b in zip(cols, blanks) if b.any())
        row = int(np.flatnonzero(blank.to_numpy())[0]) + 1
        many = f" ({int(anywhere.sum()):,} such rows)" if anywhere.sum() > 1 else ""
        raise InputError(f"{path}: data row {row} has an empty {what} in column '{c}' ({flag}){many}; fill it "
                         "in or remove the row")
    out = parts[0]
    for part in parts[1:]:
        out = out + "|" + part
    return out.where(~anywhere, "") if anywhere.any() else out
