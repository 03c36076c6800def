"""How far a persona's tone reading (``ml.profile.tone``) agrees with human sentiment labels.

    python scripts/eval_tone.py                       # Twitter US Airline Sentiment, seeds 0 1 2
    python scripts/eval_tone.py --seeds 0 --json docs/tone_airline.json

Per text: VADER's negative flag (compound <= -0.05) against the annotators' ``airline_sentiment``
(precision, recall, share flagged vs share labelled negative). Per persona, after a default run
(``PersonaPipeline``, no labels used): its reading ("more negative", "less negative", "like everyone") beside
the share of its members the annotators labelled negative. A reading agrees when a "more negative" persona
holds a larger labelled-negative share than the whole run, and a "less negative" one a smaller share.
Prints a table per seed and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PERSONAS_CACHE_DIR", str(REPO / ".cache" / "personas"))
AIRLINE = REPO.parent / "shared" / "data" / "twitter_airline_sentiment" / "Tweets.csv"


def per_text(texts, labels) -> dict:
    from ml.profile.tone import NEGATIVE_COMPOUND, compound_scores

    scores, truth = compound_scores(list(texts)), np.asarray(labels) == "negative"
    flagged = scores <= NEGATIVE_COMPOUND
    hit = (flagged & truth).sum()
    positive = scores >= 0.05  # VADER's positive side, which the tone does not use
    return {"texts": len(truth), "precision": round(float(hit / max(flagged.sum(), 1)), 3),
            "recall": round(float(hit / max(truth.sum(), 1)), 3), "flagged_share": round(float(flagged.mean()), 3),
            "labelled_share": round(float(truth.mean()), 3),
            "positive_flagged_share": round(float(positive.mean()), 3),
            "positive_labelled_share": round(float((np.asarray(labels) == "positive").mean()), 3)}


def per_persona(result) -> dict:
    members = result.members
    truth = (members["label"] == "negative").to_numpy()
    overall = float(truth.mean())
    rows, agree, claims = [], 0, 0
    for p in result.personas:
        labelled = float(truth[(members["persona_id"] == p.id).to_numpy()].mean())
        reading = p.tone.reading
        ok = None if reading == "like everyone" else (labelled > overall) == (reading == "more negative")
        claims += ok is not None
        agree += bool(ok)
        rows.append({"id": p.id, "name": p.name, "size": p.size, "reading": reading,
                     "vader_negative": p.tone.negative_share, "labelled_negative": round(labelled, 3),
                     "agrees": ok})
    return {"personas": len(rows), "labelled_negative_overall": round(overall, 3),
            "population_vader_negative": result.personas[0].tone.population_negative_share if rows else None,
            "readings": claims, "agreeing": agree, "rows": rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(AIRLINE))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args(argv)
    from ml.runtime.config import PipelineConfig
    from ml.runtime.pipeline import PersonaPipeline

    out = {"data": args.data, "seeds": {}}
    for seed in args.seeds:
        cfg = PipelineConfig().updated({"input": {"label_col": "airline_sentiment"}, "metrics": {"stability": False},
                                        "seed": seed})
        result = PersonaPipeline(cfg, progress=False).run([args.data])
        if "texts" not in out:
            out["texts"] = per_text(result.members["text"], result.members["label"])
        out["seeds"][seed] = res = per_persona(result)
        print(f"\nseed {seed}: {res['personas']} personas, {res['readings']} readings, {res['agreeing']} agree "
              f"(labelled negative overall {res['labelled_negative_overall']:.2f}, VADER "
              f"{res['population_vader_negative']:.2f})")
        print(f"{'id':>3} {'size':>5} {'reading':<14} {'VADER neg':>9} {'labelled neg':>12}  name")
        for r in res["rows"]:
            print(f"{r['id']:>3} {r['size']:>5} {r['reading']:<14} {r['vader_negative']:>9.2f} "
                  f"{r['labelled_negative']:>12.2f}  {r['name']}")
    print("\nper text:", json.dumps(out["texts"]))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
