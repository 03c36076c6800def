"""Labelled sets of small and mixed shapes, cut from ../shared/data, that the defaults were never tuned on
(docs/ablations.md, "Neighbours that follow the smallest persona").

    python scripts/make_small_sets.py --out-dir small
    python scripts/eval_small_sets.py --data-dir small --seeds 0 1 2 --runs-dir /tmp/small
    python scripts/make_small_sets.py --tiny --out-dir tiny      # 14 dumps of 60-250 texts ("Small dumps")

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


def _per_class(frame: pd.DataFrame, classes, n, seed: int) -> pd.DataFrame:
    """``n`` texts of each class (``n`` a number, or one per class: uneven sizes)."""
    sizes = [n] * len(classes) if isinstance(n, int) else n
    return pd.concat([frame[frame["category"] == c].sample(k, random_state=seed) for c, k in zip(classes, sizes)])


def _tiny(prefix: str, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sample(frac=1, random_state=0)
    return _framed(prefix, frame["text"], frame["category"])


def tiny_sets(shared: Path) -> dict[str, pd.DataFrame]:
    """Dumps of 60-250 texts (docs/ablations.md, "Small dumps"): Banking77 intents, GoogleNews-TS stories and Tweet
    topics of 7-40 texts each, equal and uneven (``t165_tw8u``: the first 8 of its 12 sizes, as only 16 Tweet topics
    hold 40 texts); the first five were a helper audit's (forty-fourth session), the
    rest drawn in the forty-fifth from other intents, stories and topics (the test split for Banking77)."""
    train, test = pd.read_csv(shared / "banking77" / "train.csv"), pd.read_csv(shared / "banking77" / "test.csv")
    gn = pd.read_json(shared / "short_text_clustering" / "googlenews_ts.jsonl", lines=True)
    tw = pd.read_json(shared / "short_text_clustering" / "tweet.jsonl", lines=True)
    gn = pd.DataFrame({"text": gn["text"], "category": "gn" + gn["cluster"].astype(str)})
    tw = pd.DataFrame({"text": tw["text"], "category": "tw" + tw["cluster"].astype(str)})
    vc = gn["category"].value_counts()
    all_intents, all_stories = sorted(train["category"].unique()), sorted(vc[vc >= 30].index)
    out, rng, intents, stories = {}, np.random.default_rng(44), list(all_intents), list(all_stories)
    rng.shuffle(intents)
    out["s150_b5"] = _tiny("a", _per_class(train, intents[:5], 30, 1))
    rng.shuffle(stories)
    out["s150_gn10"] = _tiny("d", _per_class(gn, stories[:10], 15, 1))
    rng, intents, stories = np.random.default_rng(45), list(all_intents), list(all_stories)
    rng.shuffle(intents)
    out["s100_b10"] = _tiny("i", _per_class(train, intents[:10], 10, 1))
    out["s80_b4"] = _tiny("j", _per_class(train, intents[10:14], 20, 1))
    rng.shuffle(stories)
    out["s100_gn10"] = _tiny("k", _per_class(gn, stories[:10], 10, 1))
    rng, intents, stories = np.random.default_rng(4545), sorted(test["category"].unique()), list(all_stories)
    rng.shuffle(intents)
    test = test[["text", "category"]]
    for name, prefix, (lo, hi), n in (("t60_b3", "p", (0, 3), 20), ("t120_b12", "q", (3, 15), 10),
                                      ("t180_b6", "r", (15, 21), 30), ("t150_b15", "s", (21, 36), 10),
                                      ("t250_b25", "u", (36, 61), 10)):
        out[name] = _tiny(prefix, _per_class(test, intents[lo:hi], n, 2))
    rng.shuffle(stories)
    out["t100_gn7u"] = _tiny("v", _per_class(gn, stories[:7], [30, 20, 15, 10, 10, 8, 7], 2))
    out["t90_gn6"] = _tiny("w", _per_class(gn, stories[7:13], 15, 2))
    vt = tw["category"].value_counts()
    topics = sorted(vt[vt >= 40].index)
    rng.shuffle(topics)
    out["t120_tw8"] = _tiny("x", _per_class(tw, topics[:8], 15, 2))
    out["t165_tw8u"] = _tiny("y", _per_class(tw, topics[8:20], [40, 30, 25, 20, 15, 15, 10, 10, 10, 5, 5, 5], 2))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", default="small-sets")
    p.add_argument("--shared", default=str(SHARED_DATA), help="the labelled data (default ../shared/data)")
    p.add_argument("--tiny", action="store_true", help="the dumps of 60-250 texts instead (docs/ablations.md, "
                   "'Small dumps')")
    args = p.parse_args()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in (tiny_sets if args.tiny else small_sets)(Path(args.shared)).items():
        frame.to_csv(out / f"{name}.csv", index=False)
        sizes = frame["category"].value_counts()
        target = int(((sizes >= 0.002 * len(frame)) & (sizes >= 10)).sum())
        print(f"{name}: {len(frame):,} texts, {sizes.size} classes ({target} of at least 0.2% and 10 texts)")


if __name__ == "__main__":
    main()
