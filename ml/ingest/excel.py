"""Excel workbooks (.xlsx), as support desks and survey tools export them.

``read_excel(path)`` → ``(frame, sheet)``: the workbook's first sheet that holds data rows (empty sheets before
it, such as a cover or notes sheet, are skipped and named), every cell as a string as a CSV gives it
(an empty cell is ``""``; a date cell ``2017-10-31 22:11:45``, which has no offset and is read as written; a
whole number ``12345``), and that sheet's name with how many the workbook has (``'Tickets' (1 of 3)``), which
the run prints: only that sheet is read. Title rows above the header (a report's name and date) are skipped
(``header_row``) and the sheet's description says so. Read by pandas with openpyxl. A file that is not a workbook
(a renamed CSV, a legacy .xls, a damaged download) is refused with one line that says what to do.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ml.ingest.columns import check_unique_columns
from ml.runtime.errors import EmptyFileError, InputError


def read_excel(path: Path) -> tuple[pd.DataFrame, str]:
    """The first sheet of the workbook ``path`` that holds data, as strings, and ``"'NAME' (1 of N)"`` (with the
    empty sheets before it named: ``"'Data' (2 of 2; 'Notes' before it is empty)"``)."""
    if path.stat().st_size == 0:
        raise EmptyFileError(f"{path}: file is empty (0 bytes); export the data again")
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = book.sheet_names
            empty = []
            for i, name in enumerate(names):
                cells = pd.read_excel(book, sheet_name=name, dtype=str, keep_default_na=False, header=None)
                head = header_row(cells)
                frame = _clean(_with_header(cells, head))
                if len(frame) or i == len(names) - 1:
                    break
                empty.append(name)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise InputError(f"{path}: cannot read as an Excel workbook (.xlsx) ({type(err).__name__}: {err}); "
                         "open it in Excel and save it as .xlsx again, or export CSV") from None
    check_unique_columns(path, [str(v).strip() for v in cells.iloc[head]] if len(cells) else [])  # pandas would rename
    if empty and not len(frame):
        raise InputError(f"{path}: none of its {len(names)} sheets holds data rows "
                         f"({', '.join(repr(n) for n in names)}); export the sheet with the messages")
    skipped = f"; {', '.join(repr(n) for n in empty)} before it {'is' if len(empty) == 1 else 'are'} empty" if empty else ""
    titles = f"; header on row {head + 1}, {head} title row{'s' if head > 1 else ''} above it skipped" if head else ""
    return frame, f"{name!r} ({len(empty) + 1} of {len(names)}{skipped}{titles})"


HEADER_SCAN = 20  # rows searched for the header under a report's title lines


def header_row(cells: pd.DataFrame) -> int:
    """The row (0-based) of a sheet read without a header that holds its column names: 0, unless the first row
    fills fewer than half the columns most of the rows below it fill (a report's title: "Ticket report: all
    channels", a date, a blank line); then the first of the first ``HEADER_SCAN`` rows that fills that many, when
    its cells are distinct and not numbers (names, not a data row). A review read such a sheet's 18-digit ticket
    ids as 1988 timestamps and its header as a message."""
    if cells.empty:
        return 0
    top = cells.head(HEADER_SCAN).astype(str).apply(lambda col: col.str.strip())
    filled = (top != "").sum(axis=1).to_numpy()
    below = [int(n) for n in filled[1:] if n]
    if not below:
        return 0
    usual = max(set(below), key=below.count)  # the width most rows have, not the widest (a notes row)
    if filled[0] * 2 >= usual:
        return 0
    for k in np.flatnonzero(filled == usual):
        names = [v for v in top.iloc[k] if v]
        if len(set(names)) == len(names) and not any(_number(v) for v in names):
            return int(k)
    return 0


def _number(value: str) -> bool:
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True


def _with_header(cells: pd.DataFrame, head: int) -> pd.DataFrame:
    """Rows below ``head`` with its cells as the column names, as pandas names them: an empty one "Unnamed: N",
    a repeated one "Comment.1"."""
    names: list[str] = []
    for k, v in enumerate(cells.iloc[head] if len(cells) else []):
        name = str(v).strip() or f"Unnamed: {k}"
        base, n = name, 0
        while name in names:
            n += 1
            name = f"{base}.{n}"
        names.append(name)
    body = cells.iloc[head + 1:].reset_index(drop=True)
    body.columns = names
    return body


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Without unnamed empty columns and blank rows (left below the data)."""
    frame = frame.loc[:, [not (str(c).startswith("Unnamed: ") and (frame[c] == "").all()) for c in frame.columns]]
    return frame[(frame != "").any(axis=1)].reset_index(drop=True)
