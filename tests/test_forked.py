"""`ml.forked.map_rows`: row-local work in forked workers, chunks back in row order."""

from __future__ import annotations

import os
import time

import pandas as pd

from ml import forked


def _pid_and_rows(chunk, offset, pause=0.0):
    time.sleep(pause)  # long enough that every worker takes a chunk (the pool hands them to whoever is free)
    return os.getpid(), [x + offset for x in (chunk.tolist() if hasattr(chunk, "tolist") else chunk)]


def test_map_rows_chunks_in_order_in_worker_processes():
    rows = list(range(10))
    parts = forked.map_rows(_pid_and_rows, rows, 100, 0.5, workers=3, parallel_from=0)
    assert [x for _, part in parts for x in part] == [x + 100 for x in rows]
    assert len(parts) == 3 and all(len(p) >= 3 for _, p in parts)
    pids = {pid for pid, _ in parts}
    assert len(pids) == 3 and os.getpid() not in pids
    series = pd.Series(range(5), index=[9, 7, 5, 3, 1])  # chunks are re-indexed from 0
    parts = forked.map_rows(lambda c: c.index.tolist(), series, workers=2, parallel_from=0)
    assert parts == [[0, 1], [0, 1, 2]]


def test_map_rows_stays_in_process_below_the_threshold_or_with_one_row():
    for rows, kwargs in ((list(range(50)), {"workers": 4}), ([7], {"workers": 4, "parallel_from": 0}),
                         (list(range(50)), {"workers": 1, "parallel_from": 0})):
        parts = forked.map_rows(_pid_and_rows, rows, 0, **kwargs)
        assert len(parts) == 1 and parts[0] == (os.getpid(), rows)
