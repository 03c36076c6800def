"""One labelled dump from three of ../shared/data's sets, to see whether granularity depends on what else is
in a dump.

    python scripts/make_mix.py --out mix.csv
    python scripts/ablate.py --data mix.csv --label-col label b77 gn tw --name mix --groups default baselines

Banking77 (train + test), GoogleNews-TS and Tweet, shuffled together (seed 0): 26,664 real texts, 318
classes. Columns: ``text``; ``label`` (the set's prefix and its own label: ``b77:card_arrival``,
``gn:12``, ``tw:7``); and ``b77``, ``gn``, ``tw``, each holding that set's label on its own rows and
empty elsewhere. The ablation leaves a member without a label out of that column's scores, so ``b77``
scores the Banking77 rows as they were clustered together with the others. The three sets share no
topic, so a granularity that does not depend on the rest of the dump should find about the personas
each set gets alone (docs/ablations.md, "Granularity when other data is added").
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PERSONAS_SHARED_DATA", REPO.parent / "shared" / "data"))
SETS = {
    "b77": (["banking77/train.csv", "banking77/test.csv"], "category"),
    "gn": (["short_text_clustering/googlenews_ts.jsonl"], "cluster"),
    "tw": (["short_text_clustering/tweet.jsonl"], "cluster"),
}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_json(path, lines=True) if path.suffix == ".jsonl" else pd.read_csv(path)


def build(shared: Path = SHARED_DATA, seed: int = 0) -> pd.DataFrame:
    """The shuffled mix (see the module docstring)."""
    parts = []
    for prefix, (paths, column) in SETS.items():
        for rel in paths:
            path = shared / rel
            if not path.exists():
                raise SystemExit(f"{path}: data file not found (set PERSONAS_SHARED_DATA)")
            frame = _read(path)
            own = frame[column].astype(str)
            part = pd.DataFrame({"text": frame["text"].astype(str), "label": prefix + ":" + own})
            for other in SETS:
                part[other] = own if other == prefix else None
            parts.append(part)
    return pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="CSV file to write")
    p.add_argument("--seed", type=int, default=0, help="shuffle seed")
    args = p.parse_args(argv)
    mix = build(seed=args.seed)
    mix.to_csv(args.out, index=False)
    counts = mix["label"].value_counts()
    big = int(((counts >= 0.002 * len(mix)) & (counts >= 10)).sum())
    print(f"{args.out}: {len(mix)} texts, {counts.size} classes, {big} with at least 0.2 % of the texts and 10")
    return 0


if __name__ == "__main__":
    sys.exit(main())
