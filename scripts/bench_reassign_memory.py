"""Peak memory of the noise reassigner's fit (``ml.cluster.reassign``) by block size.

``python scripts/bench_reassign_memory.py [--rows 300000] [--dim 420] [--personas 51]
[--blocks 65536 16384] [--out bench-results/reassign_memory.json]``: random float32 vectors of the given
shape (the fused matrix's shape at 300k), one ``NoiseReassigner`` fit per metric (euclidean, cosine) in a
fresh process per block size; RSS is sampled every 20 ms. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import sys, time, threading, json, numpy as np
sys.path.insert(0, {repo!r})
from ml.runtime.timing import rss_mb, release_memory
from ml.cluster import reassign
reassign.CHUNK_ROWS = {block}
rng = np.random.default_rng(0)
X = rng.normal(size=({rows}, {dim})).astype(np.float32)
labels = rng.integers(0, {personas}, {rows}); flagged = rng.random({rows}) < 0.3
release_memory(); base = rss_mb(); peak = [base]
def watch():
    while True:
        peak[0] = max(peak[0], rss_mb()); time.sleep(0.02)
threading.Thread(target=watch, daemon=True).start()
t = time.perf_counter()
for metric in ("euclidean", "cosine"):
    reassign.NoiseReassigner(metric).fit(X, labels, flagged)
print(json.dumps({{"block": {block}, "peak_over_base_mb": round(peak[0] - base, 1),
                  "seconds": round(time.perf_counter() - t, 2)}}))
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=300_000)
    p.add_argument("--dim", type=int, default=420)
    p.add_argument("--personas", type=int, default=51)
    p.add_argument("--blocks", type=int, nargs="+", default=[65536, 16384])
    p.add_argument("--out", type=Path, default=REPO / "bench-results" / "reassign_memory.json")
    args = p.parse_args(argv)
    results = []
    for block in args.blocks:
        code = CHILD.format(repo=str(REPO), block=block, rows=args.rows, dim=args.dim, personas=args.personas)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{'block rows':>10} {'peak over base (MB)':>20} {'seconds':>8}")
    for r in results:
        print(f"{r['block']:>10} {r['peak_over_base_mb']:>20.1f} {r['seconds']:>8.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rows": args.rows, "dim": args.dim, "personas": args.personas,
                                    "results": results}, indent=2))
    print(f"JSON written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
