"""Per-stage timings, peak memory and package versions that a run records in its manifest.

``StageTimer(log)`` times named stages: ``with timer.stage("embed"): ...`` logs "embed ..." and
"embed done in 1.2s" through ``log`` and stores the seconds in ``timings_[name]`` and the process's
peak RSS (MB) so far in ``peak_rss_[name]``. ``timer.summary(started)`` gives the manifest fields
``timings_s`` (with ``total`` since ``started``, a ``time.perf_counter()`` value), ``peak_rss_mb``
and ``peak_rss_mb_by_stage``. ``package_versions(names)`` maps python, personas and each package
to its installed version ("not installed" when missing).
"""

from __future__ import annotations

import platform
import resource
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB (Linux ``ru_maxrss`` is in KB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


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

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name`` (nothing is recorded when the block raises)."""
        self.log(f"{name} ...")
        start = time.perf_counter()
        yield
        self.timings_[name] = round(time.perf_counter() - start, 3)
        self.peak_rss_[name] = peak_rss_mb()
        self.log(f"{name} done in {self.timings_[name]:.1f}s")

    def summary(self, started: float) -> dict[str, Any]:
        """Manifest fields ``timings_s`` (``total`` since ``started``), ``peak_rss_mb``, ``peak_rss_mb_by_stage``."""
        self.timings_["total"] = round(time.perf_counter() - started, 3)
        return {"timings_s": dict(self.timings_), "peak_rss_mb": peak_rss_mb(),
                "peak_rss_mb_by_stage": dict(self.peak_rss_)}
