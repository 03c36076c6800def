"""Where in the code a stage reached its peak memory: a diagnostic for benchmarks, off by default.

With ``PERSONAS_TRACE_PEAK=1`` in the environment, ``StageTimer`` (``ml.runtime.timing``) runs a
``PeakTracer``: a daemon thread reads the process's resident memory every ``interval`` seconds and, each
time it passes the stage's highest so far, keeps the main thread's stack. When the stage ends its log line
is followed by "<stage> peak <MB> at file:line function ← ..." (the innermost frames of this package
first), so a memory target's miss names the line to work on. Sampling misses peaks shorter than the
interval; the stack is where the main thread was when the peak was seen.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback

__all__ = ["PeakTracer", "tracing_requested"]


def tracing_requested() -> bool:
    return os.environ.get("PERSONAS_TRACE_PEAK", "") not in ("", "0")


class PeakTracer:
    """``start()``, then per stage ``reset()`` … ``peak()`` → ``(MB, ["file:line function", ...])``."""

    def __init__(self, read_mb, interval: float = 0.05, frames: int = 6):
        self.read_mb, self.interval, self.frames = read_mb, interval, frames
        self.main_ = threading.main_thread().ident
        self.high_, self.stack_ = 0.0, []
        self.lock_ = threading.Lock()
        self.stop_ = threading.Event()

    def start(self) -> PeakTracer:
        threading.Thread(target=self._watch, name="peak-tracer", daemon=True).start()
        return self

    def reset(self) -> None:
        with self.lock_:
            self.high_, self.stack_ = 0.0, []

    def peak(self) -> tuple[float, list[str]]:
        with self.lock_:
            return self.high_, list(self.stack_)

    def stop(self) -> None:
        self.stop_.set()

    def _watch(self) -> None:
        while not self.stop_.wait(self.interval):
            mb = self.read_mb()
            if mb <= self.high_:
                continue
            lines = self._main_stack()
            with self.lock_:
                self.high_, self.stack_ = mb, lines

    def _main_stack(self) -> list[str]:
        """The main thread's frames of this package as text, innermost first. No frame object outlives this
        call: a kept frame would keep its locals (a stage's arrays) alive and change what is measured."""
        frame = sys._current_frames().get(self.main_)
        stack = traceback.extract_stack(frame) if frame is not None else []
        del frame
        ours = [f for f in stack if "site-packages" not in f.filename and "/lib/python" not in f.filename]
        return [f"{os.path.relpath(f.filename)}:{f.lineno} {f.name}" for f in reversed(ours)][: self.frames]
