"""Writes a run directory: ``manifest.json``, ``assignments.parquet``, ``personas.json`` and ``model/``.

``write_run_files(result, folder, run_dir)`` fills a staging folder whose manifest names ``run_dir``, the
path it will be moved to; the command line stages, publishes and swaps it in through
``ml.runtime.atomic.RunDirectory``. ``write_run(result, out_dir)`` does all of that without a store: ``out_dir``
must be absent, empty or an earlier run directory, and a failed write never replaces the last good run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ml.runtime.atomic import RunDirectory
from ml.runtime.pipeline import PipelineResult
from ml.runtime.runfiles import with_confidence, write_documents


def assignments_frame(members: pd.DataFrame) -> pd.DataFrame:
    """The assignments table: ids, persona, flags, map coordinates, the text (the pipeline's members carry it
    masked: ``PersonaPipeline``'s mask stage) and ``confidence`` (``core_confidence``)."""
    ts = members["timestamp"] if "timestamp" in members else pd.Series([pd.NaT] * len(members))
    frame = pd.DataFrame(
        {
            "member_id": members["member_id"].astype(str).array,  # string arrays, not 1M Python str objects
            "persona_id": members["persona_id"].astype(np.int64).to_numpy(),
            "reassigned": members["reassigned"].astype(bool).to_numpy(),
            "placed": members["placed"].astype(bool).to_numpy() if "placed" in members else False,
            "distance": members["distance"].astype(np.float64).to_numpy(),
            "x": members["x"].astype(np.float64).to_numpy(),
            "y": members["y"].astype(np.float64).to_numpy(),
            "text": members["text"].fillna("").astype(str).array,
            "author": [None if pd.isna(a) else str(a) for a in members.get("author", [None] * len(members))],
            "timestamp": [None if pd.isna(t) else pd.Timestamp(t).isoformat() for t in ts],
            "n_messages": members.get("n_messages", pd.Series(1, index=members.index)).astype(np.int64).to_numpy(),
            "subpersona_id": (members["subpersona_id"].astype("Int64").array if "subpersona_id" in members
                              else pd.array([None] * len(members), dtype="Int64")),
        }
    )
    return with_confidence(frame)


def write_run_files(result: PipelineResult, folder: Path, run_dir: Path) -> None:
    """Write the run's files into ``folder``; the manifest's ``run_dir`` names ``run_dir``."""
    write_documents(result, folder, run_dir, assignments_frame(result.members))


def write_run(result: PipelineResult, out_dir: str | Path) -> Path:
    """Write the run directory ``out_dir`` (checked first, replaced only when complete); its path."""
    target = RunDirectory(out_dir).check()
    return target.commit(lambda tmp: write_run_files(result, tmp, target.path))
