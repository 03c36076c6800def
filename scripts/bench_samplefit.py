"""Sample-fit quality: fit UMAP + HDBSCAN on a share of the members and place the rest, vs fitting on all.

    python scripts/bench_samplefit.py [--datasets banking77 googlenews] [--shares 0.2 0.3 0.5]
                                      [--seeds 0 1 2] [--out bench-results/samplefit.json]

Each labelled set (``scripts/ablation/data.py``: the pipeline's own ingest → filter → units → features →
embeddings, from the embedding cache) goes through the pipeline's own fuse → reduce → cluster → reassign
(``PersonaPipeline.reduce`` and ``segment``, the code ``PersonaPipeline.run``
uses) once per seed with ``reduce.fit_sample_size`` = n (every member fitted) and once per share with
``fit_sample_size`` = round(share·n) (a seeded sample fitted, the rest placed by their nearest sampled
members, ``ml.cluster.placement``). The UMAP disk cache is off, so every fit is timed as it runs; the 2-D map
is left out (it does not change the personas). Prints NMI / ARI / ACC (after reassignment, and with noise
as its own cluster) per setting, mean over seeds, and the difference to fitting on all; writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml.metrics import label_scores
from ml.reduce import SAMPLE_ABOVE
from ml.runtime.config import PipelineConfig
from ml.runtime.pipeline import PersonaPipeline
from scripts.ablation.data import BUILTIN, prepare


def fit_once(data, seed: int, sample_size: int) -> dict:
    """fuse → reduce → cluster → reassign on ``data`` with ``reduce.fit_sample_size = sample_size``."""
    cfg = PipelineConfig().updated({"seed": seed, "embed": {"cache_dir": ""},
                                    "reduce": {"fit_sample_size": sample_size}})
    pipe = PersonaPipeline(cfg, progress=False)
    start = time.perf_counter()
    fusion = pipe.stages.fusion.fit(data.embeddings, data.features)
    fused = fusion.transform(data.embeddings, data.features)
    layout = pipe.reduce(fused, seed, map_2d=False)
    t_reduce = time.perf_counter() - start
    seg = pipe.segment(fused, data.embeddings, layout=layout)
    raw, final = seg.raw_labels, seg.labels
    if final is None:
        raise SystemExit(f"seed {seed}, fit_sample_size {sample_size}: the clustering found no group")
    seconds = time.perf_counter() - start
    y = next(iter(data.labels.values()))
    has = np.array([v is not None for v in y])
    return {"seed": seed, "fit_sample_size": sample_size, "placed": seg.n_placed,
            "personas": int(np.unique(final).size), "noise_share": round(float((raw < 0).mean()), 4),
            "reassigned": label_scores(y[has], final[has]), "with_noise": label_scores(y[has], raw[has]),
            "reduce_s": round(t_reduce, 2), "seconds": round(seconds, 2), "load": os.getloadavg()[0]}


def _mean(runs: list[dict], which: str, key: str) -> float:
    return round(float(np.mean([r[which][key] for r in runs])), 4)


def summarise(rows: list[dict]) -> list[dict]:
    """Mean over seeds per (dataset, share) and the difference to share 1.0 of the same dataset."""
    out = []
    for name in dict.fromkeys(r["dataset"] for r in rows):
        by_share: dict[float, list[dict]] = {}
        for r in rows:
            if r["dataset"] == name:
                by_share.setdefault(r["share"], []).append(r)
        base = by_share[1.0]
        for share, runs in sorted(by_share.items(), reverse=True):
            s = {"dataset": name, "share": share, "seeds": [r["seed"] for r in runs],
                 "placed": runs[0]["placed"], "personas": float(np.mean([r["personas"] for r in runs])),
                 "seconds": round(float(np.mean([r["seconds"] for r in runs])), 1)}
            for which in ("reassigned", "with_noise"):
                for key in ("nmi", "ari", "acc"):
                    s[f"{which}_{key}"] = _mean(runs, which, key)
                    s[f"{which}_{key}_delta"] = round(s[f"{which}_{key}"] - _mean(base, which, key), 4)
            out.append(s)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["banking77", "googlenews"], choices=sorted(BUILTIN))
    ap.add_argument("--shares", nargs="+", type=float, default=[0.2, 0.3, 0.5])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--out", default="bench-results/samplefit.json")
    args = ap.parse_args(argv)
    if any(1.0 / SAMPLE_ABOVE < share < 1.0 for share in args.shares):  # ml.reduce.fitted_rows fits those whole
        ap.error(f"--shares: a share above {1.0 / SAMPLE_ABOVE:.3f} is not sampled (a fit is sampled only above "
                 f"{SAMPLE_ABOVE} x reduce.fit_sample_size members)")
    rows = []
    for name in args.datasets:
        data = prepare(BUILTIN[name])
        for seed in args.seeds:
            for share in [1.0, *args.shares]:
                size = data.n if share >= 1.0 else max(100, round(share * data.n))
                row = {"dataset": name, "n": data.n, "share": share, **fit_once(data, seed, size)}
                rows.append(row)
                r = row["reassigned"]
                print(f"{name} n={data.n} seed={seed} share={share:.2f} placed={row['placed']}: NMI {r['nmi']:.4f} "
                      f"ARI {r['ari']:.4f} ACC {r['acc']:.4f} personas {row['personas']} {row['seconds']:.1f}s "
                      f"(load {row['load']:.1f})", flush=True)
    summary = summarise(rows)
    print("\n| data set | fitted on | NMI / ARI / ACC (reassigned) | Δ NMI / ARI / ACC vs all | personas | s |")
    print("|---|---|---|---|---:|---:|")
    for s in summary:
        print(f"| {s['dataset']} | {s['share']:.0%} | {s['reassigned_nmi']:.4f} / {s['reassigned_ari']:.4f} / "
              f"{s['reassigned_acc']:.4f} | {s['reassigned_nmi_delta']:+.4f} / {s['reassigned_ari_delta']:+.4f} / "
              f"{s['reassigned_acc_delta']:+.4f} | {s['personas']:.1f} | {s['seconds']:.1f} |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": rows, "summary": summary}, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
