"""Whether sub-persona names tell siblings apart, read from finished runs.

    python scripts/eval_subnames.py RUN_DIR [RUN_DIR ...] [--json FILE]

For every persona that splits into sub-personas, each member of a sub-persona is sent to the sibling whose
name shares the most content stems (``ml.profile.naming.content_stems``) with the member's text; a member with
no unique best sibling is sent nowhere. ``siblings_told_apart`` is the share of those members sent to their
own sub-persona (higher: the names say what sets the siblings apart, in the members' own words). Also counted:
names holding a filler word (``ml.profile.naming.FILLER_WORDS``: "need", "does", "tried", …) and names that
repeat a word of their parent persona's name. With ``--labels FILE… --label-col C`` (the input files, whose
``text`` column matches the members' texts), also ``label_match``: the share of sub-personas whose name shares a
content stem with their members' commonest label (``scripts.eval_names.label_stems``; Banking77's intents).
With ``--by-meaning`` also ``told_apart_by_meaning``: the same share when each member goes to the sibling whose
name's vector (all-MiniLM-L6-v2, the run's model) is nearest its text's vector, as a reader matches meaning, not
spelling (a three-term list and a phrase are judged alike). Prints one JSON object per run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd


def text_labels(files: list[Path], label_col: str) -> dict[str, str]:
    """Each text's label in the input files (the first one where a text is written twice)."""
    frames = [pd.read_json(f, lines=True) if f.suffix == ".jsonl" else pd.read_csv(f) for f in files]
    both = pd.concat(frames, ignore_index=True).drop_duplicates("text")
    return dict(zip(both["text"].astype(str), both[label_col].astype(str), strict=True))


def label_match(personas: list[dict], members: pd.DataFrame, labels: dict[str, str]) -> dict:
    """``scripts.eval_names.label_match`` on the sub-personas: each one's name against its members' commonest label."""
    from scripts.eval_names import label_match as names_match

    names, tops = {}, {}
    for p in personas:
        for s in p.get("sub_personas") or []:
            own = members.loc[members["subpersona_id"] == s["id"], "text"].astype(str).map(labels).dropna()
            if not own.empty:
                names[s["id"]], tops[s["id"]] = s["name"], own.value_counts().index[0]
    out = names_match(names, tops)
    return {"label_match": out["share"], "labelled": out["personas"],
            "misses": [f'{m["name"]} [{m["label"]}]' for m in out["misses"]]}


def by_meaning(personas: list[dict], members: pd.DataFrame) -> float | None:
    """Share of split personas' members whose text's vector is nearest their own sub-persona's name's vector
    among the siblings' names (cosine)."""
    import numpy as np

    from ml.features.embed import SentenceEmbedder, phrase_encoder

    encode = phrase_encoder(SentenceEmbedder(show_progress=False))
    own = sent = 0
    for p in personas:
        subs = p.get("sub_personas") or []
        if len(subs) < 2:
            continue
        rows = members[members["persona_id"] == p["id"]]
        ids = np.array([int(s["id"]) for s in subs])
        names = encode([s["name"] for s in subs])
        texts = encode(rows["text"].astype(str).tolist())
        nearest = ids[(texts @ names.T).argmax(axis=1)]
        own += int((nearest == rows["subpersona_id"].astype(int).to_numpy()).sum())
        sent += len(rows)
    return round(own / sent, 4) if sent else None


def score_run(run: Path, labels: dict[str, str] | None = None, meaning: bool = False) -> dict:
    from ml.profile.name_clash import WORD_RE as _WORD_RE
    from ml.profile.naming import FILLER_WORDS, content_stems

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
            "names_with_filler_word": filler, "names_with_parent_word": parent_word,
            **({"told_apart_by_meaning": by_meaning(personas, members)} if meaning else {}),
            **(label_match(personas, members, labels) if labels else {})}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--labels", nargs="*", type=Path, default=[], help="input files with the labels (column text)")
    ap.add_argument("--label-col", default="category")
    ap.add_argument("--by-meaning", action="store_true", help="also match members to names by their vectors")
    args = ap.parse_args(argv)
    labels = text_labels(args.labels, args.label_col) if args.labels else None
    out = [score_run(r, labels, args.by_meaning) for r in args.runs]
    for row in out:
        print(json.dumps(row))
    if args.json:
        from scripts.ablation.report import write_json

        write_json(args.json, out, {"script": "eval_subnames"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
