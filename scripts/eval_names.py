"""How well persona names say what a persona is about, and how large the effects behind behaviour words are.

    python scripts/eval_names.py                      # Banking77 (train + test), label "category"
    python scripts/eval_names.py --data data/sample/twcs_sample.csv --inbound-only
    python scripts/eval_names.py --data ../shared/data/twitter_airline_sentiment/Tweets.csv --label-col negativereason

Runs the pipeline (``PersonaPipeline.run``: the embeddings come from the on-disk cache, UMAP from its
joblib cache, so a second run mostly re-does clustering and profiles) and prints, as JSON:

- ``label_match``: share of personas whose name shares a content word (same Snowball stem) with the
  persona's commonest label (Banking77 intents such as ``card_arrival``; a label's two-word compound counts as
  one word, "Top-up" for ``top_up_failed``: ``label_stems``), with the misses; ``label_match_phrasal`` the same
  with the name's two-word sequences read as compounds too ("Topped up the app" for ``top_up_reverted``);
- ``std_diff``: quantiles of |std_diff| of every persona's highlighted features (``highlight_features``),
  and of the strongest one per persona: the numbers behind the behaviour-word threshold in
  docs/profiles.md;
- ``terms``: how the top terms read (``term_checks``: the share of a persona's members that use its top
  terms, terms that one member alone uses, top-5 terms against the label);
- ``names``: every name, ``behaviour_words``: how many names carry one, ``repeated_stem``, ``duplicates``;
- ``stems_in_3_names_or_more`` / ``names_with_such_a_stem``: words (Snowball stems, behaviour words left
  out) that three names or more share ("flight" in an airline dump), and how many names hold one.

"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PERSONAS_CACHE_DIR", str(REPO / ".cache" / "personas"))
BANKING77 = [REPO.parent / "shared" / "data" / "banking77" / f for f in ("train.csv", "test.csv")]

from ml.profile.behavior_words import BEHAVIOR_WORDS, split_behavior
from ml.profile.naming import content_stems
from ml.profile.stems import stem


def label_stems(label: str) -> set[str]:
    """Content stems of a label such as ``top_up_reverted``, and its two-word compounds as a name writes them
    ("top-up": a name word of the persona's terms, which keep hyphenated compounds whole; "top" and "up"
    alone are stop words)."""
    words = re.split(r"[_\-\s]+", str(label).lower())
    pairs = [f"{a}-{b}" for a, b in pairwise(words)]
    return content_stems(" ".join(words + pairs))


def name_stems(name: str, phrasal: bool = False) -> set[str]:
    """Content stems of a name; with ``phrasal`` also its two-word sequences stemmed word by word and joined as
    a label's compounds are ("Topped up the app" → "top-up", as ``top_up_reverted`` gives "top-up"): the label
    side reads "top_up" as one word, so ``phrasal`` reads the name's "topped up" the same way."""
    stems = content_stems(name)
    if phrasal:
        words = re.findall(r"[a-z]+", name.lower())
        stems |= {f"{stem(a)}-{stem(b)}" for a, b in pairwise(words)}
    return stems


def label_match(names: dict[int, str], labels_by_persona: dict[int, str], phrasal: bool = False) -> dict:
    """Share of personas whose name shares a content stem with their commonest label (``phrasal``: the name's
    two-word sequences count as compounds too, ``name_stems``)."""
    hits, misses = 0, []
    for pid, name in names.items():
        label = labels_by_persona.get(pid)
        if label is None:
            continue
        if name_stems(name, phrasal) & label_stems(label):
            hits += 1
        else:
            misses.append({"id": pid, "name": name, "label": label})
    n = hits + len(misses)
    return {"share": round(hits / n, 4) if n else None, "hits": hits, "personas": n, "misses": misses}


def effect_sizes(personas: list[dict]) -> dict:
    """Quantiles of |std_diff| over highlighted features (all, and the strongest per persona)."""
    every, top = [], []
    for p in personas:
        by_name = {f["feature"]: f for f in p["fingerprint"]}
        vals = [abs(by_name[f]["std_diff"]) for f in p.get("highlight_features", []) if f in BEHAVIOR_WORDS]
        every += vals
        if vals:
            top.append(max(vals))
    q = [0.1, 0.25, 0.5, 0.75, 0.9]

    def quant(v):
        return {str(k): round(float(x), 3) for k, x in zip(q, np.quantile(v, q))} if v else {}

    return {"highlighted": quant(every), "strongest_per_persona": quant(top), "n": len(every)}


def name_checks(names: list[str]) -> dict:
    repeated = [n for n in names if len(content_stems(n, unique=False)) != len(content_stems(n))]
    dup = [n for n, c in Counter(x.lower() for x in names).items() if c > 1]
    # each name's content stems, the behaviour word left out
    stems = [content_stems(split_behavior(n)[1]) for n in names]
    common = {s: c for s, c in Counter(s for st in stems for s in st).most_common() if c >= 3}
    return {
        "behaviour_words": sum(split_behavior(n)[0] is not None for n in names),
        # a word in three names or more tells those personas apart from none of the others
        "stems_in_3_names_or_more": common,
        "names_with_such_a_stem": sum(bool(st & common.keys()) for st in stems),
        "repeated_stem": repeated,
        "duplicates": dup,
    }


