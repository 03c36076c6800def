"""Drift targets of issue 16 on the airline tweets, and the cost of ``ml.assign`` on 10,000 texts.

    python scripts/eval_drift.py --json drift_airline.json        # about 10 min on 2 cores, cached embeddings

1. Random halves: the 14,640 airline tweets (../shared/data/twitter_airline_sentiment/Tweets.csv) split
   at random (seed 0) into halves A and B; each half is a full ``python -m ml.run`` (default config, a
   SQLite store in a temporary folder, ``--series halves``), so B is compared with A by the run itself
   (``--series`` → the series' newest run is the baseline). Target: no born or died persona above 2 %
   share, PSI < 0.1. Also: novelty share of half B's tweets placed with half A's model (``ml.lineage.novelty``),
   by the neighbourhood rule and by the per-persona centroid quantiles it replaced (known texts: low).
   ``--halves-only`` stops here (about 3 min).
2. By date: tweets before the median ``tweet_created`` vs after (``--series dates``): what changed.
3. ``ml.assign`` on 10,000 Banking77 texts (seeded sample) with run A's model, against the time the
   same encoder takes to embed those texts: both cold processes (the embedding in a fresh Python that loads
   the run's model and encoder, as ``ml.assign`` must) with an empty embedding cache (``PERSONAS_CACHE_DIR``
   in a temporary folder; a first ``ml.assign`` call on 10 texts caches the run's own texts, as
   ``ml.assign`` re-embeds them once per run). Target: ``ml.assign`` ≤ embedding time × 1.1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.ablation.data import SHARED_DATA

AIRLINE = SHARED_DATA / "twitter_airline_sentiment" / "Tweets.csv"


def run(frame: pd.DataFrame, folder: Path, name: str, store: str, series: str) -> tuple[Path, float]:
    from ml.run import main

    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    t0 = time.perf_counter()
    code = main([str(path), "--out", str(folder / name), "--store", store, "--series", series, "--quiet"])
    assert code == 0, f"ml.run failed on {name}"
    return folder / name, round(time.perf_counter() - t0, 1)


def summarise(comparison: dict, top: int = 8) -> dict:
    born = sorted(((p["now"]["share"], p["id"], p["name"]) for p in comparison["new_personas"]
                   if p["status"] == "born"), reverse=True)
    died = sorted(((p["then"]["share"], p["id"], p["name"]) for p in comparison["base_personas"]
                   if p["status"] == "died"), reverse=True)
    changed = sorted((p for p in comparison["new_personas"] if p["share_change"] is not None),
                     key=lambda p: -abs(p["share_change"]))[:top]
    return {
        "personas": [comparison["base"]["n_personas"], comparison["new"]["n_personas"]],
        "psi": comparison["shift"]["psi"], "level": comparison["shift"]["level"], "basis": comparison["shift"].get("basis"),
        "counts": comparison["counts"], "fit_psi": (comparison.get("fit_shift") or {}).get("psi"),
        "max_born_share": born[0][0] if born else 0.0, "max_died_share": died[0][0] if died else 0.0,
        "born": [{"id": i, "name": n, "share": s} for s, i, n in born[:top]],
        "died": [{"id": i, "name": n, "share": s} for s, i, n in died[:top]],
        "largest_changes": [{"id": p["id"], "status": p["status"], "name": p["name"], "then": p["then"]["share"],
                             "now": p["now"]["share"], "terms_new": (p["terms"] or {}).get("new", [])[:4]}
                            for p in changed],
        "movers": {k: comparison["movers"][k] for k in ("key", "n_shared", "n_moved")},
    }


def comparison_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "comparison.json").read_text())


def assign_timing(run_dir: Path, folder: Path, n: int = 10_000) -> dict:

    bank = pd.concat([pd.read_csv(SHARED_DATA / "banking77" / f) for f in ("train.csv", "test.csv")])
    texts = bank.sample(n, random_state=0)["text"].astype(str).reset_index(drop=True)
    fresh = folder / "fresh.csv"
    pd.DataFrame({"id": [f"f{i}" for i in range(n)], "text": texts}).to_csv(fresh, index=False)
    pd.DataFrame({"id": ["w0"], "text": ["my card payment was declined at the shop today"]}).to_csv(
        folder / "warm.csv", index=False)  # long enough for the run's length filter
    # the embedding time as a user pays it: a fresh process that loads the run's model and encoder and embeds the
    # texts, no cache (measured in this process the encoder was already loaded by part 1, 4-5 s less than cold)
    embed_cmd = ("import sys, pandas as pd; from ml.runtime.model import PersonaModel; "
                 "m = PersonaModel.load(sys.argv[1]); m.embedder.cache_dir = ''; "
                 "m._embed(pd.read_csv(sys.argv[2])['text'].astype(str).tolist())")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", embed_cmd, str(run_dir), str(fresh)], check=True, capture_output=True,
                   cwd=str(Path(__file__).resolve().parents[1]))
    embed_s = time.perf_counter() - t0
    env = {**os.environ, "PERSONAS_CACHE_DIR": str(folder / "assign-cache")}
    cmd = [sys.executable, "-m", "ml.assign", str(run_dir)]
    subprocess.run([*cmd, str(folder / "warm.csv"), "--out", str(folder / "warm"), "--text-col", "text",
                    "--id-col", "id"], env=env, check=False, capture_output=True)
    t0 = time.perf_counter()
    done = subprocess.run([*cmd, str(fresh), "--out", str(folder / "assigned"), "--text-col", "text", "--id-col",
                           "id"], env=env, check=False, capture_output=True, text=True)
    wall_s = time.perf_counter() - t0
    summary = json.loads((folder / "assigned" / "summary.json").read_text())
    return {"n": n, "embed_s": round(embed_s, 1), "assign_wall_s": round(wall_s, 1), "exit": done.returncode,
            "assign_timings_s": summary["timings_s"], "ratio_wall": round(wall_s / embed_s, 3),
            "ratio_assign_step": round(summary["timings_s"].get("assign", 0.0) / embed_s, 3),
            "novelty_share": summary["novelty_share"]}


def halves_novelty(run_dir: Path, frame: pd.DataFrame, folder: Path) -> dict:
    """Novelty share of half B's tweets placed with half A's model (known texts: should stay low), by the
    neighbourhood rule (the model's member sample) and by the per-persona centroid quantiles it replaced."""
    from ml.ingest.load import ColumnMapping, load_messages
    from ml.lineage.novelty import FreshDataScorer
    from ml.lineage.snapshot import load_snapshot

    path = folder / "fresh_half_b.csv"
    frame.to_csv(path, index=False)
    messages, _ = load_messages([str(path)], mapping=ColumnMapping())
    snap = load_snapshot(run_dir)
    out = {}
    for name, sample in (("member_sample", snap.model.novelty), ("centroid_quantiles", None)):
        snap.model.novelty = sample
        scorer = FreshDataScorer().fit(snap.model, snap, snap.config)
        out[name] = round(float(scorer.assign(messages)["novel"].mean()), 4)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", default=None, help="write the results here")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--halves-only", action="store_true", help="only part 1 (+ novelty of half B vs half A's model)")
    args = p.parse_args(argv)
    df = pd.read_csv(AIRLINE)
    out: dict = {"n": len(df)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = f"sqlite:///{folder / 'personas.db'}"
        perm = np.random.default_rng(args.seed).permutation(len(df))
        a, b = df.iloc[np.sort(perm[: len(df) // 2])], df.iloc[np.sort(perm[len(df) // 2 :])]
        dir_a, took_a = run(a, folder, "half_a", store, "halves")
        dir_b, took_b = run(b, folder, "half_b", store, "halves")
        out["halves"] = {**summarise(comparison_of(dir_b)), "run_s": [took_a, took_b],
                         "novelty_of_b_vs_a": halves_novelty(dir_a, b, folder)}
        if args.halves_only:
            print(json.dumps(out, indent=2, ensure_ascii=False))
            return 0
        stamp = pd.to_datetime(df["tweet_created"], utc=True)
        cut = stamp.median()
        early, late = df[stamp < cut], df[stamp >= cut]
        _, took_e = run(early, folder, "early", store, "dates")
        dir_l, took_l = run(late, folder, "late", store, "dates")
        out["by_date"] = {**summarise(comparison_of(dir_l)), "cut": str(cut), "rows": [len(early), len(late)],
                          "run_s": [took_e, took_l]}
        out["assign"] = assign_timing(dir_a, folder)
    h = out["halves"]
    out["targets"] = {"halves_max_born_died_share_le_0.02": max(h["max_born_share"], h["max_died_share"]) <= 0.02,
                      "halves_psi_lt_0.1": h["psi"] < 0.1,
                      "assign_le_embed_x1.1": out["assign"]["ratio_wall"] <= 1.1}
    text = json.dumps(out, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
