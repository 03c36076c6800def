"""The pipeline's own granularity on a mix of labelled sets, at two or more upper bounds of the persona size.

    python scripts/make_mix.py --out mix.csv
    python scripts/eval_mix.py --mix mix.csv [--bounds 500 80] [--seeds 0 1 2] [--out bench-results/mix.json]

Unlike ``scripts/ablate.py`` (which clusters every member), this runs ``PersonaPipeline``'s own fuse → reduce
→ cluster → reassign (``PersonaPipeline.segment``) with the default config, so a dump above 1.5 × ``reduce.fit_sample_size`` is fitted on a
sample and the rest placed, as ``python -m ml.run`` does. One layout per seed; each bound
(``cluster.largest_min_cluster_size``) clusters it. Prints per seed and the means: personas, and NMI / ARI /
ACC on the whole mix (``label``) and on each set's own rows (``b77``, ``gn``, ``tw``); writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml.metrics import label_scores
from ml.runtime.config import PipelineConfig
from ml.runtime.pipeline import PersonaPipeline
from scripts.ablation.data import DatasetSpec, prepare

COLUMNS = ("label", "b77", "gn", "tw")


def one_seed(data, seed: int, bounds: list[int]) -> dict[int, dict]:
    """One layout for ``seed`` (the pipeline's sample fit above 20,000), clustered once per bound."""
    def pipeline(bound: int | None = None) -> PersonaPipeline:
        over = {"seed": seed, "embed": {"cache_dir": ""}}
        if bound is not None:
            over["cluster"] = {"largest_min_cluster_size": bound}
        return PersonaPipeline(PipelineConfig().updated(over), progress=False)

    base = pipeline()
    fused = base.stages.fusion.fit(data.embeddings, data.features).transform(data.embeddings, data.features)
    layout = base.reduce(fused, seed, map_2d=False)  # one layout, clustered once per bound
    rows = {}
    for bound in bounds:
        seg = pipeline(bound).segment(fused, data.embeddings, layout=layout)
        final = seg.labels
        if final is None:
            raise SystemExit(f"seed {seed} bound {bound}: the clustering found no group")
        row = {"personas": int(np.unique(final).size), "min_cluster_size": int(seg.clusterer.min_cluster_size_),
               "placed": seg.n_placed}
        for col, y in data.labels.items():
            has = np.array([v is not None for v in y])
            scores = label_scores(y[has], final[has])
            row[col] = [round(float(scores[m]), 4) for m in ("nmi", "ari", "acc")]
        rows[bound] = row
        print(f"seed {seed} bound {bound}: {row}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mix", required=True, help="the CSV written by scripts/make_mix.py")
    p.add_argument("--bounds", nargs="+", type=int, default=[500, 80])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--out", default="bench-results/mix.json")
    args = p.parse_args(argv)
    data = prepare(DatasetSpec("mix", [str(Path(args.mix).resolve())], list(COLUMNS)), PipelineConfig())
    per_seed = [one_seed(data, seed, args.bounds) for seed in args.seeds]
    summary = {}
    for bound in args.bounds:
        rows = [s[bound] for s in per_seed]
        summary[bound] = {"personas": [r["personas"] for r in rows],
                          **{c: [round(float(np.mean([r[c][i] for r in rows])), 4) for i in range(3)]
                             for c in COLUMNS if c in rows[0]}}
        print(f"bound {bound}: personas {summary[bound]['personas']}; " + "; ".join(
            f"{c} " + "/".join(f"{v:.3f}" for v in summary[bound][c]) for c in COLUMNS if c in summary[bound]))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"n": data.n, "seeds": args.seeds, "per_seed": per_seed,
                                          "mean": summary}, indent=1, default=str))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
