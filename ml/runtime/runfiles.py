"""What both run writers (conversations: ``ml.runtime.rundir``, events: ``ml.events.rundir``) share: the
assignments table's columns (``ml.runtime.contracts.AssignmentRow``), the contract documents
(``manifest.json``, ``personas.json``) and strict JSON output.

JSON is written with NaN/inf as ``null`` (``json.dumps`` would otherwise write ``NaN``, which is not
JSON and which browsers' ``JSON.parse`` rejects), numpy scalars and arrays as plain numbers/lists,
timestamps as ISO 8601.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

from ml.cluster.reassign import core_confidence
from ml.runtime.contracts import (
    ASSIGNMENT_COLUMNS,
    ConversationPersonaRecord,
    EventPersonaRecord,
    PersonaProfile,
)

__all__ = ["ASSIGNMENT_COLUMNS", "persona_records", "with_confidence", "write_documents", "write_json"]

_RECORDS = {"conversations": ConversationPersonaRecord, "events": EventPersonaRecord}


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return _finite(obj.tolist())
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    if obj is pd.NA or obj is pd.NaT:
        return None
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _finite(obj):
    """NaN/inf floats → None, recursively."""
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def write_json(path: Path, data) -> None:
    """Write ``data`` as strict, indented UTF-8 JSON."""
    path.write_text(json.dumps(_finite(data), indent=2, ensure_ascii=False, default=_json_default,
                               allow_nan=False), encoding="utf-8")


def write_json_replacing(path: Path, data) -> None:
    """``write_json`` into a new hidden file beside ``path`` (a name of its own per call), then put it in place
    with one rename: an error, Ctrl-C or SIGTERM while writing leaves an earlier ``path`` whole."""
    staged = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        write_json(staged, data)
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


def with_confidence(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (the assignment columns but ``confidence``) with ``confidence`` (``core_confidence``),
    its columns in ``ASSIGNMENT_COLUMNS`` order."""
    frame = frame.copy(deep=False)  # copy-on-write (pandas 3): the caller's frame keeps its columns
    frame["confidence"] = core_confidence(frame["persona_id"], frame["distance"], frame["reassigned"])
    if "placed" not in frame:  # only sample-fitted conversation runs place members
        frame["placed"] = False
    if "subpersona_id" not in frame:  # only conversation runs split personas (level 2)
        frame["subpersona_id"] = pd.array([None] * len(frame), dtype="Int64")
    return frame[ASSIGNMENT_COLUMNS]


def persona_records(personas: list[PersonaProfile], members: pd.DataFrame) -> list:
    """The ``personas.json`` records: each profile with its ``member_ids`` (from ``members``' persona_id)."""
    ids = members.groupby("persona_id")["member_id"].apply(lambda s: [str(x) for x in s])
    return [_RECORDS[p.kind](**dict(p), member_ids=ids.get(p.id, [])) for p in personas]


def write_documents(result, folder: Path, run_dir: Path, assignments: pd.DataFrame) -> None:
    """Write a run's files into ``folder``: ``assignments.parquet``, ``personas.json``, ``model/`` and
    ``manifest.json`` (naming ``run_dir``; written last, its presence marks a complete run). ``result``:
    a ``PipelineResult`` or ``EventRunResult`` (``manifest``, ``personas``, ``members``, ``model``)."""
    assignments.to_parquet(folder / "assignments.parquet", index=False)
    records = persona_records(result.personas, result.members)
    write_json(folder / "personas.json", [r.model_dump(mode="json") for r in records])
    result.model.save(folder / "model")
    manifest = result.manifest.model_copy(update={"run_dir": str(run_dir)})
    write_json(folder / "manifest.json", manifest.model_dump(mode="json"))
