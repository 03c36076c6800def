"""How much of a family its name speaks for, under two naming rules, on the labelled sets.

    python scripts/eval_family_names.py --sets banking77 googlenews tweet airline twcs --seeds 0

Runs each set once with the defaults (stability off; embeddings from the on-disk cache; the sets of
``scripts/eval_families.py``), cuts the run's personas into its families, names them with each rule and prints,
per rule, the **coverage**: the share of a family's members whose persona's own top terms (its ten terms and
the words of its ten n-grams) hold a word (Snowball stem) of the family's name, weighted by members and as a
mean over families, then the names with their coverage.

- ``current``: ``ml.cluster.hierarchy.name_terms``, the family's c-TF-IDF terms ranked by weight × sqrt(excess
  over the other families);
- ``vote``: the same score times the share of the family's members whose persona has the term among its top
  terms, so that words many of its personas share come first (an analyst review of GoogleNews-TS found
  "Scottish independence & scotland" on a family of 13 personas, one of them about Scotland).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.eval_families import SETS  # sets the offline environment too

RULES = ("current", "vote")


def persona_stems(persona) -> set[str]:
    """Stems of a persona's ten top terms and the words of its ten top n-grams."""
    from ml.profile.naming import content_stems

    words = [t.term for t in persona.top_terms[:10]] + [w for t in (persona.top_ngrams or [])[:10]
                                                          for w in t.term.split()]
    return set().union(*(content_stems(w) for w in words)) if words else set()


def voted(fams, sizes: dict, stems: dict):
    """A ``name_terms`` whose score is multiplied by each term's vote among the family's personas."""
    from ml.cluster import hierarchy
    from ml.profile.naming import content_stems, term_excess

    def name_terms(words, fid, index, own, n, pool):
        top = words.top_terms(fid, pool)
        if not top:
            return []
        base = np.array([w for _, w in top]) * np.sqrt(term_excess(words, fid, [index[t] for t, _ in top], own, n))
        pids = fams.families_[fid]
        total = sum(sizes[p] for p in pids)
        vote = np.array([sum(sizes[p] for p in pids if content_stems(t) & stems[p]) / total for t, _ in top])
        score = base * vote
        kept = [top[j][0] for j in np.argsort(-score, kind="stable") if score[j] > 0]
        return kept or hierarchy.name_terms(words, fid, index, own, n, pool)
    return name_terms


def evaluate(name: str, seed: int, tmp: Path) -> list[dict]:
    from ml.cluster import hierarchy
    from ml.profile.naming import content_stems
    from ml.runtime.config import PipelineConfig
    from ml.runtime.pipeline import PersonaPipeline

    path, label_col = SETS[name][0](tmp)
    cfg = PipelineConfig().updated({"seed": seed, "input": {"label_col": label_col},
                                    "metrics": {"stability": False}})
    result = PersonaPipeline(cfg, progress=False).run([str(path)])
    members = result.members
    labels = members["persona_id"].to_numpy()
    reassigned = members["reassigned"].to_numpy()
    fams = hierarchy.PersonaFamilies().fit(result.embeddings, labels)
    sizes = {p.id: p.size for p in result.personas}
    stems = {p.id: persona_stems(p) for p in result.personas}
    rows, original = [], hierarchy.name_terms
    for rule in RULES:
        if rule == "vote":
            hierarchy.name_terms = voted(fams, sizes, stems)
        try:
            records = hierarchy.family_records(fams, members["text"].astype(str).tolist(), labels, reassigned)
        finally:
            hierarchy.name_terms = original
        named = []
        for r in records:
            total = sum(sizes[p] for p in r["persona_ids"])
            cover = sum(sizes[p] for p in r["persona_ids"] if content_stems(r["name"]) & stems[p]) / total
            named.append((r["name"], total, cover))
        weighted = sum(t * c for _, t, c in named) / sum(t for _, t, _ in named)
        rows.append({"set": name, "seed": seed, "rule": rule, "families": len(named),
                     "coverage": round(weighted, 3), "coverage_mean": round(float(np.mean([c for *_, c in named])), 3),
                     "names": [f"{n} ({c:.2f})" for n, _, c in named]})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", nargs="+", default=["banking77", "googlenews", "tweet", "airline", "twcs"],
                    choices=sorted(SETS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets:
            for seed in args.seeds:
                for row in evaluate(name, seed, Path(tmp)):
                    print(f"{row['set']} seed {row['seed']} {row['rule']}: coverage {row['coverage']} "
                          f"(mean over {row['families']} families {row['coverage_mean']})", flush=True)
                    print("    " + " | ".join(row["names"]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
