"""Kill a real run during encoding and start it again: how much of the finished work is kept.

    python scripts/bench_resume.py [--encoder int8] [--at 0.6] [--out bench_resume.json] [FILES...]

Runs ``python -m ml.run FILES --no-store`` (default: Banking77 train + test) with an empty
embedding cache in a temporary folder, SIGKILLs it once the cache holds ``--at`` of the input rows
(read from the SQLite row count, polled every 50 ms), then runs the same command again to the end and
reads ``embedding_cache`` {cached, encoded} from its manifest. Every vector written before the kill
must come back from the cache (cached == rows at kill): what is lost is at most the batch that was
being encoded when the process died.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
BANKING = [REPO.parent / "shared" / "data" / "banking77" / f for f in ("train.csv", "test.csv")]


def cache_rows(cache_dir: Path) -> int:
    for path in cache_dir.glob("embeddings-*.sqlite"):
        try:
            with sqlite3.connect(path, timeout=5) as con:
                return con.execute("SELECT COUNT(*) FROM emb").fetchone()[0]
        except sqlite3.OperationalError:
            return 0
    return 0


def run(files: list[str], encoder: str, at: float, batch_size: int) -> dict:
    n_input = sum(len(pd.read_csv(f)) for f in files)
    with tempfile.TemporaryDirectory() as tmp:
        cache, config = Path(tmp) / "cache", Path(tmp) / "config.json"
        config.write_text(json.dumps({"embed": {"batch_size": batch_size}}))
        cmd = [sys.executable, "-m", "ml.run", *files, "--no-store", "--quiet", "--encoder", encoder,
               "--cache-dir", str(cache), "--config", str(config)]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        start = time.perf_counter()
        first = subprocess.Popen([*cmd, "--out", str(Path(tmp) / "run1")], cwd=REPO, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while cache_rows(cache) < at * n_input:
            if first.poll() is not None:
                raise SystemExit(f"the first run ended (rc {first.returncode}) before the kill point")
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_after = time.perf_counter() - start
        rows = cache_rows(cache)
        second = subprocess.run([*cmd, "--out", str(Path(tmp) / "run2")], check=False, cwd=REPO, env=env,
                                capture_output=True, text=True)
        if second.returncode != 0:
            raise SystemExit(second.stderr[-2000:])
        manifest = next((Path(tmp) / "run2").rglob("manifest.json"))
        stats = json.loads(manifest.read_text())["embedding_cache"]
    return {"encoder": encoder, "batch_size": batch_size, "input_rows": n_input, "killed_after_s": killed_after,
            "rows_at_kill": rows, "share_at_kill": rows / n_input, "rerun_cached": stats["cached"],
            "rerun_encoded": stats["encoded"], "lost": rows - stats["cached"]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("files", nargs="*", default=[str(f) for f in BANKING])
    p.add_argument("--encoder", choices=["fp32", "int8"], default="int8")
    p.add_argument("--at", type=float, default=0.6, help="kill when the cache holds this share of the input rows")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--out", default="bench_resume.json")
    args = p.parse_args(argv)
    r = run(args.files, args.encoder, args.at, args.batch_size)
    print(f"killed after {r['killed_after_s']:.1f} s with {r['rows_at_kill']} of {r['input_rows']} rows cached "
          f"({r['share_at_kill']:.0%}); re-run: {r['rerun_cached']} from the cache, {r['rerun_encoded']} encoded; "
          f"cached vectors lost: {r['lost']}")
    Path(args.out).write_text(json.dumps(r, indent=2))
    return 0 if r["lost"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
