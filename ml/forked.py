"""Row-local work on every core: contiguous chunks of rows computed in forked worker processes.

In: a function of a chunk of rows (a pandas Series / DataFrame or a list, re-indexed from 0) and its other
arguments. Out: the function's result per chunk, in row order; the caller joins them (``pd.concat``,
``np.concatenate``). Below ``PARALLEL_FROM`` rows, or on one core, the function runs once, in this process,
on all rows: a fork and the results' trip back cost more than they save on small inputs.

Workers are forked (as ``ml.profile.ner_spans`` does for the name recogniser), so they inherit the rows and
the loaded libraries: nothing is pickled on the way in, only each chunk's result on the way back. Each worker
freezes what it inherited out of its garbage collections (walking, and so copying, the parent's objects
cost a 50k run's filter workers about 1.4 s each). The function must be row-local (a row's result depends
on that row only) and must not rely on threads of the parent, which a fork does not copy; the pipeline
calls this before it starts any thread.

Used by the filter's per-row signals (``ml.filtering.rows``), which run before anything else is busy. Not
used for the behavioral features: they run while the background masker (``ml.runtime.mask_prefetch``) has
the other core, so forking them would only move that core's work from masking to features.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from ml.runtime.errors import default_sigterm

PARALLEL_FROM = 20_000
MAX_WORKERS = 4

_JOB: tuple[Callable, Any, tuple] | None = None  # a worker's function, rows and arguments (inherited)


def usable_cores() -> int:
    """The cores this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _chunk(rows: Any, start: int, stop: int) -> Any:
    if isinstance(rows, (pd.Series, pd.DataFrame)):
        return rows.iloc[start:stop].reset_index(drop=True)
    return rows[start:stop]


def _start_worker(func: Callable, rows: Any, args: tuple) -> None:
    """A worker's initializer: keeps its call's job, freezes what it inherited out of its collections, and
    dies on SIGTERM at once (``default_sigterm``)."""
    global _JOB
    _JOB = (func, rows, args)
    default_sigterm()
    gc.freeze()


def _work(bounds: tuple[int, int]) -> Any:
    func, rows, args = _JOB
    return func(_chunk(rows, *bounds), *args)


def map_rows(func: Callable, rows: pd.Series | pd.DataFrame | Sequence, *args: Any, workers: int | None = None,
             parallel_from: int | None = None) -> list:
    """``[func(chunk, *args) for chunk in chunks of rows]`` (see the module docstring). ``workers``: processes
    (None: the usable cores, at most ``MAX_WORKERS``); ``parallel_from`` (None: ``PARALLEL_FROM``): fewer rows
    than this are one chunk computed in this process."""
    n = len(rows)
    workers = min(MAX_WORKERS, usable_cores()) if workers is None else workers
    workers = min(workers, n)
    if workers <= 1 or n < (PARALLEL_FROM if parallel_from is None else parallel_from):
        return [func(_chunk(rows, 0, n), *args)]
    cuts = np.linspace(0, n, workers + 1).astype(int).tolist()
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start_worker,
                             initargs=(func, rows, args)) as pool:
        return list(pool.map(_work, pairwise(cuts)))
