"""Default settings on long-tailed labelled data: a few large classes and many small ones, as real dumps are.

    python scripts/eval_longtail.py --seeds 0 1 2 --json bench-results/longtail.json
    python scripts/eval_longtail.py --runs-dir /tmp/longtail --score-only   # score runs made before

Three sets built from ../shared/data with fixed seeds (written to ``--runs-dir``/data):

- ``b77_zipf``: Banking77 (train + test) with intent sizes on a Zipf-like law, 600·r^-0.943 for rank r (the 77th
  gets 10), each capped at the texts the intent holds (its largest holds 227), so 2,686 texts, 42 intents of ≤ 20;
- ``gnews6k``: a random 6,000 texts of GoogleNews-TS, clusters with ≥ 3 of them kept (already long-tailed);
- ``b77_10big``: Banking77 with 10 intents whole and the other 67 at 8–15 texts each.

Each set runs through ``python -m ml.run`` with the defaults (``--label-col`` only scores), per seed. Scored after
reassignment on all kept members (``ml.metrics.label_scores``; ``persona_shape`` as docs/ablations.md): NMI / ARI /
ACC, personas against the count target, the largest persona's share and purity, and how many small classes
(≤ ``SMALL`` texts) are the commonest label of a persona holding ≥ 50 % of it, and of a sub-persona. Beside it,
k-means told the true k on the same MiniLM vectors (``Experiment._true_k``). Prints a table, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.ablation.data import SHARED_DATA, DatasetSpec, prepare
from scripts.ablation.evaluate import Experiment, persona_shape

SMALL = 20  # texts from which a class is no longer "small"


def build_sets(folder: Path) -> dict[str, Path]:
    """The three long-tailed sets as CSVs (id, text, category) under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    bank = pd.concat([pd.read_csv(SHARED_DATA / "banking77" / f) for f in ("train.csv", "test.csv")],
                     ignore_index=True)
    avail = bank["category"].value_counts()
    rng = np.random.default_rng(0)
    ranks = np.arange(1, 78)
    target = np.maximum(10, np.round(600 * ranks ** -(np.log(60) / np.log(77)))).astype(int)
    parts = []
    for t, cat in zip(target, rng.permutation(avail.index.to_numpy())):
        rows = bank[bank["category"] == cat]
        parts.append(rows.sample(min(t, len(rows)), random_state=int(rng.integers(1 << 30))))
    out = {"b77_zipf": ("a", pd.concat(parts, ignore_index=True).sample(frac=1, random_state=0))}
    news = pd.read_json(SHARED_DATA / "short_text_clustering" / "googlenews_ts.jsonl", lines=True).sample(
        6000, random_state=0)
    counts = news["cluster"].value_counts()
    news = news[news["cluster"].isin(counts[counts >= 3].index)]
    out["gnews6k"] = ("g", pd.DataFrame({"text": news["text"], "category": "gn" + news["cluster"].astype(str)}))
    rng = np.random.default_rng(1)
    cats = rng.permutation(avail.index.to_numpy())
    parts = []
    for k, cat in enumerate(cats):
        rows = bank[bank["category"] == cat]
        parts.append(rows.sample(len(rows) if k < 10 else int(rng.integers(8, 16)),
                                 random_state=int(rng.integers(1 << 30))))
    out["b77_10big"] = ("c", pd.concat(parts, ignore_index=True).sample(frac=1, random_state=0))
    paths = {}
    for name, (prefix, frame) in out.items():
        frame = frame.reset_index(drop=True)[["text", "category"]]
        frame.insert(0, "id", [f"{prefix}{i}" for i in range(len(frame))])
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


def small_found(y: np.ndarray, groups: np.ndarray) -> int:
    """Small classes that are the commonest label of a group holding at least half of it."""
    frame = pd.DataFrame({"y": y, "g": groups})
    sizes = frame["y"].value_counts()
    small = set(sizes[sizes <= SMALL].index)
    found = set()
    for _, labels in frame.groupby("g")["y"]:
        top = labels.value_counts()
        if top.index[0] in small and top.iloc[0] >= 0.5 * len(labels):
            found.add(top.index[0])
    return len(found)


