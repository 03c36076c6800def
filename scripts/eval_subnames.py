"""Whether sub-persona names tell siblings apart, read from finished runs.

    python scripts/eval_subnames.py RUN_DIR [RUN_DIR ...] [--json FILE]

For every persona that splits into sub-personas, each member of a sub-persona is sent to the sibling whose
name shares the most content stems (``ml.profile.naming.content_stems``) with the member's text; a member with
no unique best sibling is sent nowhere. ``siblings_told_apart`` is the share of those members sent to their
own sub-persona (higher: the names say what sets the siblings apart, in the members' own words). Also counted:
names holding a filler word (``ml.profile.naming.FILLER_WORDS``: "need", "does", "tried", …) and names that
repeat a word of their parent persona's name. Prints one JSON object per run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd


def score_run(run: Path) -> dict:
    from ml.profile.naming import FILLER_WORDS, _WORD_RE, content_stems

    personas = json.loads((run / "personas.json").read_text())
    personas = personas if isinstance(personas, list) else personas["personas"]
    members = pd.read_parquet(run / "assignments.parquet", columns=["persona_id", "subpersona_id", "text"])
    members = members[members["subpersona_id"].notna()]
    sent = own = 0
    names, filler, parent_word = 0, 0, 0
    for p in personas:
        subs = p.get("sub_personas") or []
        if len(subs) < 2:
            continue
        stems = {int(s["id"]): content_stems(s["name"]) for s in subs}
        parent = content_stems(p["name"])
        names += len(subs)
        filler += sum(bool(set(_WORD_RE.findall(s["name"].lower())) & FILLER_WORDS) for s in subs)
        parent_word += sum(bool(stems[int(s["id"])] & parent) for s in subs)
        rows = members[members["persona_id"] == p["id"]]
        for sub_id, text in zip(rows["subpersona_id"].astype(int), rows["text"], strict=True):
            words = content_stems(str(text))
            hits = {sid: len(st & words) for sid, st in stems.items()}
            best = max(hits.values())
            winners = [sid for sid, h in hits.items() if h == best]
            sent += 1
            own += int(best > 0 and winners == [sub_id])
    return {"run": str(run), "sub_persona_names": names, "members": sent,
            "siblings_told_apart": round(own / sent, 4) if sent else None,
            "names_with_filler_word": filler, "names_with_parent_word": parent_word}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    out = [score_run(r) for r in args.runs]
    for row in out:
        print(json.dumps(row))
    if args.json:
        from scripts.ablation.report import write_json

        write_json(args.json, out, {"script": "eval_subnames"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
