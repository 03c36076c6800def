"""Writes an event run directory atomically, with the same files as a conversation run (CONTRACTS §3).

``write_event_run(result, out_dir)`` writes ``manifest.json`` (with ``kind: "events"``),
``assignments.parquet`` (``member_id``, ``persona_id``, ``reassigned`` = flagged mixed, ``distance`` =
1 − margin, ``x``, ``y``, ``text`` = the user's event mix, ``author`` (None), ``timestamp`` (first event or
None), ``n_messages`` = events in the window, ``confidence``), ``personas.json`` (profiles + ``member_ids``) and
``model/`` (``EventRunModel``). ``write_event_run_files(result, folder, run_dir)`` fills a staging folder
whose manifest names ``run_dir``; the command line stages, publishes and swaps it in through
``ml.runtime.atomic.RunDirectory``, so a failed run never replaces an earlier good one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ml.profile.masking import mask_texts
from ml.runtime.atomic import RunDirectory
from ml.runtime.runfiles import ASSIGNMENT_COLUMNS, with_confidence, write_documents

__all__ = ["ASSIGNMENT_COLUMNS", "assignments_frame", "write_event_run", "write_event_run_files"]


def assignments_frame(members: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({
        "member_id": members["member_id"].astype(str).to_numpy(),
        "persona_id": members["persona_id"].astype(np.int64).to_numpy(),
        "reassigned": members["reassigned"].astype(bool).to_numpy(),
        "distance": members["distance"].astype(np.float64).to_numpy(),
        "x": members["x"].astype(np.float64).to_numpy(),
        "y": members["y"].astype(np.float64).to_numpy(),
        "text": mask_texts((str(t) for t in members["text"]), names=False),  # event mixes name no one
        "author": pd.Series([None] * len(members), dtype=object),
        "timestamp": pd.Series(list(members["timestamp"]), dtype=object),
        "n_messages": members["n_messages"].astype(np.int64).to_numpy(),
    })
    return with_confidence(frame)


def write_event_run_files(result, folder: Path, run_dir: Path) -> None:
    """Write an ``EventRunResult``'s files into ``folder``; the manifest's ``run_dir`` names ``run_dir``."""
    write_documents(result, folder, run_dir, assignments_frame(result.members))


def write_event_run(result, out_dir: str | Path) -> Path:
    """Write the run directory for an ``EventRunResult`` without a store; returns its resolved path."""
    target = RunDirectory(out_dir).check()
    return target.commit(lambda tmp: write_event_run_files(result, tmp, target.path))
