"""Synthetic comparisons for the store contract and API tests: two made-up runs with known structure
compared by the real ``ml.lineage.compare_runs`` (no embedding model needed), so the documents have the
real shape and size. Contents are made up; no quality claim rests on them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.lineage import LineageConfig, compare_runs
from ml.lineage.snapshot import RunSnapshot, member_table
from ml.runtime.contracts.compare import Comparison

DIM = 32


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _profile(run_id: str, pid: int, rng: np.random.Generator) -> dict:
    hourly = rng.random(24)
    return {"id": pid, "name": f"{run_id} persona {pid} about refunds and late deliveries",
            "top_terms": [{"term": f"term{pid}_{k}_{rng.integers(3)}"} for k in range(10)],
            "activity": {"hourly": (hourly / hourly.sum()).tolist(), "weekday": [1 / 7] * 7, "has_timestamps": True},
            "fingerprint": [{"feature": f"feature_{k}", "std_diff": float(rng.normal())} for k in range(12)]}


def snapshot(run_id: str, centroids: np.ndarray, persona_of: np.ndarray, seed: int) -> RunSnapshot:
    """A run whose member ``i`` is author ``user{i}`` in persona ``persona_of[i]``."""
    rng = np.random.default_rng(seed)
    n = len(centroids)
    members = pd.DataFrame({"member_id": [f"{run_id}:m{i}" for i in range(len(persona_of))],
                            "persona_id": persona_of.astype(np.int64),
                            "author": [f"user{i}" for i in range(len(persona_of))]})
    return RunSnapshot(run_id=run_id, kind="conversations", unit="message", space="synthetic",
                       persona_ids=np.arange(n), centroids=_unit(centroids), members=member_table(members),
                       profiles={pid: _profile(run_id, pid, rng) for pid in range(n)})


def make_comparison(base_id: str, new_id: str, n_personas: int = 6, per_persona: int = 20, moved: float = 0.1,
                    seed: int = 0) -> Comparison:
    """``new_id`` against ``base_id``: the same personas (centroids moved a little) but the last one died
    and a new one was born; ``moved`` of the recurring authors changed persona."""
    rng = np.random.default_rng(seed)
    base_c = rng.normal(size=(n_personas, DIM))
    new_c = base_c + 0.05 * rng.normal(size=base_c.shape)
    new_c[-1] = rng.normal(size=DIM)  # born (and the base's last persona died)
    persona_of = np.repeat(np.arange(n_personas), per_persona)
    now = persona_of.copy()
    moving = rng.random(len(now)) < moved
    now[moving] = rng.integers(0, n_personas, size=int(moving.sum()))
    cfg = LineageConfig(max_moves=max(1000, len(now)))
    return compare_runs(snapshot(base_id, base_c, persona_of, seed), snapshot(new_id, new_c, now, seed + 1), cfg)
