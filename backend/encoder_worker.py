"""The text encoder in its own process, so `/assign` does not compete with reads for the GIL.

`EncoderWorker` owns one long-lived child process (multiprocessing, "spawn" context) that loads the
sentence model once and turns texts into vectors: `encode(embedder, texts)` sends the run's fitted
`SentenceEmbedder` (a few fields) and the texts over a pipe and gets back an `(n, 384)` array. The API
process keeps the light work (behavioral features, fusion, nearest-centroid placement: see
`PersonaModel.predict_many(frames, encode=...)`).

The child runs at a lower priority (`os.nice`, default +10) with a bounded number of torch threads
(default `max(1, CPUs - 1)`: a core stays with the event loop on small machines), ignores Ctrl-C
(the server stops it) and exits when the API process goes away (its pipe closes). One call at a time:
callers queue on a lock, the bound lives in front of it (`backend.assign_queue`).

A child that dies while encoding (killed, out of memory, a native crash) fails that call with
`EncoderUnavailable` (the request gets 503) and a fresh child is started at once, loading the same
model; a child that dies while idle is replaced on the next call without failing it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from multiprocessing.connection import Connection, wait
from typing import Any

import numpy as np

from ml.runtime.encoder_process import serve

log = logging.getLogger("backend")


class EncoderUnavailable(RuntimeError):
    """The encoder process stopped (crashed, timed out or shut down) before answering."""


def default_threads() -> int:
    """Torch threads for the encoder: all CPUs this process may use but one (at least one)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2
    return max(1, usable - 1)


