"""Excel workbooks (.xlsx), as support desks and survey tools export them.

``read_excel(path)`` → ``(frame, sheet)``: the workbook's first sheet, every cell as a string as a CSV gives it
(an empty cell is ``""``; a date cell ``2017-10-31 22:11:45``, which has no offset and is read as written; a
whole number ``12345``), and that sheet's name with how many the workbook has (``'Tickets' (1 of 3)``), which
the run prints: only the first sheet is read. Read by pandas with openpyxl. A file that is not a workbook
(a renamed CSV, a legacy .xls, a damaged download) is refused with one line that says what to do.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from ml.runtime.errors import InputError


def read_excel(path: Path) -> tuple[pd.DataFrame, str]:
    """The first sheet of the workbook ``path`` as strings, and ``"'NAME' (1 of N)"``."""
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty (0 bytes); export the data again")
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = book.sheet_names
            frame = pd.read_excel(book, sheet_name=names[0], dtype=str, keep_default_na=False, header=0)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise InputError(f"{path}: cannot read as an Excel workbook (.xlsx) ({type(err).__name__}: {err}); "
                         "open it in Excel and save it as .xlsx again, or export CSV") from None
    frame = frame.loc[:, [not (str(c).startswith("Unnamed: ") and (frame[c] == "").all()) for c in frame.columns]]
    frame = frame[(frame != "").any(axis=1)].reset_index(drop=True)  # rows left blank below the data
    return frame, f"{names[0]!r} (1 of {len(names)})"
