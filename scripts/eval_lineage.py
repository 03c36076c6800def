"""Lineage targets of issue 16 on Banking77: planted changes, and novelty of fresh data.

    python scripts/eval_lineage.py --seeds 0 1 2 --json results/lineage_banking77.json

Per seed: 7 of the 77 intents are removed and 7 others are new (the rest, 63, are shared). Each
shared intent's texts are split at random into two halves: run A gets one half of the 63 shared + the
7 removed intents (70 intents), run B the other half of the 63 shared + the 7 new ones (70 intents), so
no member recurs and matches rest on centroids alone. Both are full pipeline runs
(``PersonaPipeline.run``, default config, stability metric off; embeddings come from the on-disk cache).
Persona ↔ intent: a persona stands for the intent most of its members carry.

Scored per intent, as the targets are: a removed intent is reported died when most of its A texts sit
in personas that ``died``; a new intent born when most of its B texts sit in personas ``born``; a shared
intent is kept ("main persona") when the A persona holding most of its texts did not die and links
(continued, grown, shrunk, split or merged) to the B persona holding most of its B texts, and "linked" when
at least half of it is carried over by groups of linked personas (``linked_share``: both runs may cut one
intent into several personas, and the pieces link to each other rather than the two largest). False died / born: personas that
stand for a shared intent (most of their members carry it) yet died / were born. Each row of the table is one LineageConfig (the grid below; the first row
is the default). Novelty (``ml.lineage.novelty``, run A's model): share of novel texts among B's texts of
the 7 new intents (target ≥ 0.8) and among B's held-back texts of shared intents (target ≤ 0.1).
Banking77 comes from ../shared/data (``PERSONAS_SHARED_DATA`` overrides).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.ablation.data import SHARED_DATA

GRID = [  # (match_similarity, piece_similarity, piece_margin, piece_share, novel_persona_share, recut_novelty[,
    # pair_leftovers: default True]); first: the default, second: the same without the leftover pairs
    (0.85, 0.80, 0.03, 0.5, 0.5, 0.05), (0.85, 0.80, 0.03, 0.5, 0.5, 0.05, False), (0.85, 0.80, 0.03, 0.5, 0.5, None), (0.85, 0.80, 0.03, 0.5, 0.5, 0.1),
    (0.85, 0.80, 0.03, 0.5, 0.5, 0.2), (0.85, 0.80, 0.03, 0.5, 0.7, 0.05), (0.85, 0.80, 0.03, 0.5, 1.0, 0.05),
    (0.80, 0.75, 0.03, 0.5, 0.5, 0.05), (0.90, 0.80, 0.03, 0.5, 0.5, 0.05), (0.85, 0.80, 0.03, 0.3, 0.5, 0.05),
]


def load_banking() -> pd.DataFrame:
    frames = [pd.read_csv(SHARED_DATA / "banking77" / f) for f in ("train.csv", "test.csv")]
    df = pd.concat(frames, ignore_index=True)
    df["id"] = [f"b{i}" for i in range(len(df))]
    return df[["id", "text", "category"]]


def planted_split(df: pd.DataFrame, seed: int) -> dict:
    """Intents removed / new / shared and the rows of runs A and B (halves of each shared intent)."""
    rng = np.random.default_rng(seed)
    intents = sorted(df["category"].unique())
    perm = [intents[k] for k in rng.permutation(len(intents))]
    removed, new, shared = perm[:7], perm[7:14], perm[14:]
    a_rows, b_rows = [], []
    for intent, rows in df.groupby("category"):
        idx = rng.permutation(rows.index.to_numpy())
        half = len(idx) // 2
        if intent not in new:
            a_rows.extend(idx[:half])
        if intent not in removed:
            b_rows.extend(idx[half:])
    return {"removed": removed, "new": new, "shared": shared, "A": df.loc[sorted(a_rows)], "B": df.loc[sorted(b_rows)]}


def run_pipeline(frame: pd.DataFrame, folder: Path, name: str, seed: int, base=None):
    """``frame`` through ``PersonaPipeline.run`` with ``base`` (a ``PipelineConfig``; default: the defaults)."""
    from ml.runtime.config import PipelineConfig
    from ml.runtime.pipeline import PersonaPipeline

    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    cfg = (base or PipelineConfig()).updated({"seed": seed, "input": {"id_col": "id", "text_col": "text"},
                                              "metrics": {"stability": False}})
    t0 = time.perf_counter()
    result = PersonaPipeline(cfg, progress=False).run([str(path)])
    return result, round(time.perf_counter() - t0, 1)


def majority(snapshot, label_of: dict) -> dict[int, tuple[str, float]]:
    """Persona id → (majority intent, purity)."""
    m = snapshot.members.assign(label=snapshot.members["member_id"].map(label_of))
    out = {}
    for pid, labels in m.groupby("persona_id")["label"]:
        counts = labels.value_counts()
        out[int(pid)] = (str(counts.index[0]), float(counts.iloc[0] / counts.sum()))
    return out


def _intent_table(snapshot, label_of: dict) -> pd.DataFrame:
    """Members per (intent, persona)."""
    m = snapshot.members.assign(label=snapshot.members["member_id"].map(label_of))
    return m.groupby(["label", "persona_id"]).size().rename("n").reset_index()


def score(comparison, split: dict, table_a: pd.DataFrame, table_b: pd.DataFrame, maj_a: dict, maj_b: dict) -> dict:
    """Intent-level targets (see the module docstring) and persona-level false alarms."""
    base = {p.id: p for p in comparison.base_personas}
    new = {p.id: p for p in comparison.new_personas}

    def share_in(table: pd.DataFrame, intent: str, ok) -> float:
        rows = table[table["label"] == intent]
        return float(rows.loc[[ok(int(pid)) for pid in rows["persona_id"]], "n"].sum() / max(1, rows["n"].sum()))

    def main(table: pd.DataFrame, intent: str) -> int | None:
        rows = table[table["label"] == intent]
        return int(rows.loc[rows["n"].idxmax(), "persona_id"]) if len(rows) else None

    died = [i for i in split["removed"] if share_in(table_a, i, lambda pid: base[pid].status == "died") >= 0.5]
    born = [i for i in split["new"] if share_in(table_b, i, lambda pid: new[pid].status == "born") >= 0.5]
    kept = []
    for intent in split["shared"]:
        a, b = main(table_a, intent), main(table_b, intent)
        if a is not None and b is not None and base[a].status != "died" and b in base[a].new_ids:
            kept.append(intent)
    linked = linked_share(comparison, split["shared"], table_a, table_b)
    false_died = sum(1 for pid, (lab, _) in maj_a.items() if lab in split["shared"] and base[pid].status == "died")
    false_born = sum(1 for pid, (lab, _) in maj_b.items() if lab in split["shared"] and new[pid].status == "born")
    return {"died_found": len(died), "born_found": len(born), "shared_kept": round(len(kept) / len(split["shared"]), 4),
            "shared_linked": round(float(np.mean([v >= 0.5 for v in linked.values()])), 4),
            "false_died": int(false_died), "false_born": int(false_born), "psi": comparison.shift.psi,
            "fit_psi": comparison.fit_shift.psi if comparison.fit_shift else None, "counts": comparison.counts}


def explain(comparison, split: dict, table_a: pd.DataFrame, table_b: pd.DataFrame, maj_a: dict, maj_b: dict) -> list[dict]:
    """Every removed intent not reported died and every new one not born: where its texts went (the personas
    holding at least 5 % of them: share, status, the persona's own majority intent and purity, and the scores
    that decided the status)."""
    out = []
    for intents, table, people, maj, want in ((split["removed"], table_a, comparison.base_personas, maj_a, "died"),
                                              (split["new"], table_b, comparison.new_personas, maj_b, "born")):
        status = {p.id: p for p in people}
        for intent in intents:
            rows = table[table["label"] == intent].sort_values("n", ascending=False)
            total = max(1, int(rows["n"].sum()))
            if rows.loc[[status[int(q)].status == want for q in rows["persona_id"]], "n"].sum() / total >= 0.5:
                continue
            where = []
            for pid, n in zip(rows["persona_id"].astype(int), rows["n"]):
                if n / total >= 0.05:
                    scores = status[pid].model_dump().get("scores") or {}
                    where.append({"persona": pid, "share_of_intent": round(n / total, 3), "status": status[pid].status,
                                  "majority": maj[pid][0], "purity": round(maj[pid][1], 3),
                                  "novel_share": scores.get("novel_share"), "similarity": scores.get("similarity")})
            out.append({"intent": intent, "expected": want, "where": where})
    return out


def linked_share(comparison, intents: list[str], table_a: pd.DataFrame, table_b: pd.DataFrame) -> dict[str, float]:
    """Per intent: the share of it that the lineage carries over, Σ over groups of linked personas (connected
    by matches and pieces) of min(share of its A texts in the group's A personas, share of its B texts in
    the group's B personas). An intent that both runs cut into several personas is kept when its pieces
    link to each other, which the one-persona rule above misses."""
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for link in comparison.links:
        parent[find(("a", link.base_id))] = find(("b", link.new_id))
    out = {}
    for intent in intents:
        ra, rb = table_a[table_a["label"] == intent], table_b[table_b["label"] == intent]
        fa = ra.groupby(ra["persona_id"].map(lambda p: find(("a", int(p)))))["n"].sum() / max(1, ra["n"].sum())
        fb = rb.groupby(rb["persona_id"].map(lambda p: find(("b", int(p)))))["n"].sum() / max(1, rb["n"].sum())
        out[intent] = float(sum(min(fa[g], fb[g]) for g in set(fa.index) & set(fb.index)))
    return out


def novelty(result_a, snap_a, split: dict, folder: Path) -> dict:
    from ml.ingest.load import ColumnMapping, load_messages
    from ml.lineage.novelty import FreshDataScorer

    scorer = FreshDataScorer().fit(result_a.model, snap_a, snap_a.config)
    b = split["B"]
    out = {"reference": scorer.reference_}
    for name, rows in (("unseen_intents", b[b["category"].isin(split["new"])]),
                       ("held_back_known", b[b["category"].isin(split["shared"])])):
        path = folder / f"fresh_{name}.csv"
        rows.to_csv(path, index=False)
        messages, _ = load_messages([str(path)], mapping=ColumnMapping(id="id", text="text"))
        t0 = time.perf_counter()
        assigned = scorer.assign(messages)
        out[name] = {"n": len(assigned), "novelty_share": round(float(assigned["novel"].mean()), 4),
                     "would_be_noise_share": round(float(assigned["would_be_noise"].mean()), 4),
                     "assign_s": round(time.perf_counter() - t0, 2)}
    return out


def evaluate_seed(df: pd.DataFrame, seed: int, base=None) -> dict:
    from ml.lineage import LineageConfig, compare_runs, snapshot_from_result

    split = planted_split(df, seed)
    label_of = dict(zip(df["id"], df["category"]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        res_a, t_a = run_pipeline(split["A"], folder, "A", seed, base)
        res_b, t_b = run_pipeline(split["B"], folder, "B", seed, base)
        snap_a, snap_b = snapshot_from_result(res_a), snapshot_from_result(res_b)
        maj_a, maj_b = majority(snap_a, label_of), majority(snap_b, label_of)
        table_a, table_b = _intent_table(snap_a, label_of), _intent_table(snap_b, label_of)
        rows, misses = [], []
        for match, piece, margin, piece_share, novel_share, recut, *rest in GRID:
            pair = rest[0] if rest else True
            cfg = LineageConfig(match_similarity=match, piece_similarity=piece, piece_margin=margin,
                                piece_share=piece_share, novel_persona_share=novel_share, recut_novelty=recut,
                                pair_leftovers=pair)
            comp = compare_runs(snap_a, snap_b, cfg)
            if not rows:  # the default row
                misses = explain(comp, split, table_a, table_b, maj_a, maj_b)
            rows.append({"match_similarity": match, "piece_similarity": piece, "piece_margin": margin,
                         "piece_share": piece_share, "novel_persona_share": novel_share, "recut_novelty": recut,
                         "pair_leftovers": pair,
                         **score(comp, split, table_a, table_b, maj_a, maj_b)})
        nov = novelty(res_a, snap_a, split, folder)
    return {"seed": seed, "removed": split["removed"], "new": split["new"], "n_A": snap_a.n_members,
            "n_B": snap_b.n_members, "personas_A": len(snap_a.persona_ids), "personas_B": len(snap_b.persona_ids),
            "run_s": [t_a, t_b], "granularity": [r.manifest.cluster.granularity.why for r in (res_a, res_b)],
            "purity_A": round(float(np.mean([p for _, p in maj_a.values()])), 3),
            "grid": rows, "novelty": nov, "missed": misses}


def print_table(results: list[dict]) -> None:
    print("| seed | match / piece / margin / piece share / novel share / re-cut / leftover pairs | removed intents died (of 7) | new intents born "
          "(of 7) | shared intents kept (of 63): main persona / linked | false died | false born | PSI (placed / fits) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        for g in r["grid"]:
            print(f"| {r['seed']} | {g['match_similarity']} / {g['piece_similarity']} / {g['piece_margin']} / "
                  f"{g['piece_share']} / {g['novel_persona_share']} / {g.get('recut_novelty') or 'off'} / "
                  f"{'on' if g.get('pair_leftovers', True) else 'off'} | {g['died_found']} | {g['born_found']} | "
                  f"{g['shared_kept']:.3f} / {g['shared_linked']:.3f} | "
                  f"{g['false_died']} | {g['false_born']} | {g['psi']:.3f} / {g.get('fit_psi') or 0:.3f} |")
    print()
    print("| seed | personas A / B | purity A | novelty: unseen intents | novelty: held-back known | reference |")
    print("|---|---|---|---|---|---|")
    for r in results:
        n = r["novelty"]
        print(f"| {r['seed']} | {r['personas_A']} / {r['personas_B']} | {r['purity_A']} | "
              f"{n['unseen_intents']['novelty_share']:.3f} (n={n['unseen_intents']['n']}) | "
              f"{n['held_back_known']['novelty_share']:.3f} (n={n['held_back_known']['n']}) | {n['reference']} |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--json", default=None, help="write all results here")
    p.add_argument("--explain", action="store_true",
                   help="also print, for the default row, where the texts of each missed planted intent went")
    p.add_argument("--config", default=None, help="a PipelineConfig YAML/JSON for both runs (e.g. cluster: {join: off})")
    args = p.parse_args(argv)
    base = None
    if args.config:
        from ml.runtime.config import PipelineConfig

        base = PipelineConfig.from_file(args.config)
    df = load_banking()
    results = []
    for seed in args.seeds:
        results.append(evaluate_seed(df, seed, base))
        print(f"seed {seed} done: runs {results[-1]['run_s']} s; {results[-1]['granularity']}", file=sys.stderr)
    print_table(results)
    if args.explain:
        print("\n| seed | intent | expected | where its texts went (persona: share of the intent, status, the persona's "
              "majority intent and purity) |\n|---|---|---|---|")
        for r in results:
            for m in r["missed"]:
                where = "; ".join(f"{w['persona']}: {w['share_of_intent']:.2f} {w['status']}, {w['majority']} "
                                  f"({w['purity']:.2f})" for w in m["where"])
                print(f"| {r['seed']} | {m['intent']} | {m['expected']} | {where} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
