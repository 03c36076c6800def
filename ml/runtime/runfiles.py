"""What both run writers (conversations: ``ml.runtime.rundir``, events: ``ml.events.rundir``) share:
the assignments table's columns and strict JSON output.

JSON is written with NaN/inf as ``null`` (``json.dumps`` would otherwise write ``NaN``, which is not
JSON and which browsers' ``JSON.parse`` rejects), numpy scalars and arrays as plain numbers/lists,
timestamps as ISO 8601.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

ASSIGNMENT_COLUMNS = ["member_id", "persona_id", "reassigned", "distance", "x", "y",
                      "text", "author", "timestamp", "n_messages"]


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
