"""How well persona families group the personas: each linkage scored against labels on the same personas.

    python scripts/eval_families.py --sets airline twcs banking77 googlenews tweet --seeds 0 1 2 \
        --json bench-results/families.json
    python scripts/eval_families.py --sets mix --seeds 0 1      # needs: python scripts/make_mix.py --out mix.csv

Runs the pipeline once per set and seed (stability off; the embeddings from the on-disk cache), then cuts
the same personas into families with each linkage (``PersonaFamilies(linkage=...)``, the run's own count,
round(sqrt(personas))) and scores the member-level family labels:

- ``nmi_fine``: NMI against the set's own labels (intents, stories). At a fixed number of families it is
  highest when families are about equally large and keep each label inside one family: how much a family
  tells about what a member is about.
- ``nmi_coarse`` / ``purity_coarse``: against a coarser label a family should follow, where the set has one:
  the airline tweets' complaint reason (``negativereason``, else the sentiment: 12 classes), the brand
  that answered a Customer-Support-on-Twitter tweet (76 brands), the source set in the mix (3).
- ``kept_together``: share of members whose label's commonest family is their own (1 = no label split).
- ``largest``: the largest family's share of the members.

Prints one row per set, seed and linkage, and writes them as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PERSONAS_CACHE_DIR", str(REPO / ".cache" / "personas"))
DATA = Path(os.environ.get("PERSONAS_SHARED_DATA", REPO.parent / "shared" / "data"))
LINKAGES = ("average", "complete", "ward")


def _airline(tmp: Path) -> tuple[Path, str]:
    frame = pd.read_csv(DATA / "twitter_airline_sentiment" / "Tweets.csv")
    negative = frame["airline_sentiment"] == "negative"
    frame["coarse"] = frame["negativereason"].where(negative, frame["airline_sentiment"])
    frame.to_csv(tmp / "airline_coarse.csv", index=False)
    return tmp / "airline_coarse.csv", "coarse"


def _twcs(tmp: Path) -> tuple[Path, str]:
    """Each customer tweet labelled with the brand account that answered it (``twcs_brand``)."""
    from scripts.ablation.data import twcs_brand

    frame = pd.read_csv(DATA / "twcs_sample" / "twcs_first5000.csv", dtype={"tweet_id": str})
    parent = frame["in_response_to_tweet_id"].map(lambda v: None if pd.isna(v) else str(int(v)))
    messages = pd.DataFrame({"message_id": frame["tweet_id"], "author": frame["author_id"],
                             "inbound": frame["inbound"].astype("boolean"), "reply_to": parent})
    frame["brand"] = twcs_brand(messages)
    frame.to_csv(tmp / "twcs_brand.csv", index=False)
    return tmp / "twcs_brand.csv", "brand"


SETS = {  # name → (paths + label column, or a builder) and how its coarse label is read
    "airline": (_airline, "label"),
    "twcs": (_twcs, "label"),
    "banking77": (lambda tmp: (DATA / "banking77" / "train.csv", "category"), None),
    "googlenews": (lambda tmp: (DATA / "short_text_clustering" / "googlenews_ts.jsonl", "cluster"), None),
    "tweet": (lambda tmp: (DATA / "short_text_clustering" / "tweet.jsonl", "cluster"), None),
    "mix": (lambda tmp: (Path("mix.csv"), "label"), "prefix"),
}


def scores(family: np.ndarray, fine: np.ndarray, coarse: np.ndarray | None) -> dict:
    """The module docstring's measures for member-level ``family`` ids against the labels."""
    from sklearn.metrics import normalized_mutual_info_score as nmi

    frame = pd.DataFrame({"family": family, "fine": fine})
    kept = frame.groupby("fine")["family"].agg(lambda s: s.value_counts().iloc[0]).sum() / len(frame)
    out = {"nmi_fine": round(float(nmi(fine, family)), 3), "kept_together": round(float(kept), 3),
           "largest": round(float(np.bincount(family).max() / len(family)), 3)}
    if coarse is not None:
        frame["coarse"] = coarse
        top = frame.groupby("family")["coarse"].agg(lambda s: s.value_counts().iloc[0]).sum() / len(frame)
        out |= {"nmi_coarse": round(float(nmi(coarse, family)), 3), "purity_coarse": round(float(top), 3)}
    return out


def evaluate(name: str, seed: int, tmp: Path) -> list[dict]:
    from ml.cluster.hierarchy import PersonaFamilies
    from ml.runtime.config import PipelineConfig
    from ml.runtime.pipeline import PersonaPipeline

    build, coarse_rule = SETS[name]
    path, label_col = build(tmp)
    if not path.exists():
        raise SystemExit(f"{path}: data file not found (set PERSONAS_SHARED_DATA, or make mix.csv first)")
    cfg = PipelineConfig().updated({"seed": seed, "input": {"label_col": label_col},
                                    "metrics": {"stability": False}})
    result = PersonaPipeline(cfg, progress=False).run([str(path)])
    members = result.members
    has = members["label"].notna().to_numpy()
    labels = members["persona_id"].to_numpy()
    fine = members["label"].astype(str).to_numpy()[has]
    coarse = None
    if coarse_rule == "label":
        coarse = fine  # airline, twcs: the label is the coarse one
    elif coarse_rule == "prefix":
        coarse = np.array([s.split(":")[0] for s in fine])
    rows = []
    for method in LINKAGES:
        fams = PersonaFamilies(linkage=method).fit(result.embeddings, labels)
        family = fams.predict(labels)[has]
        rows.append({"set": name, "seed": seed, "linkage": method, "personas": len(fams.persona_ids_),
                     "families": fams.n_families_, **scores(family, fine, coarse)})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", nargs="+", default=["airline", "twcs", "banking77", "googlenews", "tweet"],
                    choices=sorted(SETS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets:
            for seed in args.seeds:
                for row in evaluate(name, seed, Path(tmp)):
                    rows.append(row)
                    print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
