"""Keep only the rows an analyst asks for: ``--where COLUMN=VALUE`` (``input.where``), e.g. one airline, one
brand, one product or one channel of a larger dump, so its personas are that segment's and not the dump's.

``RowFilter(["airline=United", "airline=Delta", "channel=email"])``: a row is kept when, for every column
named, its value is one of that column's values (values of one column: any of them; columns: all of them).
Values are compared as text, ignoring case and surrounding spaces ("united" keeps "United"); a number matches
a number column's equal value ("3" keeps 3 and 3.0). The filter is applied to each file as read, on the file's
own column names (before columns are mapped), so any column can be named, also one the run does not use.

In: the raw table of one file. Out: the rows kept; ``dropped`` counts the rows left out, ``seen`` the
commonest values of each named column (for the one-line error when nothing matches). A file without a named
column is refused with the columns it has.
"""

from __future__ import annotations

import difflib
from collections import Counter
from pathlib import Path
from typing import Annotated

import pandas as pd
from pydantic import AfterValidator

from ml.runtime.errors import InputError


def parse_where(items: list[str] | None) -> dict[str, list[str]]:
    """``["airline=United", "airline=Delta"]`` → ``{"airline": ["United", "Delta"]}``; an item without ``=`` or
    with an empty column name is refused."""
    out: dict[str, list[str]] = {}
    for item in items or []:
        column, sep, value = str(item).partition("=")
        if not sep or not column.strip():
            raise InputError(f"--where {item!r}: write COLUMN=VALUE, e.g. --where airline=United")
        out.setdefault(column.strip(), []).append(value.strip())
    return out


def _checked(items: list[str]) -> list[str]:
    parse_where(items)  # COLUMN=VALUE, or a one-line error naming the item
    return items


#: The config field's type (``input.where`` of both run kinds): "COLUMN=VALUE" items, checked when read.
WhereItems = Annotated[list[str], AfterValidator(_checked)]
WHERE_HELP = ("keep only rows whose column holds a value: COLUMN=VALUE items; values of one column: any, "
              "columns: all (ml.ingest.where)")


def _text(value) -> str:
    return str(value).strip().casefold()


class RowFilter:
    """See the module docstring."""

    def __init__(self, items: list[str] | None = None):
        self.where = parse_where(items)
        self.dropped = 0
        self.seen: dict[str, Counter] = {}

    def __bool__(self) -> bool:
        return bool(self.where)

    def apply(self, raw: pd.DataFrame, path: Path | str) -> pd.DataFrame:
        if not self.where:
            return raw
        keep = pd.Series(True, index=raw.index)
        for column, values in self.where.items():
            if column not in raw.columns:
                names = [str(c) for c in raw.columns]
                near = difflib.get_close_matches(column, names, n=1)
                shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
                raise InputError(f"{path}: --where names column {column!r}, which this file does not have ("
                                 + (f"did you mean {near[0]!r}? " if near else "") + f"its columns: {shown})")
            keep &= self._matches(raw[column], values)
            self.seen.setdefault(column, Counter()).update(raw[column].dropna().astype(str).str.strip())
        self.dropped += int((~keep).sum())
        return raw.loc[keep].reset_index(drop=True)

    @staticmethod
    def _matches(col: pd.Series, values: list[str]) -> pd.Series:
        hit = col.map(_text, na_action="ignore").isin({_text(v) for v in values}).fillna(False).astype(bool)
        if pd.api.types.is_numeric_dtype(col):
            numbers = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
            if len(numbers):
                hit |= col.isin(numbers.tolist())
        return hit

    def describe(self) -> str:
        """"airline=United or Delta, channel=email" as the user wrote it."""
        return ", ".join(f"{c}={' or '.join(v)}" for c, v in self.where.items())

    def no_match(self, files: str) -> InputError:
        """The one-line error when no row of ``files`` matched: the commonest values of each named column."""
        hints = "; ".join(f"{c}: " + ", ".join(f"{v} ({n:,})" for v, n in counts.most_common(5))
                          for c, counts in self.seen.items() if counts)
        return InputError(f"--where {self.describe()} matches no row of {files}"
                          + (f"; the commonest values are {hints}" if hints else ""))
