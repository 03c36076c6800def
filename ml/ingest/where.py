"""Keep only the rows an analyst asks for: ``--where COLUMN=VALUE`` (``input.where``), e.g. one airline, one
brand, one product or one channel of a larger dump, so its personas are that segment's and not the dump's.

``RowFilter(["airline=United", "airline=Delta", "channel=email"])``: a row is kept when, for every column
named, its value is one of that column's values (values of one column: any of them; columns: all of them).
Values are compared as text, ignoring case and surrounding spaces ("united" keeps "United"); a number matches
a number column's equal value ("3" keeps 3 and 3.0). The filter is applied to each file as read, on the file's
own column names (before columns are mapped), so any column can be named, also one the run does not use. Dates
at midnight compare as the day ("2015-02-24"); a JSON list matches when one of its elements does
(``tags=billing`` keeps ``["billing", "refund"]``).

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
from pydantic import AfterValidator, BeforeValidator

from ml.runtime.errors import InputError


def parse_where(items: list[str] | None) -> dict[str, list[str]]:
    """``["airline=United", "airline=Delta"]`` → ``{"airline": ["United", "Delta"]}``; an item without ``=`` or
    with an empty column name is refused. The column keeps its spaces (a header may have them: ``RowFilter``
    tries the name as written, then without its surrounding spaces)."""
    out: dict[str, list[str]] = {}
    for item in items or []:
        column, sep, value = str(item).partition("=")
        if not sep or not column.strip():
            raise InputError(f"--where {item!r}: write COLUMN=VALUE, e.g. --where airline=United")
        out.setdefault(column, []).append(value.strip())
    return out


def _listed(items):
    return [items] if isinstance(items, str) else items  # one item written as a string (YAML: where: a=b)


def _checked(items: list[str]) -> list[str]:
    parse_where(items)  # COLUMN=VALUE, or a one-line error naming the item
    return items


#: The config field's type (``input.where`` of both run kinds): "COLUMN=VALUE" items (one may be written as a
#: plain string), checked when read.
WhereItems = Annotated[list[str], BeforeValidator(_listed), AfterValidator(_checked)]
WHERE_HELP = ("keep only rows whose column holds a value: COLUMN=VALUE items; values of one column: any, "
              "columns: all (ml.ingest.where)")


def _text(value) -> str:
    return str(value).strip().casefold()


def _shown(value: str) -> str:
    return value if value else "(empty)"


class RowFilter:
    """See the module docstring. ``kept`` and ``dropped`` count the rows of the files ``apply`` saw; a column
    that a file lacks keeps none of its rows (JSON exports leave out fields no message of a file has), and
    ``check_columns`` refuses a column that no file has."""

    def __init__(self, items: list[str] | None = None):
        self.where = parse_where(items)
        self.kept = self.dropped = 0
        self.seen: dict[str, Counter] = {}
        self.lacking: dict[str, tuple[str, list[str]]] = {}  # column → (first file without it, its columns)

    def __bool__(self) -> bool:
        return bool(self.where)

    def apply(self, raw: pd.DataFrame, path: Path | str) -> pd.DataFrame:
        if not self.where:
            return raw
        keep = pd.Series(True, index=raw.index)
        for column, values in self.where.items():
            name = self.find_column(raw, column)
            if name is None:
                self.lacking.setdefault(column, (str(path), [str(c) for c in raw.columns]))
                keep &= False
                continue
            col = raw[name]
            if col.dtype == object and col.map(lambda v: isinstance(v, (list, tuple))).any():
                col = col.map(lambda v: list(v) if isinstance(v, (list, tuple)) else [v]).explode()  # JSON lists
                keep &= self._matches(col, values).groupby(level=0).any().reindex(raw.index, fill_value=False)
            else:
                keep &= self._matches(col, values)
            self.seen.setdefault(column, Counter()).update(self._texts(col).dropna())
        self.kept += int(keep.sum())
        self.dropped += int((~keep).sum())
        return raw.loc[keep].reset_index(drop=True)

    @staticmethod
    def find_column(raw: pd.DataFrame, column: str):
        """``column`` as the table writes it: the name as given, else a column equal to it without surrounding
        spaces; None when the table has neither."""
        if column in raw.columns:
            return column
        return next((c for c in raw.columns if str(c).strip() == column.strip()), None)

    def check_columns(self) -> None:
        """Refuse a named column that none of the files read has (one line: the first file, its columns and the
        nearest name)."""
        for column, (path, names) in self.lacking.items():
            if column in self.seen:
                continue
            near = difflib.get_close_matches(column.strip(), [n.strip() for n in names], n=1)
            shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
            raise InputError(f"{path}: --where (input.where) names column {column!r}, which this file does not have ("
                             + (f"did you mean {near[0]!r}? " if near else "") + f"its columns: {shown}); name a "
                             "column of the files, or leave --where out")

    @staticmethod
    def _texts(col: pd.Series) -> pd.Series:
        """The column as the values are compared and shown: dates at midnight as the day ("2015-02-24")."""
        if pd.api.types.is_datetime64_any_dtype(col):
            days = col.dt.strftime("%Y-%m-%d")
            return days.where(col != col.dt.normalize(), col.astype(str)).where(col.notna())
        return col.map(lambda v: str(v).strip(), na_action="ignore")

    @classmethod
    def _matches(cls, col: pd.Series, values: list[str]) -> pd.Series:
        texts = cls._texts(col)
        hit = texts.map(_text, na_action="ignore").isin({_text(v) for v in values}).fillna(False).astype(bool)
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").dropna()
        if len(numbers):  # "3" keeps 3 and 3.0, whether the file wrote a number or text (CSV, Excel)
            column = col if pd.api.types.is_numeric_dtype(col) else pd.to_numeric(texts, errors="coerce")
            hit |= column.isin(numbers.tolist()).fillna(False).astype(bool)
        return hit

    def finish(self, kept: int, files: list) -> dict:
        """After every file: refuse a column no file has, or a filter that kept no row (``kept``) of ``files``;
        else what the load report records: ``where``, ``kept_where`` and ``dropped_where`` (empty without a
        filter)."""
        if not self:
            return {}
        self.check_columns()
        if kept == 0:
            raise self.no_match(str(files[0]) + (" and the other files" if len(files) > 1 else ""))
        return {"where": self.describe(), "kept_where": self.kept, "dropped_where": self.dropped}

    def describe(self) -> str:
        """"airline=United or Delta, channel=email" as the user wrote it."""
        return ", ".join(f"{c.strip()}={' or '.join(v)}" for c, v in self.where.items())

    def no_match(self, files: str) -> InputError:
        """The one-line error when no row of ``files`` matched: the commonest values of each named column."""
        hints = "; ".join(f"{c.strip()}: " + ", ".join(f"{_shown(v)} ({n:,})" for v, n in counts.most_common(5))
                          for c, counts in self.seen.items() if counts)
        return InputError(f"--where {self.describe()} matches no row of {files}"
                          + (f"; the commonest values are {hints}" if hints else ""))
