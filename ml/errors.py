"""Errors the pipeline shows to people.

`InputError` carries a one-line message that names the file, row or column and says what to do;
the command line prints it and exits with status 2 (no traceback). Later stages raise
`TooFewRowsError` when too little data survives to fit a model.
"""

from __future__ import annotations

import re

_WS = re.compile(r"\s+")


class InputError(ValueError):
    """Bad input data or arguments. `str(err)` is always a single line."""

    def __init__(self, message: str) -> None:
        self.message = _WS.sub(" ", str(message)).strip()
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class TooFewRowsError(InputError):
    """Too few rows (messages, members) left for a stage; `n_rows` found, `min_rows` needed."""

    def __init__(self, message: str, n_rows: int | None = None, min_rows: int | None = None) -> None:
        super().__init__(message)
        self.n_rows = n_rows
        self.min_rows = min_rows