def score(name: str, y: np.ndarray, final: np.ndarray, sub: np.ndarray | None = None) -> dict:
    from ml.metrics import label_scores

    shape = persona_shape(y, [final])
    sizes = pd.Series(y).value_counts()
    scores = label_scores(y, final)
    row = {"method": name, **{k: scores[k] for k in ("nmi", "ari", "acc")},
           "personas": int(np.unique(final).size), "target_count": shape["target_count"],
           "largest_share": round(shape["largest_share"], 3), "largest_purity": round(shape["largest_purity"], 3),
           "impure_large": shape["impure_large"], "small_classes": int((sizes <= SMALL).sum()),
           "small_found": small_found(y, final)}
    if sub is not None:
        row["small_found_level2"] = small_found(y, np.array([f"{a}/{b}" for a, b in zip(final, sub)]))
    return row


def run_set(name: str, path: Path, runs: Path, seeds: list[int], score_only: bool, config: str | None = None,
            kmeans: bool = True) -> list[dict]:
    from ml.run import main

    labels = pd.read_csv(path).astype({"id": str}).set_index("id")["category"]
    rows = []
    for seed in seeds:
        out = runs / f"{name}_s{seed}"
        if not score_only:
            code = main([str(path), "--text-col", "text", "--id-col", "id", "--label-col", "category", "--out",
                         str(out), "--no-store", "--quiet", "--seed", str(seed),
                         *(["--config", config] if config else [])])
            assert code == 0, f"ml.run failed on {name} seed {seed}"
        members = pd.read_parquet(out / "assignments.parquet")
        y = members["member_id"].astype(str).map(labels).to_numpy()
        rows.append({"set": name, "seed": seed, **score("ours", y, members["persona_id"].to_numpy(),
                                                        members["subpersona_id"].astype(str).to_numpy())})
    if not kmeans:
        return rows
    prepared = prepare(DatasetSpec(name, [str(path)], ["category"]))
    exp = Experiment(prepared, seeds=seeds)
    y = np.asarray(prepared.labels["category"])
    for seed in seeds:
        rows.append({"set": name, "seed": seed, **score("k-means, true k", y, exp._true_k(seed)["final"])})
    return rows


def print_table(rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    mean = frame.groupby(["set", "method"]).mean(numeric_only=True).reset_index()
    print("| set | method | NMI / ARI / ACC | personas (target) | largest: share / purity | small classes found "
          "(≥ 50 %; sub-personas) |")
    print("|---|---|---|---|---|---|")
    for r in mean.itertuples():
        level2 = getattr(r, "small_found_level2", float("nan"))
        level2 = "" if pd.isna(level2) else f"; {level2:.1f}"  # NaN: no sub-personas (k-means)
        print(f"| {r.set} | {r.method} | {r.nmi:.3f} / {r.ari:.3f} / {r.acc:.3f} | {r.personas:.0f} "
              f"({r.target_count:.0f}) | {r.largest_share:.3f} / {r.largest_purity:.2f} | {r.small_found:.1f} of "
              f"{r.small_classes:.0f}{level2} |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--runs-dir", default="longtail-runs", help="where the sets and the run directories go")
    p.add_argument("--score-only", action="store_true", help="score the run directories already in --runs-dir")
    p.add_argument("--sets", nargs="+", default=["b77_zipf", "gnews6k", "b77_10big"])
    p.add_argument("--json", default=None, help="write every row here")
    p.add_argument("--config", default=None, help="a PipelineConfig file for the runs (default: the defaults)")
    p.add_argument("--no-kmeans", action="store_true", help="skip the k-means told k rows")
    args = p.parse_args(argv)
    runs = Path(args.runs_dir)
    paths = build_sets(runs / "data")
    rows = [r for name in args.sets
            for r in run_set(name, paths[name], runs, args.seeds, args.score_only, args.config, not args.no_kmeans)]
    print_table(rows)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
