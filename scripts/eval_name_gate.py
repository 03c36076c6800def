"""The name recogniser's gate (``ml.profile.name_gate.may_hold_name``) against the gate before it skipped
ordinary dictionary words that open a sentence (``f961445``), on real texts of ../shared/data.

    python scripts/eval_name_gate.py [--sets airline twcs banking77] [--csv FILE] [--speed 3000] [--json out.json]

Per set: distinct texts, how many go through the NER with each gate, and every text that the new gate
skips where the NER would have kept a ``[name]`` span, with the words it would have masked (printed, for a
person to read: the claim is that none is a real name). ``--csv FILE``: also 12,000 texts sampled from the
``text`` column of FILE (for example a benchmark input of ``scripts/bench_pipeline.py``). ``--speed N``: N airline + N TWCS tweets masked
from an empty cache with each gate, twice, alternating; CPU seconds and how many outputs differ.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.profile import name_gate, pii
from ml.profile.masking import keep_handles_for
from ml.profile.name_rules import addressed_names
from ml.profile.ner_spans import person_spans

DATA = ROOT.parent / "shared" / "data"
SETS = {
    "airline": lambda: pd.read_csv(DATA / "twitter_airline_sentiment" / "Tweets.csv")["text"],
    "twcs": lambda: pd.read_csv(DATA / "twcs_sample" / "twcs_first5000.csv")["text"],
    "banking77": lambda: pd.concat([pd.read_csv(DATA / "banking77" / f) for f in ("train.csv", "test.csv")])["text"],
}


def old_gate(text: str) -> bool:
    """``may_hold_name`` as it was before ``f961445``: every capitalised candidate word counts."""
    return name_gate.may_hold_name(text, openings=False)


def compare(name: str, csv: Path | None = None) -> dict:
    if csv is not None:
        column = pd.read_csv(csv, usecols=["text"])["text"].dropna()
        texts = list(dict.fromkeys(column.sample(min(12000, len(column)), random_state=0).astype(str)))
    else:
        texts = list(dict.fromkeys(SETS[name]().dropna().astype(str)))
    keep = {h.lower() for h in keep_handles_for(texts)}
    pre = [addressed_names(pii.PiiMasker._patterns(t), keep) for t in texts]  # what the gate sees
    old = [old_gate(t) for t in pre]
    new = [name_gate.may_hold_name(t) for t in pre]
    skipped = [t for t, o, n in zip(pre, old, new) if o and not n]
    lost = [(t, [t[a:b] for a, b in s]) for t, s in zip(skipped, person_spans(skipped, frozenset(keep))) if s]
    return {"texts": len(texts), "ner_before": sum(old), "ner_after": sum(new),
            "new_gate_sends_more": sum(n and not o for o, n in zip(old, new)),
            "texts_losing_a_name_mask": len(lost), "lost": [{"words": w, "text": t} for t, w in lost]}


def speed(n: int) -> dict:
    air, twcs = SETS["airline"]().dropna().astype(str), SETS["twcs"]().dropna().astype(str)
    texts = list(dict.fromkeys([*air.sample(n, random_state=5), *twcs.sample(n, random_state=5)]))
    keep = keep_handles_for(texts)
    pii.PiiMasker().mask_many(texts[:50], keep)  # the model loaded before timing

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    out: dict = {"texts": len(texts)}
    saved = pii.may_hold_name
    try:
        for _ in range(2):
            for label, gate in (("before", old_gate), ("after", name_gate.may_hold_name)):
                pii.may_hold_name = gate  # what PiiMasker._mask_names calls
                c, t = cpu(), time.time()
                masked = pii.PiiMasker().mask_many(texts, keep)  # cache_dir "": nothing cached
                out.setdefault(f"{label}_cpu_s", []).append(round(cpu() - c, 2))
                out.setdefault(f"{label}_wall_s", []).append(round(time.time() - t, 2))
                out[f"{label}_out"] = masked
    finally:
        pii.may_hold_name = saved
    out["outputs_differ"] = sum(a != b for a, b in zip(out.pop("before_out"), out.pop("after_out")))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sets", nargs="+", choices=sorted(SETS), default=sorted(SETS))
    p.add_argument("--csv", type=Path, default=None, help="also 12,000 texts of this file's text column")
    p.add_argument("--speed", type=int, default=0, help="tweets per source for the paired CPU timing")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    if not DATA.is_dir():
        print(f"error: {DATA} not found: this evaluation needs ../shared/data", file=sys.stderr)
        return 2
    report: dict = {"sets": {}}
    print(f"{'set':<10} {'texts':>7} {'NER before':>11} {'NER after':>10} {'fewer':>7} {'lose a [name]':>14}")
    jobs = [(name, None) for name in args.sets] + ([(args.csv.name, args.csv)] if args.csv else [])
    for name, csv in jobs:
        r = report["sets"][name] = compare(name, csv)
        fewer = 1 - r["ner_after"] / max(r["ner_before"], 1)
        print(f"{name:<10} {r['texts']:>7} {r['ner_before']:>11} {r['ner_after']:>10} {fewer:>7.1%} "
              f"{r['texts_losing_a_name_mask']:>14}" + (f"  (new gate sends {r['new_gate_sends_more']} more!)"
                                                        if r["new_gate_sends_more"] else ""))
    for name, r in report["sets"].items():
        for item in r["lost"]:
            print(f"  {name}: {item['words']} | {item['text'][:120]!r}")
    if args.speed:
        report["speed"] = s = speed(args.speed)
        print(f"speed, {s['texts']} tweets: CPU s before {s['before_cpu_s']}, after {s['after_cpu_s']}; "
              f"outputs that differ {s['outputs_differ']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
