"""Small synthetic run bundles for API unit tests (store content without running the pipeline).

Quality is never measured on these: they only give the API realistic documents to serve.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.store.bundle import RunBundle

FEATURES = [("night_share", "temporal"), ("business_hours_share", "temporal"), ("politeness", "style"),
            ("question_log", "style"), ("mentions_log", "network")]
TOPICS = [("refund", "order", "late"), ("password", "login", "reset"), ("flight", "delay", "gate"),
          ("card", "declined", "payment")]


def synthetic_bundle(run_id: str, created_at: str, n_personas: int = 3, members_per: int = 40,
                     seed: int = 0) -> RunBundle:
    """A complete RunBundle with `n_personas` personas of `members_per * (i + 1)` members each."""
    rng = np.random.default_rng(seed)
    rows, personas = [], []
    sizes = [members_per * (i + 1) for i in range(n_personas)]
    total = sum(sizes)
    for pid, size in enumerate(sizes):
        words = TOPICS[pid % len(TOPICS)]
        member_ids = []
        for j in range(size):
            member_id = f"m{pid}-{j:04d}"
            member_ids.append(member_id)
            rows.append({
                "member_id": member_id, "persona_id": pid, "reassigned": bool(j % 7 == 0),
                "distance": float(rng.uniform(0.05, 0.9)), "x": float(rng.normal(pid * 3, 0.5)),
                "y": float(rng.normal(-pid, 0.5)),
                "text": f"my {words[j % 3]} is a problem number {j} " + ("please help" if j % 2 else "!!"),
                "author": f"user{j % 11}", "timestamp": f"2017-10-{(j % 28) + 1:02d}T{j % 24:02d}:00:00+00:00",
                "n_messages": 1,
            })
        personas.append({
            "id": pid, "size": size, "share": size / total, "core_size": size - size // 7,
            "reassigned_count": (size + 6) // 7, "member_ids": member_ids,
            "name": f"{words[0].title()} {words[1]} askers", "description": f"Writes about {', '.join(words)}.",
            "top_terms": [{"term": w, "weight": 1.0 / (k + 1)} for k, w in enumerate(words)],
            "top_ngrams": [{"term": f"{words[0]} {words[1]}", "weight": 0.5}],
            "activity": {"hourly": [1 / 24] * 24, "weekday": [1 / 7] * 7, "population_hourly": [1 / 24] * 24,
                         "population_weekday": [1 / 7] * 7, "peak_hours": [pid + 9], "has_timestamps": True},
            "fingerprint": [{"feature": f, "group": g, "persona_mean": 0.1 * (pid + 1), "population_mean": 0.2,
                             "std_diff": 0.5 * (pid - 1) + k * 0.1, "sentence": f"{f} differs"}
                            for k, (f, g) in enumerate(FEATURES)],
            "highlights": [f"Talks about {words[0]}."],
            "evidence": [{"member_id": member_ids[0], "text": f"my {words[0]} is a problem"}],
            "separators": {"accuracy": 0.8 + 0.05 * pid,
                           "signals": [{"signal": words[0], "kind": "term", "importance": 0.4}]},
        })
    manifest = {
        "run_id": run_id, "created_at": created_at, "source": {"inputs": ["synthetic.csv"], "load": {"layout": "generic"}},
        "unit": "message", "counts": {"input": total + 10, "kept": total, "personas": n_personas,
                                      "noise_before_reassign": total // 7},
        "filtering": [{"stage": f"stage{i}", "removed": 1 if i < 4 else 2, "kept": total + 10 - i, "kept_share": 0.99,
                       "examples": []} for i in range(6)],
        "metrics": {"noise_share": 0.14, "silhouette": 0.3, "dbcv": 0.2, "stability_ari": 0.8},
        "timings_s": {"embed": 1.0, "cluster": 0.5}, "peak_rss_mb": 100.0, "config": {"unit": "message"},
        "versions": {"personas": "0.1.0"}, "has_timestamps": True, "has_authors": True,
    }
    return RunBundle(run_id, manifest, personas, pd.DataFrame(rows), {})
