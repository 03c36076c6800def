"""Outcomes of an event run's users, for evaluation only: read from the event rows (``--outcome-col``) or joined
from an outcome file (``--outcome-file``, ``--outcome-key-col``), with the one-line refusals a join can need (a
user with two outcomes; an outcome known for too few users to make a table). Used by ``ml.events.ingest``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ml.events.config import EventInputConfig
from ml.events.keys import FLAGS, _key, _require
from ml.events.outcomes import MIN_OUTCOME_USERS
from ml.ingest.load import missing_labels, read_table, resolve_paths
from ml.ingest.where import RowFilter
from ml.runtime.errors import InputError


def outcome_values(values: pd.Series) -> np.ndarray:
    """Outcomes with "NaN", "null", "", "?" and the rest of ``ml.ingest.load.MISSING_LABELS`` as None."""
    out = values.astype(object).to_numpy(copy=True)
    out[missing_labels(values) | (values.astype(str).str.strip() == "?").to_numpy()] = None
    return out


def user_outcomes(cfg: EventInputConfig, users: pd.Index, per_file: list[pd.DataFrame],
              read_user: list[str] | None = None) -> pd.Series:
    """Each user's outcome (None where unknown). An outcome file is joined on ``--outcome-key-col``, else on
    ``--user-col``, else on the user column(s) the event files were read with (``read_user``: "enrollment_id" in
    both of KDD Cup 2015's files)."""
    if cfg.outcome_file:
        path = resolve_paths(cfg.outcome_file)[0]
        table, _ = read_table(path)
        outside = RowFilter(cfg.where)  # one course's outcomes, where the outcome file names the course too
        if outside and all(outside.find_column(table, c) is not None for c in outside.where):
            table = outside.apply(table, path)
        keys = cfg.outcome_key_cols or cfg.user_cols or read_user
        if not keys:
            raise InputError(f"{path}: an outcome file needs the user key: pass --user-col (and "
                             "--outcome-key-col when the outcome file names it differently)")
        missing = [k for k in keys if k not in table.columns]
        if missing and not (cfg.outcome_key_cols or cfg.user_cols):
            raise InputError(f"{path}: no column '{missing[0]}' (the user key read from the event files) to join the "
                             f"outcomes on; name the outcome file's user column with --outcome-key-col (it has "
                             f"columns {', '.join(map(str, list(table.columns)[:20]))})")
        _require(path, list(table.columns), keys, "--outcome-key-col")
        if not cfg.outcome_col:
            raise InputError(f"{path}: name the outcome column with --outcome-col")
        _require(path, list(table.columns), [cfg.outcome_col], FLAGS["outcome_col"])
        key = _key(table, keys, path, "user id", "--outcome-key-col")
        series = pd.Series(outcome_values(table[cfg.outcome_col]), index=key.to_numpy())
        _refuse_two_outcomes(table, key, series, users, path, cfg.outcome_col, keys)
        series = series[series.notna()]  # a row without the outcome never hides one with it
        series = series[~series.index.duplicated()]
    elif per_file:
        both = pd.concat(per_file)
        series = both.groupby("user")["outcome"].agg(lambda s: s.mode().iloc[0] if s.notna().any() else None)
    else:
        return pd.Series([None] * len(users), index=users, dtype=object)
    if cfg.outcome_names:  # "label: 1" says nothing; the user's own name for the value does
        names = {str(k).strip(): v for k, v in cfg.outcome_names.items()}
        series = series.map(lambda v: v if v is None else names.get(str(v).strip(), v))
    return series.reindex(users)


def check_outcome_joined(cfg: EventInputConfig, users: pd.DataFrame) -> None:
    """One line when an outcome file gives fewer than ``MIN_OUTCOME_USERS`` users an outcome: a key that matched no
    user id (ids written in another case, the wrong key column) gave a run without its outcome table and no word of
    why (an events review). An outcome column of the event rows themselves is read as it is."""
    known = users["outcome"].notna() & users["outcome"].astype(str).str.strip().ne("")
    if int(known.sum()) >= MIN_OUTCOME_USERS:
        return
    where = Path(resolve_paths(cfg.outcome_file)[0])
    sample = ", ".join(repr(u) for u in users["user"].astype(str).head(3))
    keys = ", ".join(cfg.outcome_key_cols or cfg.user_cols or ["(the user column)"])
    raise InputError(f"{where}: the outcome '{cfg.outcome_col}' is known for {int(known.sum())} users, fewer than "
                     f"the {MIN_OUTCOME_USERS} an outcome table needs: its key column {keys} matched "
                     f"{int(known.sum())} of the {len(users):,} user ids of the events (such as {sample}); check the "
                     "key column (--outcome-key-col) and that ids are written alike, or run without --outcome-file")


def _refuse_two_outcomes(table: pd.DataFrame, key: pd.Series, series: pd.Series, users: pd.Index, path: Path,
                         outcome_col: str, keys: list[str]) -> None:
    """One line when a user of the data has rows with different outcomes in the outcome file (OULAD's
    studentInfo holds a row per student and course: joined on ``id_student`` alone, 54 of BBB 2014J's students
    took another course's result). Repeated rows that agree are fine. The line names the columns that tell the
    rows apart, for ``--where`` or the key."""
    known = series.notna().to_numpy() & key.isin(users).to_numpy()
    if not known.any():
        return
    values = pd.Series(series.to_numpy()[known].astype(str), index=key.to_numpy()[known])
    differ = values.groupby(level=0).nunique()
    differ = differ[differ > 1]
    if differ.empty:
        return
    user = str(differ.index[0])
    rows = table.loc[key.to_numpy() == user]
    apart = [c for c in table.columns if c not in keys and c != outcome_col and rows[c].astype(str).nunique() > 1]
    shown = ", ".join(dict.fromkeys(values.loc[[user]].tolist()))
    hint = (f"keep one of them with --where on a column the event files have too (it filters both; e.g. "
            f"{apart[0]}=...) or add the columns that tell them apart ({', '.join(apart[:3])}) to the key "
            "(--user-col / --outcome-key-col)" if apart else "keep one row per user in the outcome file")
    many = f"{len(differ):,} users have" if len(differ) > 1 else "1 user has"
    raise InputError(f"{path}: {many} rows with different '{outcome_col}' values (user "
                     f"{user.replace('|', ', ')}: {shown}), so which outcome is theirs is unclear; {hint}")
