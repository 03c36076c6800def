"""The assign worker process: `/assign`'s work runs there, so it does not compete with reads for the GIL.

`EncoderWorker` owns one long-lived child process (multiprocessing, "spawn" context;
`ml.runtime.encoder_process.serve`) that runs the whole assign of a batch: `assign(key, model,
requests)` sends the posted conversation records of each request and gets back one outcome per request
(`ml.runtime.assign_batch`: canonical frame, behavioral features, fusion, text encoding, placement →
`Placement` rows). Each run's model is sent to the child once (`load`, under a key chosen by the
caller: one per run's loaded model) and kept there until `forget(key)`; a fresh child gets the last
used model at start and the others again on their next call. The API process keeps validation,
queueing and the JSON answer.

The child runs at a lower priority (`os.nice`, default +10) with a bounded number of torch threads
(default `max(1, CPUs - 1)`: a core stays with the event loop on small machines), ignores Ctrl-C
(the server stops it) and exits when the API process goes away (its pipe closes). One call at a time:
callers queue on a lock, the bound lives in front of it (`backend.assign_queue`).

A child that dies while working (killed, out of memory, a native crash) or stays silent past
`call_timeout_s` fails that call with `EncoderUnavailable` (the requests get 503) and a fresh child is
started at once, loading the same model; a child that dies while idle is replaced on the next call
without failing it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from multiprocessing.connection import Connection, wait
from typing import Any

from ml.runtime.encoder_process import serve

log = logging.getLogger("backend")


class EncoderUnavailable(RuntimeError):
    """The assign worker process stopped (crashed, timed out or shut down) before answering."""


def default_threads() -> int:
    """Torch threads for the assign worker process: all CPUs this process may use but one (at least one)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2
    return max(1, usable - 1)


