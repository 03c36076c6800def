"""Per-stage timings, peak memory and package versions that a run records in its manifest.

``StageTimer(log)`` times named stages: ``with timer.stage("embed"): ...`` logs "embed ..." and
"embed done in 1.2s" through ``log`` and stores the seconds in ``timings_[name]`` and the process's
peak RSS (MB) so far in ``peak_rss_[name]``. ``timer.summary(started)`` gives the manifest fields
``timings_s`` (with ``total`` since ``started``, a ``time.perf_counter()`` value), ``peak_rss_mb``
and ``peak_rss_mb_by_stage``. After each stage the freed memory is handed back (``release_memory``) and
the log line gives the memory now and the peak so far. ``package_versions(names)`` maps python, personas
and each package to its installed version ("not installed" when missing).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

from ml.runtime.peaktrace import PeakTracer, tracing_requested


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB (Linux ``ru_maxrss`` is in KB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def rss_mb() -> float:
    """The process's resident memory now, in MB (0.0 where ``/proc`` is not there)."""
    try:
        with open("/proc/self/statm") as f:
            return round(int(f.read().split()[1]) * resource.getpagesize() / 2**20, 1)
    except OSError:
        return 0.0


def _libc():
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return lib if hasattr(lib, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc()


def release_memory() -> None:
    """Collect garbage and hand the freed heap back to the OS (glibc's ``malloc_trim``, and Arrow's memory
    pool, which held 330 MB after reading 1M rows; elsewhere only the collection). Between stages, so that what one stage freed is not still counted in the next one's RSS."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
    if "pyarrow" in sys.modules:  # pandas' string columns live in Arrow's own pool, which keeps freed pages
        sys.modules["pyarrow"].default_memory_pool().release_unused()


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """``{"python": ..., "personas": ..., name: version}`` for each package in ``names``."""
    out = {"python": platform.python_version(), "personas": __import__("ml").__version__}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


class StageTimer:
    """Times named stages; ``timings_`` (seconds) and ``peak_rss_`` (MB) are keyed by stage name."""

    def __init__(self, log: Callable[[str], None] | None = None):
        self.log = log or (lambda msg: None)
        self.timings_: dict[str, float] = {}
        self.peak_rss_: dict[str, float] = {}
        self.tracer_ = PeakTracer(rss_mb).start() if tracing_requested() else None  # ml.runtime.peaktrace

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name`` (nothing is recorded when the block raises)."""
        self.log(f"{name} ...")
        if self.tracer_ is not None:
            self.tracer_.reset()
        start = time.perf_counter()
        yield
        self.timings_[name] = round(time.perf_counter() - start, 3)
        self.peak_rss_[name] = peak_rss_mb()
        release_memory()
        self.log(f"{name} done in {self.timings_[name]:.1f}s (memory now {rss_mb():,.0f} MB, peak {self.peak_rss_[name]:,.0f} MB)")
        if self.tracer_ is not None:
            mb, stack = self.tracer_.peak()
            self.log(f"{name} peak {mb:,.0f} MB at " + " ← ".join(stack))

    def summary(self, started: float) -> dict[str, Any]:
        """Manifest fields ``timings_s`` (``total`` since ``started``), ``peak_rss_mb``, ``peak_rss_mb_by_stage``."""
        self.timings_["total"] = round(time.perf_counter() - started, 3)
        return {"timings_s": dict(self.timings_), "peak_rss_mb": peak_rss_mb(),
                "peak_rss_mb_by_stage": dict(self.peak_rss_)}
