"""Errors the pipeline shows to people.

`InputError` carries a one-line message that names the file, row or column and says what to do;
the command line prints it and exits with status 2 (no traceback). Later stages raise
`TooFewRowsError` when too little data survives to fit a model. `OutputError`: a finished run could
not be put in place (its message says what was kept; exit 1). `run_guarded(fn)` is the command
lines' error handling: it turns what ``fn`` raises into one line on stderr and an exit status.
`CommandParser`: argparse for the command lines, whose usage mistakes are one line too ("unrecognized
arguments: --chek (did you mean --check?); python -m ml.run --help lists the options"), not the whole usage.

A stop request is handled like Ctrl-C. While ``fn`` runs, SIGTERM (what ``kill``, cron's timeouts, systemd and
Kubernetes send) raises `Terminated`, a `KeyboardInterrupt`, in the main thread, so every cleanup that
Ctrl-C runs runs for it too: the staging folder is removed, a publish is taken back, the background maskers
stop and their temporary copy of the raw texts is deleted. Without it the process would die where it
stood and leave that copy behind. The worker pools a run forks reset SIGTERM to its default, so they die
on it at once; any other forked process that inherits the handler dies by it at its next Python step. A
second SIGTERM during the clean-up is ignored. ``stops_deferred`` holds both signals for a few steps that
must happen together (the swap's two renames). Both stops are also recorded: an interrupt that Python swallowed
(raised inside a finaliser, where it is printed as "Exception ignored" and dropped) is raised again by
``raise_if_stopped``, which the run directory calls before it publishes and swaps, so a stop is never lost.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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


class EmptyFileError(InputError):
    """An input file with nothing to read (0 bytes, or a header and no rows): an error alone, named and skipped
    among files that have rows (a folder of daily exports with a quiet day; ``ml.ingest.load``)."""


class OutputError(RuntimeError):
    """A computed run could not be moved into its run directory; the message says what was kept."""


class Terminated(KeyboardInterrupt):
    """SIGTERM while a command runs (``sigterm_as_interrupt``): handled as Ctrl-C is, exit status 143."""


STOPPED_BEFORE_WRITING = "the previous run directory and store are unchanged"
_STOPS: list[type[KeyboardInterrupt]] = []  # stops received under sigterm_as_interrupt (raise_if_stopped)


def raise_if_stopped() -> None:
    """Raise the stop received under ``sigterm_as_interrupt`` again, if there was one: its exception may have
    been swallowed where Python cannot raise it (a ``__del__`` or weakref callback runs when the signal lands)."""
    if _STOPS:
        raise _STOPS[0]()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises `Terminated` in the main thread for the duration (see the module docstring). Nothing
    changes off the main thread, where Python cannot set handlers, or when SIGTERM was ignored on entry (a
    parent asked for that). The previous handler is put back on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def stop(signum, frame) -> None:
        if os.getpid() != owner:  # a forked child inherited this handler: die as SIGTERM's default does
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the clean-up short
        _STOPS.append(Terminated)
        raise Terminated()

    def interrupt(signum, frame) -> None:  # Ctrl-C as Python's default handler, recorded
        _STOPS.append(KeyboardInterrupt)
        raise KeyboardInterrupt()

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    _STOPS.clear()
    if previous[signal.SIGTERM] != signal.SIG_IGN:
        signal.signal(signal.SIGTERM, stop)
    if previous[signal.SIGINT] is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():  # the handlers back first: a stop now is the caller's, unrecorded
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        _STOPS.clear()


def default_sigterm() -> None:
    """In a forked worker (a pool's initializer): die on SIGTERM at once, as by default. The handler inherited
    from the parent (``sigterm_as_interrupt``) would only act at the worker's next Python step."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def stops_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM that arrive inside the block take effect at its end: for a few steps that must
    happen together (two renames). The signal is sent again once the handlers are back, so it does what it
    would have done. Only in the main thread, where Python runs handlers; elsewhere the block runs as is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig, handler in saved.items():
        if handler not in (signal.SIG_IGN, None):
            signal.signal(sig, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        for sig, handler in saved.items():
            if handler is not None:
                signal.signal(sig, handler)
        for sig in dict.fromkeys(held):
            os.kill(os.getpid(), sig)


def run_guarded(fn: Callable[[], int], kept: str = STOPPED_BEFORE_WRITING) -> int:
    """``fn()``'s exit status, or one line on stderr and: 2 for an ``InputError`` (its message),
    130 for Ctrl-C, 143 for SIGTERM, 1 for anything else (class and first line; ``PERSONAS_DEBUG=1`` adds
    the traceback). An interruption says what was kept: ``kept`` (the command's earlier output, which it
    replaces only whole), or the ``kept`` attribute a command set on the interrupt once its output was in place."""
    from rich.console import Console

    err = Console(stderr=True)
    try:
        with sigterm_as_interrupt():
            return fn()
    except InputError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except OutputError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt as exc:
        kept = getattr(exc, "kept", None) or kept
        stopped = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        err.print(f"{stopped}: {kept}", markup=False, highlight=False, soft_wrap=True)
        return 143 if isinstance(exc, Terminated) else 130
    except Exception as exc:  # noqa: BLE001 - one line for people, traceback on request
        if os.environ.get("PERSONAS_DEBUG"):
            traceback.print_exc()
        first = (str(exc).splitlines() or [""])[0]
        err.print(f"error: {exc.__class__.__name__}: {first} (set PERSONAS_DEBUG=1 for the traceback)",
                  markup=False, highlight=False, soft_wrap=True)
        return 1


class CommandParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one line on stderr (exit 2): the message, a close option
    for a misspelt one, and where the options are listed."""

    def error(self, message: str):
        hint = ""
        unknown = re.search(r"unrecognized arguments: (.+)", message)
        if unknown:
            for arg in unknown.group(1).split():
                close = difflib.get_close_matches(arg.split("=")[0], list(self._option_string_actions), n=1)
                if arg.startswith("-") and close:
                    hint = f" (did you mean {close[0]}?)"
                    break
        self.exit(2, f"{self.prog}: error: {message}{hint}; {self.prog} --help lists the options\n")
