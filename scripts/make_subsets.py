"""Labelled sets of a few large topics, cut from ../shared/data, to see how the granularity holds when the
classes are few and large (docs/ablations.md, "Few large topics").

    python scripts/make_subsets.py --out-dir subsets
    for n in b5 b10 b20 tw10 gn10; do
        python scripts/ablate.py --data subsets/$n.csv --label-col label --name $n --groups granularity baselines
    done

- ``b5``, ``b10``, ``b20``: every Banking77 query (train + test) of 5, 10 and 20 intents drawn at random
  (one ``random.Random(0)`` stream, ``sample`` of the sorted intent names for 5, then 10, then 20): 861,
  1,700 and 3,360 texts, about 170 per intent.
- ``tw10``, ``gn10``: every text of the 10 largest topics of Tweet (1,270 texts, 65–249 each) and of
  GoogleNews-TS (2,905 texts, 213–430 each).

Columns ``text`` and ``label``. Real texts only; what changes from the full sets is how many classes there
are and how large they are beside the data set.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PERSONAS_SHARED_DATA", REPO.parent / "shared" / "data"))


def banking(shared: Path, sizes=(5, 10, 20)) -> dict[str, pd.DataFrame]:
    rows = pd.concat([pd.read_csv(shared / "banking77" / f) for f in ("train.csv", "test.csv")], ignore_index=True)
    intents, rng, out = sorted(rows["category"].unique()), random.Random(0), {}
    for k in sizes:  # one stream: the 10 are drawn after the 5
        keep = rows[rows["category"].isin(set(rng.sample(intents, k)))]
        out[f"b{k}"] = pd.DataFrame({"text": keep["text"], "label": keep["category"]})
    return out


def largest(path: Path, k: int) -> pd.DataFrame:
    rows = pd.read_json(path, lines=True)
    top = rows["cluster"].value_counts().head(k).index
    keep = rows[rows["cluster"].isin(top)]
    return pd.DataFrame({"text": keep["text"], "label": keep["cluster"]})


def build(shared: Path = SHARED_DATA) -> dict[str, pd.DataFrame]:
    stc = shared / "short_text_clustering"
    return {**banking(shared), "tw10": largest(stc / "tweet.jsonl", 10), "gn10": largest(stc / "googlenews_ts.jsonl", 10)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", required=True)
    p.add_argument("--data-dir", default=str(SHARED_DATA))
    args = p.parse_args(argv)
    shared = Path(args.data_dir)
    if not (shared / "banking77").is_dir():
        print(f"error: {shared}: no banking77 folder (set PERSONAS_SHARED_DATA or pass --data-dir)", file=sys.stderr)
        return 2
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in build(shared).items():
        frame.to_csv(out / f"{name}.csv", index=False)
        print(f"{name}: {len(frame)} texts, {frame['label'].nunique()} classes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
