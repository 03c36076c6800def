"""Ablation of every clustering choice on labelled real data.

    python scripts/ablate.py [--dataset banking77 airline twcs] [--groups ...] [--seeds 0 1 2]
                             [--subsample 3000] [--out ablation-results] [--cache-dir DIR]
    python scripts/ablate.py --data my.csv --label-col intent [--name mine] [--inbound-only]

Data sets come from ../shared/data (``PERSONAS_SHARED_DATA`` overrides) and are prepared with the
pipeline's own stages (ingest → filter → units → features → embeddings through ``ml.features.embed``'s
cache, ``PERSONAS_CACHE_DIR``); see ``scripts/ablation/data.py``. Every row changes one thing of
the ``PipelineConfig`` defaults (``--config FILE`` changes the defaults) and is fitted once per seed.

Groups (rows):
  default         the defaults                                                   (full data)
  text_weight     fusion text_weight 0, .25, .5, .75, 1                          (subsample)
  dims            UMAP n_components 5, 10, 25, 50                                (subsample)
  min_dist        UMAP min_dist 0, .1, .4                                        (subsample)
  n_neighbors     UMAP n_neighbors 15, 30, 50                                    (subsample)
  min_cluster     min_cluster_share × min_samples                                (full data)
  selection       eom / leaf, cluster_selection_epsilon                          (full data)
  noise           keep / nearest centroid reduced / embedding / threshold / kNN vote (full data)
  clusterer       HDBSCAN, k-means (k by silhouette, by Davies–Bouldin), GMM (k by BIC),
                  agglomerative Ward (k by silhouette)                           (full data)
  merge_refine    centroid merge thresholds; k-means refine seeded from HDBSCAN (full data)
  baselines       k-means told the true k (text embeddings), BERTopic defaults   (full data)
  granularity     how min_cluster_size is chosen: share 0.005 with the noise rescue and the join of
                  a topic's pieces (default), without the join, without both (the first default),
                  leaf, the label-free silhouette choice (min_samples 5 / 10), fixed small sizes
                  (full data)
  ceiling         the share rule with the size at most 500 / 100 / 80 (default) / 64 (full data)
  longtail        defaults, rescue ratio 0.35, promote 0.5 / 0.25 / 0.25 with gain 0.25 (full data)

UMAP rows run on a seeded random subsample (``--subsample``, default 3000; 0 = full data) because
a UMAP fit per setting and seed does not fit the time budget at full size; the subsample's default
row is in each of those groups for comparison. The full-data groups share the default layouts.
Output: a table on the console, ``OUT/<dataset>.json`` (rows + metadata), ``OUT/<dataset>.png`` and
``OUT/<dataset>.md`` (the table in Markdown).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".numba_cache"))

import numpy as np

from scripts.ablation.data import BUILTIN, DatasetSpec, prepare
from scripts.ablation.evaluate import Experiment, Setting
from scripts.ablation.report import markdown_table, plot, print_table, write_json

SUBSAMPLED = {"text_weight", "dims", "min_dist", "n_neighbors"}
GROUPS = ["default", "text_weight", "dims", "min_dist", "n_neighbors", "min_cluster", "selection", "noise",
          "clusterer", "merge_refine", "baselines", "granularity", "ceiling", "longtail"]


def settings(group: str, config) -> list[Setting]:
    """The rows of one group."""
    S = Setting
    if group == "default":
        return [S(group, "defaults")]
    if group == "text_weight":
        return [S(group, f"text_weight {w}", fusion={"text_weight": w}) for w in (0.0, 0.25, 0.5, 0.75, 1.0)]
    if group == "dims":
        return [S(group, f"dims {d}", reduce={"n_components": d}) for d in (5, 10, 25, 50)]
    if group == "min_dist":
        return [S(group, f"min_dist {m}", reduce={"min_dist": m}) for m in (0.0, 0.1, 0.4)]
    if group == "n_neighbors":
        return [S(group, f"n_neighbors {k}", reduce={"n_neighbors": k}) for k in (15, 30, 50)]
    if group == "min_cluster":
        return [S(group, f"share {s} / ms {ms}", cluster={"min_cluster_share": s, "min_samples": ms})
                for s in (0.002, 0.003, 0.005, 0.008) for ms in (None, 5, 10)]
    if group == "selection":
        return [S(group, "eom", cluster={"cluster_selection_method": "eom"}),
                S(group, "leaf", cluster={"cluster_selection_method": "leaf"}),
                *[S(group, f"eom, epsilon {e}", cluster={"cluster_selection_epsilon": e}) for e in (0.1, 0.25)]]
    if group == "noise":
        return [S(group, f"noise: {m}", noise=m) for m in ("keep", "reduced", "embedding", "threshold", "knn")]
    if group == "clusterer":
        return [S(group, "HDBSCAN"), *[S(group, a, algo=a) for a in
                                      ("kmeans-silhouette", "kmeans-db", "gmm-bic", "agglo-silhouette")]]
    if group == "merge_refine":
        return [S(group, "no merge", cluster={"merge_threshold": 0.0}),
                *[S(group, f"merge cos-dist < {t}", cluster={"merge_threshold": t}) for t in (0.1, 0.15, 0.2)],
                S(group, "refine k-means (reduced)", algo="refine-reduced"),
                S(group, "refine k-means (embedding)", algo="refine-embedding")]
    if group == "granularity":
        return [S(group, "share 0.005 + rescue + join (default)"),
                S(group, "share 0.005 + rescue, no join", cluster={"join": "off"}),
                S(group, "share 0.005, no rescue, no join", cluster={"rescue_ratio": 0.0, "join": "off"}),
                S(group, "share 0.005, leaf", cluster={"cluster_selection_method": "leaf"}),
                S(group, "silhouette, ms 5", cluster={"granularity": "silhouette"}),
                S(group, "silhouette, ms 10", cluster={"granularity": "silhouette", "min_samples": 10}),
                *[S(group, f"fixed {m}, ms 10", cluster={"min_cluster_size": m, "min_samples": 10}) for m in (10, 15)]]
    if group == "ceiling":
        return [S(group, "share 0.005, at most 500 (former)", cluster={"largest_min_cluster_size": 500}),
                S(group, "share 0.005, at most 100", cluster={"largest_min_cluster_size": 100}),
                S(group, "share 0.005, at most 80 (default)"),
                S(group, "share 0.005, at most 64", cluster={"largest_min_cluster_size": 64})]
    if group == "longtail":  # issue 12: rules that follow a long tail (docs/ablations.md, "Long-tailed data")
        return [S(group, "defaults"),
                S(group, "rescue ratio 0.35", cluster={"rescue_ratio": 0.35}),
                S(group, "promote 0.5", cluster={"promote_ratio": 0.5}),
                S(group, "promote 0.25", cluster={"promote_ratio": 0.25}),
                S(group, "promote 0.25, gain 0.25", cluster={"promote_ratio": 0.25, "promote_gain": 0.25})]
    if group == "baselines":
        return [S(group, "k-means, true k", algo="kmeans-true-k"), S(group, "BERTopic 0.17 defaults", algo="bertopic")]
    raise SystemExit(f"unknown group {group!r}; choose from: {', '.join(GROUPS)}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", nargs="+", default=["banking77"], choices=sorted(BUILTIN), metavar="NAME",
                   help=f"built-in labelled sets: {', '.join(sorted(BUILTIN))}")
    p.add_argument("--data", nargs="+", help="other labelled files (CSV/JSONL/Parquet) instead of --dataset")
    p.add_argument("--label-col", nargs="+", help="label column(s) of --data")
    p.add_argument("--name", default="custom", help="name of the --data set in the output")
    p.add_argument("--inbound-only", action="store_true", help="--data: keep the customer side")
    p.add_argument("--groups", nargs="+", default=GROUPS, metavar="GROUP", help=f"subset of: {' '.join(GROUPS)}")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--subsample", type=int, default=3000, help="rows for the UMAP groups (0: all)")
    p.add_argument("--config", help="PipelineConfig YAML/JSON whose values are the defaults")
    p.add_argument("--out", default="ablation-results", help="folder for the JSON and PNG files")
    p.add_argument("--cache-dir", default=None,
                   help="UMAP layout cache (default: <PERSONAS_CACHE_DIR or ~/.cache/personas>/ablation)")
    return p.parse_args(argv)


def cache_folder(arg: str | None) -> Path:
    from ml.features.embed import default_cache_dir

    return Path(arg) if arg else default_cache_dir() / "ablation"


def run_dataset(spec: DatasetSpec, args, config) -> list[dict]:
    start = time.perf_counter()
    data = prepare(spec, config)
    print(f"{spec.name}: {data.counts} (prepared in {time.perf_counter() - start:.0f}s)", flush=True)
    cache = cache_folder(args.cache_dir)
    full = Experiment(data, config, args.seeds, cache)
    sub = full
    if args.subsample and args.subsample < data.n:
        idx = np.sort(np.random.default_rng(0).choice(data.n, size=args.subsample, replace=False))
        sub = Experiment(data.subset(idx), config, args.seeds, cache)
    rows = []
    for group in args.groups:
        exp = sub if group in SUBSAMPLED else full
        for setting in settings(group, config):
            t = time.perf_counter()
            row = exp.evaluate(setting)
            row["subsampled"] = exp is not full
            row["wall_s"] = round(time.perf_counter() - t, 1)
            rows.append(row)
            first = next(iter(data.labels))
            print(f"  {group:12s} {setting.label:28s} n={row['n']:6d} k={row['personas']:6.1f} "
                  f"noise={row['noise_share']:.3f} {first} NMI/ARI/ACC "
                  f"{row[f'{first}.reassigned.nmi']:.3f}/{row[f'{first}.reassigned.ari']:.3f}/"
                  f"{row[f'{first}.reassigned.acc']:.3f} stab={row['stability_ari']} ({row['wall_s']}s)", flush=True)
    rows_meta = {"dataset": spec.name, "note": spec.note, "counts": data.counts, "seeds": args.seeds,
                 "subsample": args.subsample, "groups": args.groups, "config": config.model_dump(mode="json"),
                 "elapsed_s": round(time.perf_counter() - start, 1), "load_avg": os.getloadavg()}
    out = Path(args.out)
    write_json(out / f"{spec.name}.json", rows, rows_meta)
    title = f"{spec.name}: n={data.n}, seeds {args.seeds}, UMAP groups on {args.subsample or data.n} rows"
    plot(out / f"{spec.name}.png", rows, title)
    (out / f"{spec.name}.md").write_text(f"{title}\n\n" + markdown_table(rows))
    print_table(rows, title)
    print(f"{spec.name}: {time.perf_counter() - start:.0f}s; wrote {out / (spec.name + '.json')} and .png", flush=True)
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    from ml.runtime.config import PipelineConfig

    config = PipelineConfig.from_file(args.config) if args.config else PipelineConfig()
    if args.data:
        if not args.label_col:
            raise SystemExit("--data needs --label-col naming the evaluation label column(s)")
        specs = [DatasetSpec(args.name, [str(Path(p).resolve()) for p in args.data], args.label_col,
                             inbound_only=args.inbound_only)]
    else:
        specs = [BUILTIN[name] for name in args.dataset]
    for spec in specs:
        run_dataset(spec, args, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
