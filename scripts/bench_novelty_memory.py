"""Peak memory of the persona model's novelty fit (``ml.lineage.neighbourhood.NeighbourhoodNovelty``) at 1M rows.

    python scripts/bench_novelty_memory.py [--rows 976434] [--out bench-results/novelty-memory.json]

Each variant runs in a fresh process on the same seeded (rows, 384) float32 matrix, built in blocks so
that building it does not set the process peak: ``sample-first`` is the code as it is (draw the
``max_members`` sample, normalise it), ``normalise-all`` what ``fit`` did before 2026-12-01 (a normalised
copy of every row, then the sample). Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child(rows: int, variant: str) -> dict:
    import numpy as np

    sys.path.insert(0, str(REPO))
    from ml.lineage.neighbourhood import NeighbourhoodNovelty, unit_rows
    from ml.runtime.timing import rss_mb

    V = np.empty((rows, 384), dtype=np.float32)
    rng = np.random.default_rng(0)
    for i in range(0, rows, 50_000):
        V[i:i + 50_000] = rng.standard_normal((min(50_000, rows - i), 384), dtype=np.float32)
    held = rss_mb()
    NeighbourhoodNovelty().fit(unit_rows(V) if variant == "normalise-all" else V)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"variant": variant, "rows": rows, "held_mb": round(held), "peak_mb": round(peak),
            "added_mb": round(peak - held)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=976_434)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.rows, args.child)))
        return
    results = []
    for variant in ("normalise-all", "sample-first"):
        out = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--child", variant],
                             check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    print("| variant | rows | held before (MB) | peak (MB) | added by the fit (MB) |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['variant']} | {r['rows']:,} | {r['held_mb']:,} | {r['peak_mb']:,} | {r['added_mb']:,} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
