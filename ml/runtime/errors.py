"""Errors the pipeline shows to people.

`InputError` carries a one-line message that names the file, row or column and says what to do;
the command line prints it and exits with status 2 (no traceback). Later stages raise
`TooFewRowsError` when too little data survives to fit a model. `OutputError`: a finished run could
not be put in place (its message says what was kept; exit 1). `run_guarded(fn)` is the command
lines' error handling: it turns what ``fn`` raises into one line on stderr and an exit status.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable

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


class OutputError(RuntimeError):
    """A computed run could not be moved into its run directory; the message says what was kept."""


def run_guarded(fn: Callable[[], int]) -> int:
    """``fn()``'s exit status, or one line on stderr and: 2 for an ``InputError`` (its message),
    130 for Ctrl-C, 1 for anything else (class and first line; ``PERSONAS_DEBUG=1`` adds the traceback)."""
    from rich.console import Console

    err = Console(stderr=True)
    try:
        return fn()
    except InputError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except OutputError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        err.print("interrupted: the previous run directory and store are unchanged", markup=False)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for people, traceback on request
        if os.environ.get("PERSONAS_DEBUG"):
            traceback.print_exc()
        first = (str(exc).splitlines() or [""])[0]
        err.print(f"error: {exc.__class__.__name__}: {first} (set PERSONAS_DEBUG=1 for the traceback)",
                  markup=False, highlight=False, soft_wrap=True)
        return 1
