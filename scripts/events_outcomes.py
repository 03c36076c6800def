"""How outcomes differ across event personas, per real data set, against k-means and GMM on the same matrix.

    python scripts/events_outcomes.py [--data ../shared/data] [--sets moodle,kdd,oulad] [--json OUT.json]
                                      [--no-ablation]

For each data set the event pipeline runs with k chosen by cross-validation (never by hand); k-means and a
diagonal GMM are fitted on the same weighted matrix with the same k; "volume" cuts the users into k groups of about
equal size by how many events they logged (the run's ``metrics.outcomes.volume``). Printed per method: Cramér's V of
persona × outcome (chi-square), and the range over personas of the key outcome rates. The ablation refits
NMF (same k) under each weighting / row normalisation and reports V and silhouette. Outcomes are only
used here, for evaluation. Runs in a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.events.config import EventConfig
from ml.events.matrix import EventMatrix
from ml.events.nmf import EventPersonaModel
from ml.events.outcomes import outcome_table, rate_range
from ml.events.pipeline import EventPipeline

OULAD_KEY = ["code_module", "code_presentation", "id_student"]
OULAD_GROUP = ["code_module", "code_presentation"]


def datasets(data: Path) -> dict[str, dict]:
    o, k, m = data / "events_oulad", data / "events_kddcup2015", data / "events_moodle"
    oulad_raw = {"user_cols": OULAD_KEY, "group_cols": OULAD_GROUP, "event_lookup": str(o / "vle.csv"),
                 "event_lookup_key": "id_site", "event_lookup_value": "activity_type", "count_col": "sum_click",
                 "time_col": "date", "outcome_file": str(o / "studentInfo.csv.gz"), "outcome_col": "final_result"}
    sets = {
        "moodle": {"paths": [m / "Course_Activity_Obfuscated.csv.gz"],
                   "input": {"user_cols": ["User full name"], "event_cols": ["Component", "Event name"],
                             "time_col": "Time", "outcome_file": str(m / "Course_Grades_Obfuscated.csv"),
                             "outcome_key_cols": ["StudentId"], "outcome_col": "Overall",
                             "outcome_bins": [0, 40, 70, 101]},
                   "rates": {"fail (<40)": ["[0.0, 40.0)"], "70+": ["[70.0, 101.0)"]}},
        "kdd": {"paths": [k / "enrollment_event_counts.csv.gz"],
                "input": {"layout": "matrix", "user_cols": ["enrollment_id"], "group_cols": ["course_file"],
                          "event_cols": ["access", "discussion", "navigate", "page_close", "problem", "video",
                                         "wiki"],
                          "outcome_file": str(k / "truth_train.csv.gz"), "outcome_col": "label"},
                "rates": {"dropout": ["1"]}},
        "oulad_pooled": {"paths": [o / "student_activity_clicks.csv.gz"],
                         "input": {"layout": "matrix", "user_cols": OULAD_KEY, "group_cols": OULAD_GROUP,
                                   "outcome_file": str(o / "studentInfo.csv.gz"), "outcome_col": "final_result"},
                         "rates": {"pass+distinction": ["Pass", "Distinction"], "withdrawn": ["Withdrawn"]}},
    }
    for pres in ("AAA_2013J", "BBB_2014J", "DDD_2014J", "GGG_2014J"):
        sets[f"oulad_{pres}"] = {"paths": [o / f"studentVle_{pres}.csv.gz"], "input": dict(oulad_raw),
                                 "rates": sets["oulad_pooled"]["rates"]}
    return sets


def summarise(table: dict | None, rates: dict[str, list[str]]) -> dict:
    if not table:
        return {}
    out = {"cramers_v": table["cramers_v"], "p_value": table["p_value"]}
    for name, cats in rates.items():
        out[name] = rate_range(table, cats)
    return out


def baselines(X: np.ndarray, k: int, seed: int) -> dict[str, np.ndarray]:
    km = KMeans(k, n_init=4, random_state=seed).fit(X).labels_
    gmm = GaussianMixture(k, covariance_type="diag", random_state=seed, reg_covar=1e-4).fit(X).predict(X)
    return {"kmeans": km, "gmm": gmm}


def ablation(X_events, outcome, k: int, cfg: EventConfig) -> list[dict]:
    rows = []
    for weighting in ("log", "tfidf", "raw"):
        for row_norm in ("l1", "none"):
            for group in (True, False):
                params = dict(cfg.matrix.model_dump(), weighting=weighting, row_normalize=row_norm,
                              group_normalize=group)
                mb = EventMatrix(**params, min_users=cfg.input.min_users).fit(X_events)
                model = EventPersonaModel(k=k, random_state=cfg.seed).fit(mb.X_)
                y = outcome.reindex(mb.users_).to_numpy(dtype=object)
                table = outcome_table(model.labels_, y, cfg.input.outcome_bins)
                rows.append({"weighting": weighting, "row_normalize": row_norm, "group_normalize": group,
                             "cramers_v": table and table["cramers_v"],
                             "silhouette": model._silhouette(mb.X_, model.labels_),
                             "mixed_share": round(float(model.mixed_.mean()), 3)})
    return rows


def run_set(name: str, spec: dict, do_ablation: bool) -> dict:
    cfg = EventConfig.validated({"input": spec["input"]})
    t0 = time.perf_counter()
    pipe = EventPipeline(cfg)
    res = pipe.run(spec["paths"])
    manifest = res.manifest.model_dump()
    k = manifest["counts"]["personas"]
    labels = res.members["persona_id"].to_numpy()
    out = {"users": len(labels), "event_types": manifest["counts"]["event_types"], "k": k,
           "k_selection": manifest["metrics"]["k_selection"], "seconds": round(time.perf_counter() - t0, 1),
           "mixed_share": manifest["metrics"]["mixed_share"],
           "methods": {"nmf": summarise(outcome_table(labels, res.outcome, cfg.input.outcome_bins), spec["rates"])},
           "nmf_rates": outcome_table(labels, res.outcome, cfg.input.outcome_bins)}
    for method, lab in baselines(res.X, k, cfg.seed).items():
        out["methods"][method] = summarise(outcome_table(lab, res.outcome, cfg.input.outcome_bins), spec["rates"])
    volume = (manifest["metrics"].get("outcomes") or {}).get("volume")  # users cut by how many events they logged
    if volume:
        out["methods"]["volume"] = summarise(volume, spec["rates"])
    out["personas"] = [{"id": p.id, "name": p.name, "share": round(p.share, 3)} for p in res.personas]
    if do_ablation:
        from ml.events.ingest import load_events

        table = load_events(spec["paths"], cfg.input)
        outcome = table.users.set_index("user")["outcome"]
        out["ablation"] = ablation(table.events, outcome, k, cfg)
    return out


def print_set(name: str, r: dict) -> None:
    print(f"\n== {name}: {r['users']} users × {r['event_types']} event types, k={r['k']} (CV), "
          f"mixed {r['mixed_share']:.1%}, {r['seconds']}s")
    keys = [k for k in r["methods"]["nmf"] if k not in ("cramers_v", "p_value")]
    print(f"{'method':8} {'V':>6}  " + "  ".join(f"{k:>18}" for k in keys))
    for method, s in r["methods"].items():
        ranges = "  ".join(f"{'{:.2f}-{:.2f}'.format(*tuple(s[k])) if s.get(k) else '-':>18}" for k in keys)
        print(f"{method:8} {s.get('cramers_v') or float('nan'):6.3f}  {ranges}")
    t = r["nmf_rates"]
    if t:
        print("NMF personas: " + "; ".join(
            f"#{p['persona_id']} n={p['n']} " + ",".join(f"{c}={v:.2f}" for c, v in p["rates"].items())
            for p in t["personas"]))
    for a in r.get("ablation", []):
        print(f"   ablation {a['weighting']:5} row={a['row_normalize']:4} group={a['group_normalize']!s:5} "
              f"V={a['cramers_v']} silhouette={a['silhouette']} mixed={a['mixed_share']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--sets", default="moodle,kdd,oulad_pooled,oulad_AAA_2013J,oulad_BBB_2014J,oulad_DDD_2014J,"
                                      "oulad_GGG_2014J")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--no-ablation", action="store_true")
    ap.add_argument("--ablation-sets", default="moodle,oulad_DDD_2014J,kdd")
    args = ap.parse_args(argv)
    specs = datasets(Path(args.data))
    results = {}
    for name in args.sets.split(","):
        results[name] = run_set(name, specs[name], not args.no_ablation and name in args.ablation_sets.split(","))
        print_set(name, results[name])
        sys.stdout.flush()
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