# -- the API side ---------------------------------------------------------------------------------
class EncoderWorker:
    """One assign worker process, started on first use, restarted after a crash; thread-safe.

    Parameters: `threads` (torch threads in the child; 0 = `default_threads()`), `nice` (priority
    increment of the child), `call_timeout_s` (an assign call running longer kills the child: 503),
    `start_timeout_s` (start-up or a model load, sentence model included, before the child answers).
    Attributes: `restarts` (children replaced after dying), `models_sent` (models sent to a child:
    once per key and child), `pid` (the current child, None if none).
    """

    def __init__(self, threads: int = 0, nice: int = 10, call_timeout_s: float = 120.0,
                 start_timeout_s: float = 300.0) -> None:
        self.threads, self.nice = threads or default_threads(), nice
        self.call_timeout_s, self.start_timeout_s = call_timeout_s, start_timeout_s
        self.restarts, self.models_sent = 0, 0
        self._starting = False  # the child's "ready" message is still to be read
        self._ctx = multiprocessing.get_context("spawn")
        self._proc: Any = None
        self._conn: Connection | None = None
        self._last: tuple[str, Any] | None = None  # (key, model) of the last call: a fresh child loads it
        self._loaded: set[str] = set()  # keys of the models the current child keeps
        self._lock = threading.Lock()  # one call on the pipe at a time
        # + 1 at every close: a call that spans a close fails and starts no child. A call reads it once,
        # under `_lock`; `close` changes it and takes its snapshot of the child under `_gen_lock`, which
        # `_start` holds too, so a child is either seen (and stopped) by the close or never started.
        self._generation = 0
        self._gen_lock = threading.Lock()
        self._proc_generation = 0

    @property
    def generation(self) -> int:
        """Changes at every `close`: a caller that records it can refuse to outlive a shutdown."""
        return self._generation

    @property
    def running(self) -> bool:
        """A child is started and has not exited (reaps it when it has)."""
        proc = self._proc
        return proc is not None and proc.is_alive()

    @property
    def pid(self) -> int | None:
        """The current child's pid; None before the first call and after `close`."""
        proc = self._proc
        return proc.pid if proc is not None and self._proc_generation == self._generation else None

    def assign(self, key: str, model: Any, requests: list[list[dict]], since: int | None = None) -> list:
        """One outcome per request (`ml.runtime.assign_batch.assign_conversations`), computed in the
        child with `model` (sent there first unless the child already keeps it under `key`). With
        `since` (a `generation`), a `close` after it fails the call instead of starting a child."""
        return self._call("assign", key, model, requests, since=since)

    def load(self, key: str, model: Any, since: int | None = None) -> int:
        """Start the process if needed and send it `model` under `key` (its sentence model loaded
        now); returns the child's pid."""
        return self._call("load", key, model, since=since)

    def forget(self, key: str, since: int | None = None) -> None:
        """The child drops the model kept under `key` (its run's queue is gone); no child is started for it
        (a child that dies under the drop is replaced, as under any call)."""
        with self._lock:
            if self._last is not None and self._last[0] == key:
                self._last = None
            generation = self._generation
            if key not in self._loaded or since not in (None, generation):
                return
            self._loaded.discard(key)
            if self._proc is not None and self._proc_generation == generation and self._proc.is_alive():
                try:
                    self._exchange("drop", (key,), generation)
                except EncoderUnavailable as exc:
                    log.warning("assign worker process: dropping model %s: %s", key, exc)

    def child_pid(self) -> int:
        """The pid the child itself reports (starting it if needed)."""
        return self._call("pid")

    def close(self, timeout: float = 5.0) -> None:
        """Stop the child; a call in flight fails with EncoderUnavailable ("the server is stopping").
        Nothing is left running; a later call starts a new child (an app started again)."""
        with self._gen_lock:  # waits for a child being started (spawn sends it the last model) to be seen
            self._generation += 1
            proc, conn = self._proc, self._conn
        if proc is None:
            return
        idle = self._lock.acquire(timeout=0.5)
        try:
            if idle and conn is not None:  # ask it to stop; else it is working: terminate
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
                if self._proc is proc:  # not a child a later call started meanwhile
                    self._proc = self._conn = None
        finally:
            if idle:
                self._lock.release()

    def _start(self, generation: int) -> None:
        """Start a child for a call of `generation`; none when a close came after that call began."""
        with self._gen_lock:
            if generation != self._generation:
                raise EncoderUnavailable("the server is stopping")
            self._spawn()

    def _spawn(self) -> None:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=serve, args=(child, self.threads, self.nice, self._last),
                                 name="personas-assign", daemon=True)
        proc.start()
        child.close()
        self._proc, self._conn, self._starting = proc, parent, True
        self._loaded = {self._last[0]} if self._last is not None else set()
        self.models_sent += self._last is not None
        self._proc_generation = self._generation

    def _call(self, op: str, *args: Any, since: int | None = None) -> Any:
        with self._lock:
            generation = self._generation  # what this call belongs to, read once (see `close`)
            if since is not None and since != generation:
                raise EncoderUnavailable("the server is stopping")  # work taken before a close
            if op in ("assign", "load"):
                self._last = args[:2]  # (key, model): a child started from here loads it at once
            if self._proc is not None and self._proc_generation != generation:
                self._stop_stale()  # stopped by a close while this call waited
            if self._proc is None:
                self._start(generation)
            elif not self._proc.is_alive():  # died while idle: replace it, this call is not lost
                # (a child killed a moment ago whose threads are still exiting is not yet reapable:
                # such a call finds it dead under the request instead, a 503)
                self._replace("died while idle", generation)
            if op == "pid":
                return self._exchange("pid", (), generation)
            key, model = args[:2]
            if key not in self._loaded:
                self.models_sent += 1
                pid = self._exchange("load", (key, model), generation, self.start_timeout_s)
                self._loaded.add(key)
                if op == "load":
                    return pid
            if op == "assign":
                return self._exchange("assign", (key, *args[2:]), generation)
            return self._exchange("pid", (), generation)

    def _stop_stale(self) -> None:
        assert self._proc is not None and self._conn is not None
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join(5)
        self._conn.close()
        self._proc = self._conn = None

    def _exchange(self, op: str, args: tuple, generation: int, timeout: float | None = None) -> Any:
        """Send one request to the child and return its answer; `timeout` (default `call_timeout_s`)
        without one kills the child (EncoderUnavailable). `generation`: the call's, read as it began."""
        assert self._conn is not None
        if self._starting:  # a fresh child: wait for it to load (not counted in call_timeout_s)
            ready = self._receive(self.start_timeout_s, "did not start")
            if isinstance(ready, str):
                return self._lost(ready, generation)
            self._starting = False
        try:
            self._conn.send((op, *args))
        except (BrokenPipeError, ConnectionResetError):
            return self._lost("stopped", generation)
        answer = self._receive(timeout or self.call_timeout_s, "did not answer")
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
        self._replace(f"{why} while working", generation)
        raise EncoderUnavailable(f"the assign worker process {why} while serving this request (a new one is starting)")

    def _replace(self, why: str, generation: int) -> None:
        """Kill what is left of the child and start a fresh one (it loads the last model at once)."""
        old = self._proc
        if old is not None and old.is_alive():
            old.kill()
        if old is not None:
            old.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None
        self._start(generation)  # raises, starting nothing, when a close came after the call began
        self.restarts += 1
        log.error("assign worker process %s %s (exit code %s); restarted as %s",
                  getattr(old, "pid", None), why, getattr(old, "exitcode", None), self.pid)
