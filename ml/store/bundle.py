"""A published run as plain data, read from a run directory.

``RunBundle.model`` is the run's persona model as the bytes of ``RUN_DIR/model/persona_model.joblib``
(conversation runs) or ``RUN_DIR/model/event_model.joblib`` (event runs), unchanged: the store keeps
them so an API server needs nothing but the store URL. The pickle holds the fitted stages and the
centroids, not the sentence encoder's weights (those load from the installed package).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

#: model kind -> the file a run directory keeps it in (the `MODEL_FILE` of ml.runtime.model / ml.events.model)
MODEL_FILES = {"conversations": "persona_model.joblib", "events": "event_model.joblib"}
#: The run's comparison with its baseline, written by ``python -m ml.run --baseline`` (ml.runtime.series)
COMPARISON_FILE = "comparison.json"


@dataclass(frozen=True)
class StoredModel:
    """A persona model as stored: its kind ("conversations" | "events") and the joblib file's bytes."""

    kind: str
    data: bytes

    def __post_init__(self) -> None:
        if self.kind not in MODEL_FILES:
            raise ValueError(f"model kind {self.kind!r} is not one of {', '.join(MODEL_FILES)}")
        if not isinstance(self.data, bytes) or not self.data:
            raise ValueError("a stored model needs its file's bytes (got none)")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def info(self) -> dict[str, Any]:
        """What `RunStore.get_model_info` answers: kind, size in bytes and sha256."""
        return {"kind": self.kind, "size": len(self.data), "sha256": self.sha256}

    @classmethod
    def from_dir(cls, run_dir: str | Path) -> StoredModel | None:
        """The model file of `run_dir` (`model/` inside it, or the model folder itself); None without one."""
        run_dir = Path(run_dir)
        for kind, name in MODEL_FILES.items():
            for path in (run_dir / "model" / name, run_dir / name):
                if path.is_file():
                    return cls(kind, path.read_bytes())
        return None


@dataclass
class RunBundle:
    run_id: str
    manifest: dict[str, Any]
    personas: list[dict[str, Any]]
    members: pd.DataFrame  # assignments.parquet (member_id, persona_id, reassigned, distance, x, y, text, ...)
    strategies: dict[str, Any] = field(default_factory=dict)
    model: StoredModel | None = None  # published with the run, in the same all-or-nothing publish
    comparison: dict[str, Any] | None = None  # comparison.json: the run against its baseline (ml.store.series)

    @classmethod
    def from_dir(cls, run_dir: str | Path) -> RunBundle:
        run_dir = Path(run_dir)
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        personas = json.loads((run_dir / "personas.json").read_text(encoding="utf-8"))
        members = pd.read_parquet(run_dir / "assignments.parquet")
        strategies_path = run_dir / "strategies.json"
        strategies = json.loads(strategies_path.read_text(encoding="utf-8")) if strategies_path.exists() else {}
        comparison_path = run_dir / COMPARISON_FILE
        comparison = json.loads(comparison_path.read_text(encoding="utf-8")) if comparison_path.exists() else None
        manifest.setdefault("run_dir", str(run_dir.resolve()))
        return cls(manifest["run_id"], manifest, personas, members, strategies, StoredModel.from_dir(run_dir),
                   comparison)
