"""How often the "name describes few of them" mark (``name_share`` under ``FEW_NAME_SHARE``) falls on personas
whose members mostly share one label, from run directories already made (nothing is fitted):

    python scripts/eval_name_share.py RUN_DIR --data ../shared/data/banking77/test.csv --label-col category
    python scripts/eval_name_share.py RUN_DIR --data ../shared/data/twitter_airline_sentiment/Tweets.csv \\
        --label-col negativereason --id-col tweet_id

Members are matched to the labelled file by ``--id-col`` when given, else by the ids the ingest gives rows
without an id column ("test:1" is the first data row of test.csv). Per persona: the name, the share of its
members holding the name's words (``ml.profile.name_share``, recomputed with the code checked out, and the one
stored in the run), and its purity (the commonest label's share of the labelled members). Prints a table and
a summary: names marked, and marked names of personas 80 % pure or more (likely false alarms).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.profile.name_share import FEW_NAME_SHARE, name_share

PURE = 0.8


def labelled(run_dir: Path, data: Path, label_col: str, id_col: str | None) -> pd.DataFrame:
    members = pd.read_parquet(run_dir / "assignments.parquet", columns=["member_id", "persona_id", "text"])
    frame = pd.read_csv(data)
    if id_col:
        labels = dict(zip(frame[id_col].astype(str), frame[label_col], strict=True))
    else:
        labels = {f"{data.stem}:{k + 1}": v for k, v in enumerate(frame[label_col])}
    members["label"] = members["member_id"].astype(str).map(labels)
    return members


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--label-col", required=True)
    p.add_argument("--id-col")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    members = labelled(args.run_dir, args.data, args.label_col, args.id_col)
    rows = []
    for persona in json.loads((args.run_dir / "personas.json").read_text(encoding="utf-8")):
        mine = members[members["persona_id"] == persona["id"]]
        labels = mine["label"].dropna()
        rows.append({"id": persona["id"], "name": persona["name"], "size": len(mine),
                     "stored": persona.get("name_share"),
                     "name_share": name_share(persona["name"], mine["text"].astype(str).tolist()),
                     "purity": round(float(labels.value_counts(normalize=True).iloc[0]), 3) if len(labels) else None})
    table = pd.DataFrame(rows).sort_values("name_share")
    marked = table[table["name_share"] < FEW_NAME_SHARE]
    summary = {"personas": len(table), "marked": len(marked),
               "marked_pure": int((marked["purity"] >= PURE).sum()),
               "median_name_share": round(float(table["name_share"].median()), 3)}
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(table.to_string(index=False))
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "personas": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
