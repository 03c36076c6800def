"""How many dates each weekday of a data set stands for, and which weekdays are its dates rather than a habit
(``ml.profile.activity``: fewer than ``MIN_WEEKDAY_DATES`` dates, or one date above half of the weekday's rows).

    python scripts/weekday_dates.py [--data ../shared/data] [--json bench-results/weekday_dates.json]

Reads every timestamped conversation set (the bundled samples, and under ``--data`` the airline tweets and both
Customer-Support-on-Twitter slices) with the pipeline's loader, all rows (before the filter), and prints per
set the dates, the dates per weekday and the weekdays a persona page would flag. The population the run
profiles is the kept members, so a run's figures differ a little; which days are flagged rarely does.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ml.ingest.load import load_messages
from ml.profile.activity import WEEKDAYS, ActivityProfiler, date_bound

REPO = Path(__file__).resolve().parents[1]
SETS = {
    "bundled TWCS sample": REPO / "data/sample/twcs_sample.csv",
    "bundled airline sample": REPO / "data/sample/airline_tweets_sample.csv",
    "airline tweets (all)": "twitter_airline_sentiment/Tweets.csv",
    "TWCS kaggle_sample": "twcs_sample/kaggle_sample.csv",
    "TWCS first 5000": "twcs_sample/twcs_first5000.csv",
}


def weekday_dates(path: Path) -> dict:
    frame, _ = load_messages([path])
    fit = ActivityProfiler().fit(frame, np.zeros(len(frame), dtype=int))
    per_day = fit.weekday_dates_ or []
    return {"rows": len(frame), "dates": sum(d["dates"] for d in per_day),
            "per_weekday": per_day, "flagged": [WEEKDAYS[i] for i, d in enumerate(per_day) if d["dates"] and date_bound(d)],
            "absent": [WEEKDAYS[i] for i, d in enumerate(per_day) if not d["dates"]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    out = {}
    for name, rel in SETS.items():
        path = rel if isinstance(rel, Path) else Path(args.data) / rel
        if not path.exists():
            print(f"{name}: {path} not found, skipped")
            continue
        out[name] = weekday_dates(path)
    print("| data | rows | dates | dates per weekday (Mon..Sun) | busiest date's share (Mon..Sun) | flagged | absent |")
    print("|---|---:|---:|---|---|---|---|")
    for name, r in out.items():
        counts = " ".join(str(d["dates"]) for d in r["per_weekday"])
        shares = " ".join(f"{100 * d['busiest_share']:.0f}%" for d in r["per_weekday"])
        print(f"| {name} | {r['rows']:,} | {r['dates']} | {counts} | {shares} | {', '.join(r['flagged']) or 'none'} | {', '.join(r['absent']) or 'none'} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
