"""Grown / shrunk on labelled data: does a persona's status say what happened to its kind of conversation?

    python scripts/eval_share_change.py --work-dir /tmp/sc --seeds 0 1 2 --json docs/share_change.json

A comparison calls a persona matched one to one ``grown`` or ``shrunk`` when its share moved by
``growth_ratio`` with the intervals apart. Two measures of that share exist: each fit's own shares (where the
two fits drew the persona's edges) and the placed shares (both runs' sampled members placed on the baseline's
personas: the population measure behind the comparison's ``shift``). This script scores three rules against
planted truth: ``own`` (own shares alone: ratio and intervals apart, the rule before 2026-12-07), ``both`` (the
same test on the placed shares too: tried, not adopted) and ``placed`` (the default since, the comparison's own
status: own shares as before and the placed share moved by the ratio the same way, its intervals not asked for,
as the placed sample may be small):

1. **Banking77, planted growth** (per seed): 6 intents grow (run A holds 60 of their texts, run B 120 others),
   6 shrink (A 120, B 60), the other 65 keep half their texts on each side (disjoint halves: no text recurs).
   A persona of B stands for the intent most of its members carry. A matched persona is a true ``grown`` when its
   intent grew, a true ``shrunk`` when it shrank; a grown / shrunk persona standing for an unchanged intent is a
   false change.
2. **Airline tweets, random halves** (per seed): nothing changed, so every grown / shrunk is a false change.
3. **Airline tweets by date** (the early and late halves of docs/drift.md): no truth; both rules' statuses and
   the placed shares are listed.

Phase 1 (``--runs``, default on) makes the runs with ``python -m ml.run`` (default settings, ``--no-store``)
under ``--work-dir`` and skips any run already there; phase 2 compares each pair (``ml.lineage.compare_runs``)
and scores it. Data come from ../shared/data (``PERSONAS_SHARED_DATA`` overrides).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.ablation.data import SHARED_DATA
from scripts.eval_lineage import load_banking

AIRLINE = SHARED_DATA / "twitter_airline_sentiment" / "Tweets.csv"
GROW, SHRINK, SMALL, LARGE = 6, 6, 60, 120
RULES = ("own", "both", "placed")


def planted_growth(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Runs A and B of Banking77 with 6 intents grown ×2 and 6 shrunk ×½ (disjoint texts); intent → truth."""
    rng = np.random.default_rng(seed)
    intents = sorted(df["category"].unique())
    perm = [intents[k] for k in rng.permutation(len(intents))]
    truth = {i: "grown" for i in perm[:GROW]} | {i: "shrunk" for i in perm[GROW:GROW + SHRINK]}
    a_rows, b_rows = [], []
    for intent, rows in df.groupby("category"):
        idx = rng.permutation(rows.index.to_numpy())
        kind = truth.get(intent, "same")
        n_a, n_b = {"grown": (SMALL, LARGE), "shrunk": (LARGE, SMALL)}.get(kind, (len(idx) // 2, len(idx) // 2))
        a_rows.extend(idx[:n_a])
        b_rows.extend(idx[n_a:n_a + n_b])
    return df.loc[sorted(a_rows)], df.loc[sorted(b_rows)], {i: truth.get(i, "same") for i in intents}


def make_run(frame: pd.DataFrame, folder: Path, name: str, seed: int, extra: list[str]) -> Path:
    """``frame`` through ``python -m ml.run`` (in this process) unless ``folder/name`` already holds a run."""
    from ml.run import main

    out = folder / name
    if (out / "manifest.json").exists():
        return out
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    code = main([str(path), "--out", str(out), "--no-store", "--seed", str(seed), "--quiet", *extra])
    assert code == 0, f"ml.run failed on {name}"
    return out


def pairs(folder: Path, seeds: list[int], make: bool) -> list[dict]:
    """Every (kind, seed, run A, run B, truth) this script scores; runs made when ``make``."""
    folder.mkdir(parents=True, exist_ok=True)
    out, bank = [], load_banking()
    air = pd.read_csv(AIRLINE)
    for seed in seeds:
        a, b, truth = planted_growth(bank, seed)
        label = dict(zip(bank["id"], bank["category"]))
        runs = [make_run(f, folder, f"bank{seed}{s}", seed, ["--id-col", "id", "--text-col", "text"])
                if make else folder / f"bank{seed}{s}" for f, s in ((a, "a"), (b, "b"))]
        out.append({"kind": "banking77 planted", "seed": seed, "runs": runs, "truth": truth, "label": label})
        half = np.random.default_rng(seed).permutation(len(air)) < len(air) // 2
        runs = [make_run(f, folder, f"air{seed}{s}", 42, []) if make else folder / f"air{seed}{s}"
                for f, s in ((air[half], "a"), (air[~half], "b"))]
        out.append({"kind": "airline halves", "seed": seed, "runs": runs, "truth": None, "label": None})
    t = pd.to_datetime(air["tweet_created"], utc=True)
    runs = [make_run(f, folder, f"date{s}", 42, []) if make else folder / f"date{s}"
            for f, s in ((air[t < t.median()], "a"), (air[t >= t.median()], "b"))]
    out.append({"kind": "airline by date", "seed": 42, "runs": runs, "truth": None, "label": None})
    return out


def own_status(p, ratio: float) -> str:
    """The status the own shares alone give a matched persona (the rule before 2026-12-07)."""
    from ml.lineage.shift import share_moved

    return share_moved(p.then, p.now, ratio) or "continued"


def both_status(p, ratio: float) -> str:
    """Own shares and placed shares, each by the full test (ratio and intervals apart): tried, not adopted."""
    from ml.lineage.shift import share_moved

    own = share_moved(p.then, p.now, ratio)
    if own is None or p.placed is None:
        return own or "continued"
    return own if share_moved(p.placed.then, p.placed.now, ratio) == own else "continued"


def score(pair: dict) -> dict:
    """Both rules' grown / shrunk against the truth (planted), or as false changes (halves), or listed (by date)."""
    from ml.lineage import compare_runs
    from ml.lineage.snapshot import load_snapshot

    base, new = (load_snapshot(r) for r in pair["runs"])
    comp = compare_runs(base, new)
    g = comp.config["growth_ratio"]
    majority = {}
    if pair["label"] is not None:
        m = new.members.assign(label=new.members["member_id"].map(pair["label"]))
        majority = {int(k): v.value_counts().index[0] for k, v in m.groupby("persona_id")["label"]}
    rows = []
    for p in comp.new_personas:
        if p.status not in ("continued", "grown", "shrunk"):
            continue
        truth = pair["truth"].get(majority.get(p.id), "same") if pair["truth"] else "same"
        rows.append({"id": p.id, "name": p.name, "intent": majority.get(p.id), "truth": truth if pair["kind"] != "airline by date" else None,
                     "own": own_status(p, g), "both": both_status(p, g), "placed": p.status, "share": [p.then.share, p.now.share],
                     "placed_share": [p.placed.then.share, p.placed.now.share] if p.placed else None})
    return {"kind": pair["kind"], "seed": pair["seed"], "matched": len(rows), "counts": comp.counts,
            "rules": {rule: tally(rows, rule, pair["truth"]) for rule in RULES}, "personas": rows}


def tally(rows: list[dict], rule: str, truth: dict | None) -> dict:
    """Grown / shrunk said, true (the intent changed that way) and false (said of an unchanged kind)."""
    said = [r for r in rows if r[rule] != "continued"]
    judged = any(r["truth"] is not None for r in rows)  # by date: no truth
    out = {"said": len(said), "false": sum(r["truth"] == "same" for r in said) if judged else None}
    if truth:
        out["true"] = sum(r[rule] == r["truth"] for r in said)
        # planted intents that some matched persona stands for, and those of them called the right way
        out["changed_intents_matched"] = len({r["intent"] for r in rows if r["truth"] != "same"})
        out["changed_intents_found"] = len({r["intent"] for r in said if r[rule] == r["truth"]})
    return out


def print_table(results: list[dict]) -> None:
    print("grown / shrunk said (true: the planted intent changed that way; false: said of an unchanged kind); "
          "intents: planted intents called right / planted intents a matched persona stands for")
    print("| set | seed | matched personas | own shares (before) | both tests | own + placed ratio (default) |")
    print("|---|---:|---:|---|---|---|")
    for r in results:
        cells = []
        for rule in RULES:
            t = r["rules"][rule]
            found = f"; intents {t['changed_intents_found']}/{t['changed_intents_matched']}" if "true" in t else ""
            false = "–" if t["false"] is None else t["false"]
            cells.append(f"{t['said']} (true {t.get('true', '–')}, false {false}{found})")
        print(f"| {r['kind']} | {r['seed']} | {r['matched']} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work-dir", required=True, help="runs are made (or found) here")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--no-runs", action="store_true", help="only score runs already in --work-dir")
    p.add_argument("--json", default=None, help="write the results here")
    args = p.parse_args(argv)
    results = [score(pair) for pair in pairs(Path(args.work_dir), args.seeds, not args.no_runs)]
    print_table(results)
    if args.json:
        from ml.runtime.runfiles import write_json

        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        write_json(Path(args.json), results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
