"""Staff given names from agent sign-offs (``AgentDetector.staff_names``) in customers' texts.

    python scripts/eval_staff_names.py data/sample/twcs_sample.csv ../shared/data/twcs_sample/twcs_first5000.csv \
        [--out bench-results/staff-names.json]

Per file: the staff names found (count only: they are people's names), the customer (inbound) texts that
write one of them capitalised, how many of those the name model and the cue patterns already masked
(``mask_texts`` without known names) and how many only the known-name rule masks, with up to five of the
latter, masked, for reading. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.filtering.agents import AgentDetector
from ml.ingest.load import load_messages
from ml.profile.masking import detect_brand_handles, mask_texts
from ml.profile.pii import known_names_re


def evaluate(path: Path) -> dict:
    messages, _ = load_messages([path])
    staff = AgentDetector().fit(messages).staff_names(messages)
    inbound = messages[messages["inbound"].fillna(False).astype(bool)] if "inbound" in messages else messages
    texts = inbound["text"].fillna("").astype(str).tolist()
    pattern = known_names_re(staff)
    naming = [t for t in texts if pattern is not None and pattern.search(t)]
    brands = detect_brand_handles(texts)
    before = mask_texts(naming, brands)
    after = mask_texts(naming, brands, known_names=staff)
    missed = [a for b, a in zip(before, after, strict=True) if pattern.search(b)]
    return {"file": path.name, "messages": len(messages), "customer_texts": len(texts), "staff_names": len(staff),
            "texts_writing_a_staff_name": len(naming), "already_masked": len(naming) - len(missed),
            "masked_only_by_known_names": len(missed), "examples_after": missed[:5]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    rows = [evaluate(f) for f in args.files]
    print("| file | customer texts | staff names | texts writing one | name model masked | known-name rule masked |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['file']} | {r['customer_texts']:,} | {r['staff_names']} | {r['texts_writing_a_staff_name']} | "
              f"{r['already_masked']} | {r['masked_only_by_known_names']} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
