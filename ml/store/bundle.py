"""A published run as plain data, read from a run directory."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class RunBundle:
    run_id: str
    manifest: dict[str, Any]
    personas: list[dict[str, Any]]
    members: pd.DataFrame  # assignments.parquet (member_id, persona_id, reassigned, distance, x, y, text, ...)
    strategies: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dir(cls, run_dir: str | Path) -> RunBundle:
        run_dir = Path(run_dir)
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        personas = json.loads((run_dir / "personas.json").read_text(encoding="utf-8"))
        members = pd.read_parquet(run_dir / "assignments.parquet")
        strategies_path = run_dir / "strategies.json"
        strategies = json.loads(strategies_path.read_text(encoding="utf-8")) if strategies_path.exists() else {}
        manifest.setdefault("run_dir", str(run_dir.resolve()))
        return cls(manifest["run_id"], manifest, personas, members, strategies)