# -- the API side ---------------------------------------------------------------------------------
class EncoderWorker:
    """One encoder process, started on first use, restarted after a crash; thread-safe.

    Parameters: `threads` (torch threads in the child; 0 = `default_threads()`), `nice` (priority
    increment of the child), `call_timeout_s` (a call running longer kills the child: 503),
    `start_timeout_s` (start-up, with the model load, before the child's first answer).
    Attributes: `restarts` (children replaced after dying), `pid` (the current child, None if none).
    """

    def __init__(self, threads: int = 0, nice: int = 10, call_timeout_s: float = 120.0,
                 start_timeout_s: float = 300.0) -> None:
        self.threads, self.nice = threads or default_threads(), nice
        self.call_timeout_s, self.start_timeout_s = call_timeout_s, start_timeout_s
        self.restarts = 0
        self._starting = False  # the child's "ready" message is still to be read
        self._ctx = multiprocessing.get_context("spawn")
        self._proc: Any = None
        self._conn: Connection | None = None
        self._last_embedder: Any = None
        self._lock = threading.Lock()  # one call on the pipe at a time
        self._generation = 0  # + 1 at every close: a call that spans a close does not restart the child
        self._proc_generation = 0

    @property
    def generation(self) -> int:
        """Changes at every `close`: a caller that records it can refuse to outlive a shutdown."""
        return self._generation

    @property
    def pid(self) -> int | None:
        """The current child's pid; None before the first call and after `close`."""
        proc = self._proc
        return proc.pid if proc is not None and self._proc_generation == self._generation else None

    def encode(self, embedder: Any, texts: list[str], since: int | None = None) -> np.ndarray:
        """Vectors of `texts` by `embedder` (its `transform`), computed in the encoder process.
        With `since` (a `generation`), a `close` after it fails the call instead of starting a child."""
        self._last_embedder = embedder
        return self._call("encode", embedder, list(texts), since=since)

    def encode_fn(self, embedder: Any, since: int | None = None):
        """`texts -> vectors` for `PersonaModel.predict_many(frames, encode=...)`."""
        return lambda texts: self.encode(embedder, texts, since)

    def warm(self, embedder: Any, since: int | None = None) -> int:
        """Start the process if needed and load `embedder`'s model; returns the child's pid."""
        self._last_embedder = embedder
        return self._call("warm", embedder, since=since)

    def child_pid(self) -> int:
        """The pid the child itself reports (starting it if needed)."""
        return self._call("pid")

    def close(self, timeout: float = 5.0) -> None:
        """Stop the child; a call in flight fails with EncoderUnavailable ("the server is stopping").
        Nothing is left running; a later call starts a new child (an app started again)."""
        self._generation += 1
        proc, conn = self._proc, self._conn
        if proc is None:
            return
        idle = self._lock.acquire(timeout=0.5)
        try:
            if idle and conn is not None:  # ask it to stop; else it is encoding: terminate
                try:
                    conn.send(("stop",))
                except OSError:
                    pass
                proc.join(min(timeout, 2.0))
            for stop in (proc.terminate, proc.kill):
                if proc.is_alive():
                    stop()
                    proc.join(timeout)
            if idle and conn is not None:
                conn.close()
                self._proc = self._conn = None
        finally:
            if idle:
                self._lock.release()

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=serve, args=(child, self.threads, self.nice, self._last_embedder),
                                 name="personas-encoder", daemon=True)
        proc.start()
        child.close()
        self._proc, self._conn, self._starting = proc, parent, True
        self._proc_generation = self._generation

    def _call(self, op: str, *args: Any, since: int | None = None) -> Any:
        with self._lock:
            if since is not None and since != self._generation:
                raise EncoderUnavailable("the server is stopping")  # work taken before a close
            if self._proc is not None and self._proc_generation != self._generation:
                self._stop_stale()  # stopped by a close while this call waited
            if self._proc is None:
                self._start()
            elif wait([self._proc.sentinel], timeout=0):  # died while idle: replace it, this call is not lost
                self._replace("died while idle")
            return self._exchange(op, args)

    def _stop_stale(self) -> None:
        assert self._proc is not None and self._conn is not None
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join(5)
        self._conn.close()
        self._proc = self._conn = None

    def _exchange(self, op: str, args: tuple) -> Any:
        assert self._conn is not None
        generation = self._generation
        if self._starting:  # a fresh child: wait for it to load (not counted in call_timeout_s)
            ready = self._receive(self.start_timeout_s, "did not start")
            if isinstance(ready, str):
                return self._lost(ready, generation)
            self._starting = False
        try:
            self._conn.send((op, *args))
        except (BrokenPipeError, ConnectionResetError):
            return self._lost("stopped", generation)
        answer = self._receive(self.call_timeout_s, "did not answer")
        if isinstance(answer, str):
            return self._lost(answer, generation)
        status, value = answer
        if status == "error":
            raise value
        return value

    def _receive(self, timeout: float, silent: str) -> tuple | str:
        """The child's next message, or why there is none: "stopped" (it died) or `silent` plus
        the timeout (it stayed silent for `timeout` s)."""
        assert self._proc is not None and self._conn is not None
        if not wait([self._conn, self._proc.sentinel], timeout=timeout):
            return f"{silent} within {timeout:g} s"
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            return "stopped"

    def _lost(self, why: str, generation: int) -> Any:
        """The child died or hung under a call: replace it and fail the call (not when `close`
        stopped it: then the call fails and nothing is started)."""
        if generation != self._generation:
            raise EncoderUnavailable("the server is stopping")
        self._replace(f"{why} while encoding")
        raise EncoderUnavailable(f"the text encoder {why} while serving this request (a new one is starting)")

    def _replace(self, why: str) -> None:
        """Kill what is left of the child and start a fresh one (it loads the last model at once)."""
        old = self._proc
        if old is not None and old.is_alive():
            old.kill()
        if old is not None:
            old.join(5)
        if self._conn is not None:
            self._conn.close()
        self.restarts += 1
        self._start()
        log.error("encoder process %s %s (exit code %s); restarted as %s",
                  getattr(old, "pid", None), why, getattr(old, "exitcode", None), self.pid)
