"""Benchmark: users × events matrix from the 1.3M raw OULAD rows, then the NMF fit (time and peak memory).

    python scripts/bench_events.py [--data ../shared/data] [--json test-artifacts/bench_events.json]

Stages, each timed with its peak resident memory (``ru_maxrss`` after the stage; the process baseline
after imports is printed too):

1. ingest: read the four ``studentVle_*.csv.gz`` files (1,306,166 rows), map ``id_site`` to
   ``activity_type`` through ``vle.csv``, parse day offsets;
2. matrix: window (none), min-activity, key events, log weighting, per-presentation scaling, l1 rows;
3. k selection: held-out reconstruction error for k = 2..8 (5 masks each, 4000-user sample);
4. NMF fit: scikit-learn NMF at the chosen k on all users, plus assignment with margins.

Prints a table and writes JSON. Single process; the machine's other load is not controlled.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.events.config import EventInputConfig
from ml.events.ingest import load_events
from ml.events.matrix import EventMatrix
from ml.events.nmf import EventPersonaModel

PRESENTATIONS = ("AAA_2013J", "BBB_2014J", "DDD_2014J", "GGG_2014J")


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--json", default="test-artifacts/bench_events.json")
    args = ap.parse_args(argv)
    o = Path(args.data) / "events_oulad"
    files = [o / f"studentVle_{p}.csv.gz" for p in PRESENTATIONS]
    cfg = EventInputConfig(user_cols=["code_module", "code_presentation", "id_student"],
                           group_cols=["code_module", "code_presentation"], event_lookup=str(o / "vle.csv"),
                           event_lookup_key="id_site", event_lookup_value="activity_type", count_col="sum_click",
                           time_col="date")
    baseline = rss_mb()
    rows = []

    def stage(name, fn):
        t = time.perf_counter()
        out = fn()
        rows.append({"stage": name, "seconds": round(time.perf_counter() - t, 2), "peak_rss_mb": rss_mb()})
        return out

    table = stage("ingest (read + lookup + times)", lambda: load_events(files, cfg))
    builder = stage("matrix (window, key events, weighting)", lambda: EventMatrix().fit(table.events))
    model = EventPersonaModel(random_state=0)
    k, k_table = stage("k selection (CV, k=2..8)", lambda: model.select_k(builder.X_))
    fitted = stage(f"NMF fit (k={k}) + assignment", lambda: EventPersonaModel(k=k, random_state=0).fit(builder.X_))
    result = {
        "input_rows": int(table.report["rows"]), "event_rows_kept": len(table.events),
        "users": int(builder.X_.shape[0]), "event_types": int(builder.X_.shape[1]), "k": int(k),
        "mixed_share": round(float(fitted.mixed_.mean()), 4), "baseline_rss_mb": baseline, "stages": rows,
        "total_seconds": round(sum(r["seconds"] for r in rows), 2), "k_selection": k_table,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
    }
    print(f"{result['input_rows']:,} raw rows → {result['users']:,} users × {result['event_types']} event types, "
          f"k={k} (baseline RSS {baseline} MB)")
    print(f"{'stage':42} {'seconds':>8} {'peak RSS MB':>12}")
    for r in rows:
        print(f"{r['stage']:42} {r['seconds']:8.2f} {r['peak_rss_mb']:12.1f}")
    print(f"{'total':42} {result['total_seconds']:8.2f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
