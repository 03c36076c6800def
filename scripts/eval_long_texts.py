"""Long members read whole (``embed.long_texts``: ``medoid``, ``mean``) against their first 256 word pieces.

    python scripts/eval_long_texts.py --seeds 0 1 2 --json bench-results/long_texts.json

Members that join several messages (``--unit conversation``, ``--unit author``) can run past the model's
window. Each case below runs the pipeline once per seed and mode (``medoid``, ``mean``, ``truncate``;
stability off, embeddings from the on-disk cache), on labelled real data:

- ``twcs-conversation`` / ``twcs-author``: the first 5,000 Customer-Support-on-Twitter rows, customers'
  tweets only (the support layout's default), each labelled with the brand that answered it
  (``scripts.eval_families._twcs``); a member's label is its messages' commonest brand;
- ``twcs-conversation-all`` / ``twcs-author-all``: the same with the brand accounts kept
  (``input.keep_agents``), the longest members of these sets;
- ``airline-author``: the airline tweets by author, labelled with the complaint reason (else the sentiment).

Prints, per case and seed: members, members longer than the window (long) and their pieces, personas,
NMI / ARI / ACC after the noise step for each mode, and for the split members (the labelled members whose
vector differs between ``medoid`` and ``truncate``) how often their 10 nearest labelled members (cosine, text embeddings) mostly
carry their own label: that reads the vectors without the layout and the clustering, where changing 1 % of
the vectors moves every persona a little;
``--json`` writes the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PERSONAS_CACHE_DIR", str(REPO / ".cache" / "personas"))

MODES = ("medoid", "mean", "truncate")
CASES = {  # name → (builder of the labelled file, unit, inbound only)
    "twcs-conversation": ("twcs", "conversation", True),
    "twcs-author": ("twcs", "author", True),
    "twcs-conversation-all": ("twcs", "conversation", False),
    "twcs-author-all": ("twcs", "author", False),
    "airline-author": ("airline", "author", False),
}


def run(path: Path, label_col: str, unit: str, inbound_only: bool, seed: int, mode: str) -> dict:
    """One pipeline run with ``embed.long_texts: mode``: counts, scores and what the split-member check needs."""
    from ml.metrics import label_scores
    from ml.runtime.config import PipelineConfig
    from ml.runtime.pipeline import PersonaPipeline

    cfg = PipelineConfig().updated({"seed": seed, "embed": {"long_texts": mode},
                                    "input": {"label_col": label_col, "keep_agents": not inbound_only, "unit": unit},
                                    "metrics": {"stability": False}})
    result = PersonaPipeline(cfg, progress=False).run([str(path)])
    members, stats = result.members, result.manifest.embedding_cache
    has = members["label"].notna().to_numpy()
    truth, pred = members["label"].where(has, "").astype(str).to_numpy(), members["persona_id"].to_numpy()
    return {"members": len(members), "long": stats.long, "pieces": stats.pieces,
            "personas": int(np.unique(pred).size), "scores": label_scores(truth[has], pred[has]),
            "truth": truth, "pred": pred, "has": has, "emb": result.embeddings}


def knn_agreement(emb: np.ndarray, truth: np.ndarray, has: np.ndarray, pick: np.ndarray, k: int = 10) -> float:
    """Share of the ``pick`` members whose ``k`` nearest labelled members (cosine) mostly carry their label."""
    pool = np.flatnonzero(has)
    hits = []
    for i in np.flatnonzero(pick):
        sims = emb[pool] @ emb[i]
        sims[pool == i] = -np.inf
        near = truth[pool[np.argsort(-sims)[:k]]]
        values, counts = np.unique(near, return_counts=True)
        hits.append(values[counts.argmax()] == truth[i])
    return round(float(np.mean(hits)), 3)


def evaluate(case: str, seed: int, tmp: Path) -> dict:
    from scripts.eval_families import _airline, _twcs

    data, unit, inbound_only = CASES[case]
    path, label_col = (_twcs if data == "twcs" else _airline)(tmp)
    if not path.exists():
        raise SystemExit(f"{path}: data file not found (set PERSONAS_SHARED_DATA)")
    runs = {mode: run(path, label_col, unit, inbound_only, seed, mode) for mode in MODES}
    first = runs[MODES[0]]
    row = {"case": case, "seed": seed, "members": first["members"], "long": first["long"],
           "pieces": first["pieces"], **{f"{mode}_personas": r["personas"] for mode, r in runs.items()},
           **{f"{mode}_scores": r["scores"] for mode, r in runs.items()}}
    same = all(np.array_equal(first["truth"], r["truth"]) for r in runs.values())  # same members, in order
    # the split members: those whose vector differs between reading them whole and truncating them
    pick = (runs["medoid"]["emb"] != runs["truncate"]["emb"]).any(axis=1) & first["has"] if same else None
    if same and pick.sum() >= 5:
        row["split_members"] = int(pick.sum())
        row["split_knn10"] = {mode: knn_agreement(r["emb"], r["truth"], r["has"], pick) for mode, r in runs.items()}
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = ap.parse_args(argv)
    from scripts.ablation.report import write_json

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases:
            for seed in args.seeds:
                rows.append(evaluate(case, seed, Path(tmp)))
                print(json.dumps(rows[-1]), flush=True)
    if args.json:  # {"meta": {cases, seeds, platform, …}, "rows": [...]}, as the ablation writes
        write_json(args.json, rows, {"script": "eval_long_texts", "cases": args.cases, "seeds": args.seeds})
    return 0


if __name__ == "__main__":
    sys.exit(main())
