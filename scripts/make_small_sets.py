"""Labelled sets of small and mixed shapes, cut from ../shared/data, that the defaults were never tuned on
(docs/ablations.md, "Neighbours that follow the smallest persona").

    python scripts/make_small_sets.py --out-dir small
    python scripts/eval_small_sets.py --data-dir small --seeds 0 1 2 --runs-dir /tmp/small

- ``b77test``: the Banking77 test split alone (3,080 texts, 40 per intent: a quarter of the train split's size).
- ``b77t20``: the test split at 20 texts per intent (1,540).
- ``gn15``: 15 GoogleNews-TS stories of mixed sizes (4 of at least 150 texts, 5 of 40-149, 6 of 10-39; 1,278).
- ``tw800``: 800 random Tweet texts (75 topics, most of one to a few texts).
- ``mix2dom``: 3,000 Banking77 (train) and 3,000 GoogleNews-TS texts in one file, labels prefixed by source.

Columns ``id``, ``text``, ``category``. Real texts only; fixed seeds (a helper review built them, 2026-12-06).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PERSONAS_SHARED_DATA", REPO.parent / "shared" / "data"))


def _framed(prefix: str, text: pd.Series, category: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame({"text": text.to_numpy(), "category": category.astype(str).to_numpy()})
    frame.insert(0, "id", [f"{prefix}{i}" for i in range(len(frame))])
    return frame


def small_sets(shared: Path) -> dict[str, pd.DataFrame]:
    test = pd.read_csv(shared / "banking77" / "test.csv")
    gn = pd.read_json(shared / "short_text_clustering" / "googlenews_ts.jsonl", lines=True)
    out = {"b77test": test.sample(frac=1, random_state=0)}
    out["b77test"] = _framed("t", out["b77test"]["text"], out["b77test"]["category"])
    t20 = pd.concat([g.sample(20, random_state=0) for _, g in test.groupby("category")]).sample(frac=1, random_state=0)
    out["b77t20"] = _framed("u", t20["text"], t20["category"])
    sizes, rng, pick = gn["cluster"].value_counts(), np.random.default_rng(7), []
    for lo, hi, k in ((150, 10**9, 4), (40, 149, 5), (10, 39, 6)):  # large, medium and small stories
        pick += list(rng.choice(sorted(sizes[(sizes >= lo) & (sizes <= hi)].index), k, replace=False))
    g15 = gn[gn["cluster"].isin(pick)].sample(frac=1, random_state=0)
    out["gn15"] = _framed("g", g15["text"], "gn" + g15["cluster"].astype(str))
    tw = pd.read_json(shared / "short_text_clustering" / "tweet.jsonl", lines=True).sample(800, random_state=0)
    out["tw800"] = _framed("w", tw["text"], "tw" + tw["cluster"].astype(str))
    b = pd.read_csv(shared / "banking77" / "train.csv").sample(3000, random_state=1)
    g = gn.sample(3000, random_state=1)
    mix = pd.concat([pd.DataFrame({"text": b["text"], "category": "b77:" + b["category"]}),
                     pd.DataFrame({"text": g["text"], "category": "gn:" + g["cluster"].astype(str)})])
    mix = mix.sample(frac=1, random_state=0)
    out["mix2dom"] = _framed("m", mix["text"], mix["category"])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", default="small-sets")
    p.add_argument("--shared", default=str(SHARED_DATA), help="the labelled data (default ../shared/data)")
    args = p.parse_args()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in small_sets(Path(args.shared)).items():
        frame.to_csv(out / f"{name}.csv", index=False)
        sizes = frame["category"].value_counts()
        target = int(((sizes >= 0.002 * len(frame)) & (sizes >= 10)).sum())
        print(f"{name}: {len(frame):,} texts, {sizes.size} classes ({target} of at least 0.2% and 10 texts)")


if __name__ == "__main__":
    main()
