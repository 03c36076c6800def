"""Run ``python -m ml.run`` with the defaults (or ``--config``) on labelled sets and score the personas, with
k-means told the true k on the same embeddings beside them (docs/ablations.md, "Neighbours that follow the smallest
persona").

    python scripts/make_small_sets.py --out-dir small
    python scripts/eval_small_sets.py --data-dir small --seeds 0 1 2 --runs-dir /tmp/small --json small.json
    python scripts/eval_small_sets.py --data-dir small --seeds 0 1 2 --runs-dir /tmp/small30 --config nn30.yaml \
        --no-kmeans                                   # nn30.yaml: {reduce: {n_neighbors: 30}}

A set is a CSV of ``id``, ``text``, ``category`` (``--sets`` picks them by file name). Scores as
``scripts/eval_longtail.py`` gives them: NMI / ARI / ACC after reassignment, personas against the classes of at least
0.2 % and 10 texts, the largest persona's share and purity. Prints a Markdown table; ``--json`` keeps every row.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.eval_longtail import score

SETS = ["b77test", "b77t20", "gn15", "tw800", "mix2dom"]


def run_set(path: Path, seed: int, out: Path, config: str | None) -> tuple[dict | None, float]:
    """One ``ml.run`` of ``path`` (labels for evaluation only): its assignments' scores and the wall seconds."""
    cmd = [sys.executable, "-m", "ml.run", str(path), "--text-col", "text", "--id-col", "id", "--label-col",
           "category", "--out", str(out), "--no-store", "--seed", str(seed)] + (["--config", config] if config else [])
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        print(f"{path.name} seed {seed}: ml.run failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None, wall
    labels = pd.read_csv(path, dtype={"id": str}).set_index("id")["category"]
    members = pd.read_parquet(out / "assignments.parquet")
    y = members["member_id"].astype(str).map(labels).to_numpy()
    return score("ours", y, members["persona_id"].to_numpy(), members["subpersona_id"].astype(str).to_numpy()), wall


def kmeans_rows(path: Path, seeds: list[int]) -> list[dict]:
    from scripts.ablation.data import DatasetSpec, prepare
    from scripts.ablation.evaluate import Experiment

    prepared = prepare(DatasetSpec(path.stem, [str(path)], ["category"]))
    exp, y = Experiment(prepared, seeds=seeds), np.asarray(prepared.labels["category"])
    return [{**score("k-means, true k", y, exp._true_k(seed)["final"]), "seed": seed} for seed in seeds]


def _mean(rows: list[dict], key: str) -> float:
    return float(np.mean([r[key] for r in rows]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default="small-sets")
    p.add_argument("--sets", nargs="+", default=SETS)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--runs-dir", default="small-runs")
    p.add_argument("--config", default=None, help="a PipelineConfig file for the runs (default: the defaults)")
    p.add_argument("--no-kmeans", action="store_true", help="skip the k-means told k rows")
    p.add_argument("--json", default=None)
    args = p.parse_args()
    rows, lines = [], ["| set | method | personas per seed (target) | NMI / ARI / ACC (mean) | largest: share / purity |",
                       "|---|---|---|---|---|"]
    for name in args.sets:
        path = Path(args.data_dir) / f"{name}.csv"
        ours = []
        for seed in args.seeds:
            row, wall = run_set(path, seed, Path(args.runs_dir) / f"{name}_s{seed}", args.config)
            if row is not None:
                ours.append({**row, "seed": seed, "set": name, "wall_s": round(wall, 1)})
        methods = [("ours", ours)] + ([] if args.no_kmeans else [("k-means, true k", kmeans_rows(path, args.seeds))])
        for method, got in methods:
            if not got:
                continue
            rows += [{**r, "set": name} for r in got]
            lines.append(f"| {name} | {method} | {', '.join(str(r['personas']) for r in got)} ({got[0]['target_count']}) | "
                         f"{_mean(got, 'nmi'):.3f} / {_mean(got, 'ari'):.3f} / {_mean(got, 'acc'):.3f} | "
                         f"{_mean(got, 'largest_share'):.3f} / {_mean(got, 'largest_purity'):.2f} |")
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
