"""Per-stage growth across sizes from scripts/bench_pipeline.py reports (cold runs).

    python scripts/bench_growth.py REPORT.json [REPORT.json ...] [--out bench-results/growth.json] [--md]

For each pair of consecutive sizes (smallest first) and each stage: growth = (t_big / t_small) / (n_big /
n_small), the time ratio over the size ratio. 1.0 is linear; above 1 the stage grows faster than linear
(at 1.2 from 300k to 1M its time ratio is 4x for 3.3x the rows). Stages under 1 s at the smaller size are
marked, their ratio is noise. The encoder of each run is shown: a growth across encoders (fp32 at 50k, int8
above) says nothing about the embed stage. Checks per size as scripts/bench_pipeline.py defines them.
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import pairwise
from pathlib import Path

STAGES = ["ingest", "filter", "units", "features", "embed", "fuse", "reduce", "cluster", "reassign", "metrics",
          "mask", "profile", "hierarchy", "subpersonas", "model", "side work"]
MIN_SECONDS = 1.0


def cold_runs(paths: list[Path]) -> list[dict]:
    """Cold, successful results of the reports, one per size (the last one given wins), smallest first."""
    by_size: dict[int, dict] = {}
    for path in paths:
        report = json.loads(path.read_text())
        for r in report.get("results", []):
            if r.get("run") == "cold" and "timings_s" in r:
                by_size[int(r["size"])] = {**r, "report": str(path), "checks": report["checks"].get(str(r["size"]), {}),
                                           "encoder": r.get("encoder", "fp32 (default)")}
    return [by_size[k] for k in sorted(by_size)]


def stage_times(r: dict) -> dict[str, float]:
    t = dict(r["timings_s"])
    t["outside stages"] = round(r["wall_s"] - t.get("total", 0.0), 2)
    t["process wall"] = r["wall_s"]
    return t


def growth(runs: list[dict]) -> list[dict]:
    """One entry per consecutive pair: per stage time ratio, size ratio and growth factor."""
    out = []
    for a, b in pairwise(runs):
        ta, tb = stage_times(a), stage_times(b)
        size_ratio = b["size"] / a["size"]
        stages = {}
        for name in [*STAGES, "outside stages", "process wall"]:
            if name in ta and name in tb and ta[name] > 0:
                stages[name] = {"time_ratio": round(tb[name] / ta[name], 2),
                                "growth": round(tb[name] / ta[name] / size_ratio, 2),
                                "small_base": ta[name] < MIN_SECONDS}
        out.append({"from": a["size"], "to": b["size"], "size_ratio": round(size_ratio, 2),
                    "encoders": [a["encoder"], b["encoder"]], "stages": stages})
    return out


def markdown(runs: list[dict], pairs: list[dict]) -> str:
    head = "| stage (s) | " + " | ".join(f"{r['size']:,} ({r['encoder']})" for r in runs) + " |"
    lines = [head, "|---|" + "---:|" * len(runs)]
    times = [stage_times(r) for r in runs]
    for name in [*STAGES, "outside stages", "process wall"]:
        lines.append(f"| {name} | " + " | ".join(f"{t.get(name, 0.0):.1f}" for t in times) + " |")
    lines.append("| peak RSS, process (MB) | " + " | ".join(f"{r['process_peak_rss_mb']:,.0f}" for r in runs) + " |")
    lines.append("| peak PSS, process tree (MB) | " + " | ".join(
        f"{r['tree_peak_pss_mb']:,.0f}" if r.get("tree_peak_pss_mb") else "-" for r in runs) + " |")
    lines.append("| load average 1 min (start/end) | " + " | ".join(
        "{:.1f}/{:.1f}".format(*r["loadavg_1m"]) for r in runs) + " |")
    lines += ["", "| growth (time ratio / size ratio) | " + " | ".join(
        f"{p['from']:,} → {p['to']:,} (×{p['size_ratio']})" for p in pairs) + " |", "|---|" + "---:|" * len(pairs)]
    for name in [*STAGES, "outside stages", "process wall"]:
        cells = []
        for p in pairs:
            g = p["stages"].get(name)
            cells.append("-" if g is None else f"{g['growth']:.2f}" + (" (base < 1 s)" if g["small_base"] else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("reports", type=Path, nargs="+")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--md", action="store_true", help="print markdown tables")
    args = p.parse_args(argv)
    runs = cold_runs(args.reports)
    if len(runs) < 2:
        print("error: need cold runs of at least two sizes across the reports", file=sys.stderr)
        return 2
    pairs = growth(runs)
    result = {"runs": [{k: r[k] for k in ("size", "encoder", "report", "wall_s", "timings_s", "process_peak_rss_mb",
                                          "peak_rss_mb_by_stage", "loadavg_1m", "checks")}
                       | {"tree_peak_pss_mb": r.get("tree_peak_pss_mb")} for r in runs],
              "growth": pairs}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
    print(markdown(runs, pairs) if args.md else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
