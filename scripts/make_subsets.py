"""Labelled sets of a few large topics, cut from ../shared/data, to see how the granularity holds when the
classes are few and large (docs/ablations.md, "Few large topics").

    python scripts/make_subsets.py --out-dir subsets
    for n in b5 b10 b20 b40 tw10 tw20 gn10 gn20 gn40; do
        python scripts/ablate.py --data subsets/$n.csv --label-col label --name $n --groups granularity baselines
    done

- ``b5``, ``b10``, ``b20``, ``b40``: every Banking77 query (train + test) of 5, 10, 20 and 40 intents drawn
  at random (one ``random.Random(0)`` stream, ``sample`` of the sorted intent names for 5, then 10, 20, 40):
  861, 1,700, 3,360 and 6,721 texts, about 170 per intent.
- ``tw10``, ``tw20``, ``gn10``, ``gn20``, ``gn40``: every text of the 10 or 20 largest topics of Tweet (1,270
  texts, 65–249 each; 1,702, 34–249) and of the 10, 20 or 40 largest stories of GoogleNews-TS (2,905 texts,
  213–430 each; 4,500, 147–430; 6,976, 106–430).

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


def banking(shared: Path, sizes=(5, 10, 20, 40)) -> dict[str, pd.DataFrame]:
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
    return {**banking(shared), **{f"tw{k}": largest(stc / "tweet.jsonl", k) for k in (10, 20)},
            **{f"gn{k}": largest(stc / "googlenews_ts.jsonl", k) for k in (10, 20, 40)}}


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
