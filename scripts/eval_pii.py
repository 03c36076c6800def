"""Measure PII masking on the planted set ``data/eval/pii_planted.csv`` (how it was made: data/eval/PII_EVAL.md).

    python scripts/eval_pii.py [--csv data/eval/pii_planted.csv] [--json out.json] [--baseline-rev REV]

Per planted kind it prints recall: the share of items of which no word survives masking (a name with only
its first word masked is a miss). For the ids that must stay (order, flight) it prints the share kept
whole. ``unplanted_masked`` is the share of the real text's own words (everything outside the planted item,
after decoding HTML entities) that masking removed. It also times the masker (texts/s). With
``--baseline-rev REV`` the same is measured for ``ml/profile/masking.py`` as it was at git revision REV
(for example the last regex-only version) and both are reported. ``--speed N`` also masks N real tweets
from ../shared/data and reports texts/s (wall clock and per CPU-second) and what was masked as names there.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.profile.masking import HANDLE_RE, decode_entities, detect_brand_handles
from ml.profile.pii import PiiMasker

WORD_RE = re.compile(r"\w+")
PLACEHOLDER_RE = re.compile(r"\[(?:@user|name|email|phone|card|iban|account|address|url|order)\]")
TARGETS = {"name": 0.95, "other": 0.99, "unplanted_masked": 0.01}


def _words(text: str) -> Counter:
    """Lower-cased words, placeholders and @handles left out (handles have their own rule and tests)."""
    text = HANDLE_RE.sub(" ", PLACEHOLDER_RE.sub(" ", text))
    return Counter(w.lower() for w in WORD_RE.findall(text))


def score(df: pd.DataFrame, masked: list[str]) -> dict:
    """Recall per kind, kept share for must-keep ids, share of unplanted words masked."""
    hits: dict[str, list[bool]] = {}
    unplanted = removed = 0
    examples: Counter = Counter()
    for row, out in zip(df.itertuples(index=False), masked):
        text = str(row.text)
        rest = decode_entities(text[: row.start] + " " + text[row.end:])
        item = _words(row.value)
        left = _words(out)
        survived = any(left[w] > _words(rest)[w] for w in item)
        hits.setdefault(row.kind, []).append(not survived if row.must_mask else all(left[w] >= c for w, c in item.items()))
        want = _words(rest)
        if not row.must_mask:
            want = want + item
        for w, c in want.items():
            gone = max(0, c - left[w])
            unplanted += c
            removed += gone
            if gone:
                examples[w] += gone
    per_kind = {k: round(sum(v) / len(v), 4) for k, v in hits.items()}
    return {"recall": {k: v for k, v in per_kind.items() if k not in ("order", "flight")},
            "kept": {k: v for k, v in per_kind.items() if k in ("order", "flight")},
            "n": {k: len(v) for k, v in hits.items()},
            "unplanted_words": unplanted, "unplanted_masked": round(removed / max(unplanted, 1), 4),
            "masked_unplanted_examples": examples.most_common(25)}


def baseline_masker(rev: str):
    """``mask_pii`` from ``ml/profile/masking.py`` at git revision ``rev`` (must not import ml.profile.pii)."""
    src = subprocess.run(["git", "show", f"{rev}:ml/profile/masking.py"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "masking_baseline.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("masking_baseline", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return lambda texts, keep: [mod.mask_pii(t, keep) for t in texts]


def run(df: pd.DataFrame, masker) -> dict:
    texts = df["text"].astype(str).tolist()
    brands = detect_brand_handles(texts)  # as build_profiles does: brand accounts stay readable
    t0 = time.perf_counter()
    masked = masker(texts, brands)
    secs = time.perf_counter() - t0
    res = score(df, masked)
    res["texts_per_s"] = round(len(texts) / secs, 1)
    return res


def speed(n: int) -> dict:
    """Mask ``n`` real tweets (TWCS slice + airline, both sides): texts/s wall and per CPU-second, with and
    without the name detector, and what the name detector masked on real text (its most common strings)."""
    data = ROOT.parent / "shared" / "data"
    texts = (pd.read_csv(data / "twcs_sample" / "twcs_first5000.csv")["text"].dropna().astype(str).tolist()
             + pd.read_csv(data / "twitter_airline_sentiment" / "Tweets.csv")["text"].dropna().astype(str).tolist())
    texts = list(dict.fromkeys(texts))[:n]
    brands = detect_brand_handles(texts)
    out: dict = {"texts": len(texts)}
    masked = {}
    for label, masker in (("patterns_only", PiiMasker(names=False)), ("with_names", PiiMasker())):
        w0, c0 = time.perf_counter(), time.process_time()
        masked[label] = masker.mask_many(texts, brands)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        out[label] = {"texts_per_s_wall": round(len(texts) / wall, 1), "texts_per_s_cpu": round(len(texts) / cpu, 1)}
    names = Counter(w for p, m in zip(masked["patterns_only"], masked["with_names"]) if p != m
                    for w in _removed_words(p, m))
    masked = masked["with_names"]
    out["texts_with_a_name"] = sum("[name]" in m for m in masked)
    out["name_words_masked"] = sum(names.values())
    out["real_words"] = sum(len(WORD_RE.findall(t)) for t in texts)
    out["most_masked_as_names"] = names.most_common(40)
    return out


def _removed_words(before: str, after: str) -> list[str]:
    left = _words(after)
    return [w for w, c in _words(decode_entities(before)).items() if c > left[w]]


def meets_targets(res: dict) -> bool:
    rec = res["recall"]
    return (rec.get("name", 0) >= TARGETS["name"]
            and all(v >= TARGETS["other"] for k, v in rec.items() if k != "name")
            and all(v >= TARGETS["other"] for v in res["kept"].values())
            and res["unplanted_masked"] < TARGETS["unplanted_masked"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, default=ROOT / "data" / "eval" / "pii_planted.csv")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument("--baseline-rev", default=None, help="also measure masking.py at this git revision")
    ap.add_argument("--speed", type=int, default=0, metavar="N", help="also time masking of N real tweets")
    args = ap.parse_args()
    df = pd.read_csv(args.csv, keep_default_na=False)
    masker = PiiMasker()  # no on-disk cache: every text is masked from scratch
    masker.mask("warm up Paul")  # load the model outside the timing
    results = {"new": run(df, masker.mask_many)}
    if args.baseline_rev:
        results["baseline"] = run(df, baseline_masker(args.baseline_rev))
        results["baseline"]["rev"] = args.baseline_rev
    for name, res in results.items():
        print(f"== {name}: {len(df)} texts, {res['texts_per_s']} texts/s")
        for k, v in res["recall"].items():
            print(f"  recall {k:8s} {v:.3f}  (n={res['n'][k]})")
        for k, v in res["kept"].items():
            print(f"  kept   {k:8s} {v:.3f}  (n={res['n'][k]})")
        print(f"  unplanted words masked {res['unplanted_masked']:.4f} of {res['unplanted_words']}")
        print(f"  most masked unplanted words: {res['masked_unplanted_examples'][:12]}")
    if args.speed:
        results["speed"] = speed(args.speed)
        print("== speed:", {k: v for k, v in results["speed"].items() if k != "most_masked_as_names"})
        print("  most masked as names on real text:", results["speed"]["most_masked_as_names"][:25])
    results["new"]["meets_targets"] = meets_targets(results["new"])
    print("new masker meets targets:", results["new"]["meets_targets"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if results["new"]["meets_targets"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