def term_checks(personas: list[dict], members, labels: dict[int, str]) -> dict:
    """How the personas' top terms read: ``member_share`` (mean over personas and their top-10 terms of the
    share of the persona's members whose text holds the term: a term most members use describes the
    persona), ``one_member_terms`` (top-10 terms that one member alone uses, e.g. "ms" from one pasted
    traceroute), and with labels ``top5_share_label_stem`` (personas whose top-5 terms share a stem with
    their commonest label)."""
    from ml.profile.terms import term_tokens

    shares, lone, hit = [], 0, 0
    by_persona = {int(k): g for k, g in members.groupby("persona_id")}
    for p in personas:
        texts = by_persona.get(int(p["id"]))
        terms = [t["term"] for t in p["top_terms"][:10]]
        if texts is None or not terms:
            continue
        used = [set(term_tokens(t)) for t in texts["text"].astype(str)]
        per = [sum(term in u for u in used) for term in terms]
        shares.append(float(np.mean(per)) / len(used))
        lone += sum(c == 1 for c in per)
        if int(p["id"]) in labels:
            label = content_stems(re.sub(r"[_\-]", " ", labels[int(p["id"])]))
            hit += bool(label & set().union(*(content_stems(t) for t in terms[:5])))
    out = {"member_share": round(float(np.mean(shares)), 4) if shares else None, "one_member_terms": lone}
    if labels:
        out["top5_share_label_stem"] = round(hit / max(len(labels), 1), 4)
    return out


def quoted_checks(personas: list[dict], labels: dict[int, str]) -> dict:
    """The phrases each description quotes ("Typical phrases: “…”, “…” and “…”."): how many there are, how
    many open or end with a filler word ("did thanks"), and with labels the share of them that hold a stem
    of the persona's commonest label (``label_stems``)."""
    from ml.profile.naming import is_filler

    quoted, filler, hits, labelled = 0, 0, 0, 0
    for p in personas:
        found = re.search(r"Typical phrases: (.*?)\.(?: |$)", p.get("description") or "")
        phrases = re.findall(r"“([^”]*)”", found.group(1)) if found else []
        quoted += len(phrases)
        filler += sum(is_filler(ph.lower()) for ph in phrases)
        if int(p["id"]) in labels:
            stems = label_stems(labels[int(p["id"])])
            labelled += len(phrases)
            hits += sum(bool(content_stems(ph) & stems) for ph in phrases)
    out = {"quoted_phrases": quoted, "filler_phrases": filler}
    if labels:
        out["quoted_with_label_stem"] = round(hits / max(labelled, 1), 4)
    return out


def name_shares(personas) -> dict:
    """How much of each persona its name describes (``name_share``: members whose text holds the name's words):
    the median over personas, the member-weighted mean, and how many names describe under a quarter of their
    members (what the overview marks)."""
    shares = [(p.name_share, p.size) for p in personas if getattr(p, "name_share", None) is not None]
    if not shares:
        return {}
    values = np.array([s for s, _ in shares])
    sizes = np.array([n for _, n in shares], dtype=float)
    return {"median": round(float(np.median(values)), 4), "weighted": round(float((values * sizes).sum() / sizes.sum()), 4),
            "under_quarter": int((values < 0.25).sum()), "of": len(values)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", nargs="*", default=[str(p) for p in BANKING77])
    ap.add_argument("--label-col", default=None, help="default: category for Banking77")
    ap.add_argument("--inbound-only", action="store_true")
    ap.add_argument("--seed", type=int, default=None, help="the run's seed (default: the config's, 42)")
    ap.add_argument("--no-phrase-vectors", action="store_true",
                    help="profile.name_phrase_vectors off: name candidates scored from member statistics only")
    args = ap.parse_args(argv)
    from ml.runtime.config import PipelineConfig
    from ml.runtime.pipeline import PersonaPipeline

    label_col = args.label_col or ("category" if args.data == [str(p) for p in BANKING77] else None)
    cfg = PipelineConfig().updated(
        {
            "input": {"label_col": label_col, "inbound_only": args.inbound_only},
            "metrics": {"stability": False},
            "profile": {"name_phrase_vectors": not args.no_phrase_vectors},
            **({"seed": args.seed} if args.seed is not None else {}),
        }
    )
    result = PersonaPipeline(cfg, progress=False).run(args.data)
    members = result.members
    labels = {}
    if "label" in members and members["label"].notna().any():
        for pid, grp in members.groupby("persona_id"):
            top = grp["label"].dropna().value_counts()
            if len(top):
                labels[int(pid)] = str(top.index[0])
    names = {p.id: p.name for p in result.personas}
    out = {
        "data": args.data,
        "personas": len(names),
        "metrics": result.manifest.metrics.labels and result.manifest.metrics.labels.model_dump(),
        "label_match": label_match(names, labels) if labels else None,
        "label_match_phrasal": label_match(names, labels, phrasal=True) if labels else None,
        "std_diff": effect_sizes([p.model_dump() for p in result.personas]),
        "terms": term_checks([p.model_dump() for p in result.personas], members, labels),
        "quoted": quoted_checks([p.model_dump() for p in result.personas], labels),
        **name_checks(list(names.values())),
        "name_share": name_shares(result.personas),
        "names": [
            f"{pid}: {n}" + (f"  [{labels[pid]}]" if pid in labels else "") for pid, n in names.items()
        ],
    }
    print(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
