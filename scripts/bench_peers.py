"""Ours vs BERTopic after the encode, back to back on the same cached vectors.

    python scripts/bench_peers.py [--datasets banking77 googlenews] [--seed 42] [--out bench-results/peers.json]

For each labelled set (``scripts/ablation/data.py``: Banking77 train+test, intent ``category``; GoogleNews-TS,
story ``cluster``) the pipeline's own ``prepare`` reads, filters and embeds the texts (all-MiniLM-L6-v2 vectors
from the embedding cache), then, timed on the same ``Prepared`` bundle:

- **ours**: ``PersonaPipeline.run_prepared`` — every stage after the encode (fuse, UMAP 5-d + 2-d map, HDBSCAN,
  noise reassignment, metrics with the stability refits, profiles, families, the persona model), with the
  UMAP disk cache off and the mask cache empty (every text masked for personal data, as in a first run on
  these texts; the background masker works on the other core meanwhile), so nothing is reused from an earlier
  run. Scores: the final personas (noise reassigned).
- **BERTopic** 0.17.4 with its defaults: ``BERTopic().fit_transform(docs, embeddings=vectors)`` (UMAP 5-d,
  n_neighbors 15, cosine; HDBSCAN min_cluster_size 10; c-TF-IDF topic words) on the same member texts and
  vectors. Scores with its outliers (-1) as a cluster of their own, and after
  ``reduce_outliers(strategy="embeddings")`` (time added) as a second row, comparable to our reassigned personas.

Before the timed fits both run once, untimed, on the first 5,000 members (``--warmup``; above 4,096 rows UMAP searches neighbours with pynndescent, which is compiled on first use), so neither pays
one-time costs in the timed run (numba compiling pynndescent's and UMAP's kernels, spaCy's NER model, imports).
Each method runs on each data set in a fresh process of its own (``--one``), warm-up included: after
BERTopic's unseeded (parallel) UMAP had run in the process, ours took 44.7 s instead of 32.9 s on Banking77
(cluster 0.9 → 5.0 s, metrics 2.2 → 7.4 s), and BERTopic after ours took 11.5 s instead of 8.2 s.
NMI / ARI / ACC on members with a label (``ml.metrics.label_scores``; noise is a cluster of its own). The load
average (``os.getloadavg``) is recorded before and after each fit: timings on the shared 2-core machine are
comparable only within one run of this script. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml.metrics import label_scores
from ml.runtime.config import PipelineConfig
from ml.runtime.pipeline import PersonaPipeline
from scripts.ablation.data import BUILTIN, _load

TARGET_RATIO = 0.67  # ours ≤ 0.67 × BERTopic's fit_transform seconds (issue 17)


def prepared(name: str, seed: int):
    """(pipeline Prepared with labels in members["label"], its paths) through the embedding cache."""
    spec = BUILTIN[name]
    paths = spec.resolved()
    cfg = PipelineConfig().updated({"seed": seed, "input": {"label_col": spec.labels[0]}})
    messages, report = _load(paths, spec.labels[0])
    return PersonaPipeline(cfg, progress=False).prepare(paths, loaded=(messages, report)), paths, cfg


def _scores(members, labels) -> dict:
    y = members["label"].to_numpy()
    has = members["label"].notna().to_numpy()
    return label_scores(y[has], np.asarray(labels)[has])


@contextlib.contextmanager
def empty_text_caches():
    """Point the per-text caches (masks, language ids; ``PERSONAS_CACHE_DIR``) at an empty folder for the
    block, so ours masks every text as a first run on these texts does (the vectors are already read)."""
    from ml.text_cache import cache_dir_env

    with tempfile.TemporaryDirectory(prefix="peers-cache-") as folder, cache_dir_env(folder):
        yield


def run_ours(prep, paths, cfg) -> dict:
    pipe = PersonaPipeline(cfg.updated({"embed": {"cache_dir": ""}}), progress=False)
    with empty_text_caches():
        load0, start = os.getloadavg()[0], time.perf_counter()
        result = pipe.run_prepared(prep, paths)
        seconds = time.perf_counter() - start
    labels = result.members["persona_id"].to_numpy()
    timings = {k: v for k, v in result.manifest.timings_s.items() if k != "total"}
    return {"method": "ours", "seconds": round(seconds, 2), "stages_s": timings,
            "clusters": int(np.unique(labels).size), "scores": _scores(prep.members, labels),
            "placed": result.manifest.counts.placed, "load": [load0, os.getloadavg()[0]]}


def run_bertopic(prep) -> list[dict]:
    from bertopic import BERTopic

    docs = prep.members["text"].astype(str).tolist()
    vectors = np.asarray(prep.embeddings, dtype=np.float32)
    load0, start = os.getloadavg()[0], time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = BERTopic()
        topics, _ = model.fit_transform(docs, embeddings=vectors)
        fit_s = time.perf_counter() - start
        reduced = model.reduce_outliers(docs, topics, strategy="embeddings", embeddings=vectors)
    total_s = time.perf_counter() - start
    load = [load0, os.getloadavg()[0]]
    topics, reduced = np.asarray(topics), np.asarray(reduced)
    return [
        {"method": "BERTopic fit_transform", "seconds": round(fit_s, 2), "clusters": int(np.unique(topics).size),
         "outlier_share": round(float((topics < 0).mean()), 4), "scores": _scores(prep.members, topics), "load": load},
        {"method": "BERTopic + reduce_outliers", "seconds": round(total_s, 2), "clusters": int(np.unique(reduced).size),
         "scores": _scores(prep.members, reduced), "load": load},
    ]


def _head(prep, rows: int):
    return dataclasses.replace(prep, members=prep.members.iloc[:rows].reset_index(drop=True),
                               features=prep.features[:rows], embeddings=prep.embeddings[:rows])


def warm_up_ours(prep, paths, cfg, rows: int) -> None:
    """Ours once on the first ``rows`` members, untimed (one-time compile, model and import costs)."""
    with empty_text_caches():  # the timed run must not find these texts masked
        PersonaPipeline(cfg.updated({"embed": {"cache_dir": ""}}), progress=False).run_prepared(_head(prep, rows), paths)


def warm_up_bertopic(prep, rows: int) -> None:
    """BERTopic once on the first ``rows`` members, untimed."""
    from bertopic import BERTopic

    small = _head(prep, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        BERTopic().fit_transform(small.members["text"].astype(str).tolist(), embeddings=small.embeddings)


def one_fit(method: str, name: str, seed: int, warmup: int, out: Path) -> int:
    """In a process of its own: prepare ``name``, warm up ``method`` and time it; JSON to ``out``."""
    prep, paths, cfg = prepared(name, seed)
    if method == "ours":
        if warmup:
            warm_up_ours(prep, paths, cfg, warmup)
        result = {"run": run_ours(prep, paths, cfg)}
    else:
        if warmup:
            warm_up_bertopic(prep, warmup)
        result = {"runs": run_bertopic(prep)}
    result.update(n=len(prep.members), embedding_cache={"cached": prep.embedder.n_cached_,
                                                        "encoded": prep.embedder.n_encoded_})
    out.write_text(json.dumps(result))
    return 0


def fit_in_process(method: str, name: str, args, folder: Path) -> dict:
    """``one_fit`` in a fresh Python process: neither method runs where the other ran."""
    out = folder / f"{method}-{name}.json"
    subprocess.run([sys.executable, __file__, "--one", method, name, "--seed", str(args.seed),
                    "--warmup", str(args.warmup), "--out", str(out)], check=True)
    return json.loads(out.read_text())


def verdict(ours: dict, bertopic: dict) -> dict:
    ratio = ours["seconds"] / bertopic["seconds"]
    better = all(ours["scores"][k] >= bertopic["scores"][k] for k in ("nmi", "ari", "acc"))
    return {"ratio": round(ratio, 3), "time_pass": ratio <= TARGET_RATIO, "quality_pass": better}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["banking77", "googlenews"], choices=sorted(BUILTIN))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--warmup", type=int, default=5000, help="members of the untimed first fit (0: none)")
    ap.add_argument("--out", default="bench-results/peers.json")
    ap.add_argument("--one", nargs=2, metavar=("METHOD", "DATASET"), help=argparse.SUPPRESS)  # one fit, one process
    args = ap.parse_args(argv)
    if args.one:
        return one_fit(*args.one, args.seed, args.warmup, Path(args.out))
    results = []
    with tempfile.TemporaryDirectory(prefix="peers-") as folder:
        for name in args.datasets:
            ours, peers = (fit_in_process(method, name, args, Path(folder)) for method in ("ours", "bertopic"))
            results.append({"dataset": name, "n": ours["n"], "embedding_cache": ours["embedding_cache"],
                            "runs": [ours["run"], *peers["runs"]], "target": verdict(ours["run"], peers["runs"][0])})
            print(f"{name}: ours {ours['run']['seconds']:.1f}s, BERTopic {peers['runs'][0]['seconds']:.1f}s", flush=True)
    print("\n| data set | method | seconds after the encode | clusters | NMI / ARI / ACC | load |")
    print("|---|---|---:|---:|---|---|")
    for r in results:
        for run in r["runs"]:
            s = run["scores"]
            print(f"| {r['dataset']} (n={r['n']}) | {run['method']} | {run['seconds']:.1f} | {run['clusters']} | "
                  f"{s['nmi']:.3f} / {s['ari']:.3f} / {s['acc']:.3f} | {run['load'][0]:.1f}–{run['load'][1]:.1f} |")
        t = r["target"]
        print(f"| {r['dataset']} | ours / BERTopic fit_transform | {t['ratio']:.2f}× "
              f"({'PASS' if t['time_pass'] else 'FAIL'} ≤ {TARGET_RATIO}) | | quality "
              f"{'PASS' if t['quality_pass'] else 'FAIL'} | |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"seed": args.seed, "target_ratio": TARGET_RATIO, "results": results}, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
