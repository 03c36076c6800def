"""How much purer the level-2 grouping (sub-personas) is than the personas, on labelled sets.

    python scripts/subpersona_purity.py [--dataset banking77 googlenews tweet twcs airline] [--seeds 0]
                                        [--ratios 0.5 0.25 0.125]

Uses the ablation's prepared data and cached UMAP layouts (``scripts/ablation``), the default
``PersonaClusterer`` and noise step, then ``ml.cluster.subpersonas.SubPersonas`` at each ratio.
Prints, per set and seed: personas, how many split and into how many sub-personas, and the label
purity (share of members in their group's commonest label) of the personas and of the level-2
grouping (sub-personas where a persona splits, the persona where it does not).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np


def purity(y: np.ndarray, groups: np.ndarray) -> float:
    has = y != ""
    total = 0
    for g in np.unique(groups[has]):
        _, counts = np.unique(y[has & (groups == g)], return_counts=True)
        total += counts.max()
    return total / max(int(has.sum()), 1)


def main(argv=None) -> int:
    from ml.cluster.subpersonas import SubPersonas
    from ml.runtime.config import PipelineConfig
    from scripts.ablate import cache_folder
    from scripts.ablation.data import BUILTIN, prepare
    from scripts.ablation.evaluate import Experiment

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", nargs="+", default=["banking77", "googlenews", "tweet", "twcs", "airline"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--ratios", nargs="+", type=float, default=[0.5, 0.25, 0.125])
    args = p.parse_args(argv)
    config = PipelineConfig()
    for name in args.dataset:
        data = prepare(BUILTIN[name], config)
        exp = Experiment(data, config, args.seeds, cache_folder(None))
        y = np.array(["" if v is None else str(v) for v in next(iter(data.labels.values()))])
        for seed in args.seeds:
            Z, _ = exp.reduced(exp.fused({}), {}, seed)
            clusterer = exp.clusterer({}).fit(Z, embeddings=data.embeddings)
            labels = exp._reassign("config", clusterer.labels_, Z, exp.fused({}))
            tree = clusterer.hdbscan_.single_linkage_tree_.to_numpy()
            print(f"{name} seed {seed}: {clusterer.n_clusters_} personas, purity {purity(y, labels):.3f}")
            for ratio in args.ratios:
                sub = SubPersonas(ratio=ratio).fit(tree, labels, Z, clusterer.min_cluster_size_,
                                                   clusterer.max_cluster_size_)
                level2 = np.where(sub.sub_labels_ >= 0, sub.sub_labels_ + labels.max() + 1, labels)
                print(f"  ratio {ratio}: size {sub.size_}, {len(sub.subs_of_)} personas split into "
                      f"{sub.n_subpersonas_}; {np.unique(level2).size} level-2 groups, purity {purity(y, level2):.3f}",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
