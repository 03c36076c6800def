"""Sample-fit placement speed: ml.knn's search against scikit-learn's brute search, same rows.

    python scripts/bench_placement.py                                  # 50,000 rows
    python scripts/bench_placement.py --sizes 50000 300000 --out bench-results/placement.json

For each size: a seeded mixture of 400 Gaussian clusters in 420 dims (the fused matrix's width: 384 text +
36 behavioural), rows scaled to length ~1 like the fused rows; ``reduce.fit_sample_size`` (20,000) rows
fitted, the rest placed exactly as a run places them (``NeighbourPlacer.place`` with the run's defaults:
10 neighbours, 5 spread rounds over at most 50,000 reference rows). Once with the neighbour search of
``ml.knn.BruteNeighbours``, once with scikit-learn's ``NearestNeighbors(algorithm="brute")`` in its place.
Prints a table (seconds, placed rows per second, share of neighbour lists that are identical) and writes
JSON. Timings only mean something on a quiet machine: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.cluster import placement as placement_mod  # noqa: E402
from ml.cluster.placement import NeighbourPlacer, sample_index  # noqa: E402
from ml.knn import BruteNeighbours  # noqa: E402

FIT_ROWS, DIM, CLUSTERS = 20000, 420, 400


class SklearnNeighbours:
    """scikit-learn's exact brute search behind ``BruteNeighbours``' interface (the search before ml.knn)."""

    def __init__(self, metric: str = "euclidean"):
        self.metric = metric

    def fit(self, R):
        from sklearn.neighbors import NearestNeighbors

        self.nn_ = NearestNeighbors(algorithm="brute", metric=self.metric, n_jobs=-1).fit(np.asarray(R, np.float32))
        self.n_samples_fit_ = self.nn_.n_samples_fit_
        return self

    def kneighbors(self, Q, k):
        from sklearn import config_context

        with config_context(working_memory=256):  # what NeighbourPlacer set before ml.knn
            dist, idx = self.nn_.kneighbors(np.asarray(Q, np.float32), n_neighbors=k)
        return dist.astype(np.float32), idx.astype(np.int64)


def rows(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(CLUSTERS, DIM)).astype(np.float32)
    out = np.empty((n, DIM), dtype=np.float32)
    for s in range(0, n, 50000):
        m = min(50000, n - s)
        out[s:s + m] = centres[rng.integers(0, CLUSTERS, m)] + rng.normal(scale=0.8, size=(m, DIM))
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def place(X: np.ndarray, fit_index: np.ndarray, backend) -> tuple[float, object]:
    placement_mod.BruteNeighbours = backend
    try:
        start = time.perf_counter()
        placer = NeighbourPlacer(10).fit(X[fit_index])
        result = placer.place(X, fit_index, spread_rounds=5, spread_rows=50000, seed=0)
        return time.perf_counter() - start, result
    finally:
        placement_mod.BruteNeighbours = BruteNeighbours


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50000])
    ap.add_argument("--out", default="bench-results/placement.json")
    args = ap.parse_args(argv)
    results = []
    for n in args.sizes:
        X = rows(n)
        fit_index = sample_index(n, FIT_ROWS, 42)
        place(X[:30000], sample_index(30000, 10000, 0), BruteNeighbours)  # compile / load the kernels once
        load = os.getloadavg()[0]
        ours_s, ours = place(X, fit_index, BruteNeighbours)
        sk_s, sk = place(X, fit_index, SklearnNeighbours)
        same = float(np.mean(np.all(ours.neighbours == sk.neighbours, axis=1)))
        same_graph = float(np.mean(np.all(ours.graph[0] == sk.graph[0], axis=1)))
        results.append({"rows": n, "fitted": FIT_ROWS, "placed": int(ours.n_placed), "ml_knn_s": round(ours_s, 2),
                        "sklearn_s": round(sk_s, 2), "ratio": round(ours_s / sk_s, 3),
                        "same_neighbour_lists": round(same, 5), "same_spread_lists": round(same_graph, 5),
                        "loadavg_1m_start": round(load, 2), "loadavg_1m_end": round(os.getloadavg()[0], 2)})
    print(f"{'rows':>9} {'placed':>9} {'ml.knn s':>9} {'sklearn s':>10} {'ratio':>6} {'same lists':>11} "
          f"{'same spread':>12} {'load':>10}")
    for r in results:
        print(f"{r['rows']:>9,} {r['placed']:>9,} {r['ml_knn_s']:>9.1f} {r['sklearn_s']:>10.1f} {r['ratio']:>6.2f} "
              f"{r['same_neighbour_lists']:>11.4%} {r['same_spread_lists']:>12.4%} "
              f"{r['loadavg_1m_start']:>4}/{r['loadavg_1m_end']:<4}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"cpus": os.cpu_count(), "results": results}, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
