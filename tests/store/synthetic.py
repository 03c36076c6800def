"""Synthetic run bundles for store contract tests and the store benchmark.

Shape follows CONTRACTS §3/§4 (manifest, persona profiles with nested lists, assignments frame);
contents are made up, which is fine for storage tests: no quality claim rests on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.store.bundle import RunBundle

WORDS = ["refund", "order", "late", "card", "delivery", "thanks", "please", "help", "account", "app", "crash", "login", "fee", "baggage", "flight", "delay", "seat", "Ünïcödé", "café", "東京", "😀", "emoji", "plan", "upgrade", "cancel", "billing"]


def _text(rng: np.random.Generator, n_words: int) -> str:
    return " ".join(rng.choice(WORDS, size=max(1, n_words)))


def make_bundle(run_id: str, sizes: list[int], created_at: str = "2026-01-01T00:00:00Z", words: int = 12,
                seed: int = 0, texts: list[str] | None = None, evidence_per_persona: int = 5,
                evidence_words: int = 20) -> RunBundle:
    """A bundle with len(sizes) personas of those member counts. `texts`, when given, are
    cycled as member texts instead of random words."""
    rng = np.random.default_rng(seed)
    n = int(sum(sizes))
    persona_ids = np.repeat(np.arange(len(sizes)), sizes)
    member_ids = [f"{run_id}:m{i:06d}" for i in range(n)]
    member_texts = [texts[i % len(texts)] for i in range(n)] if texts else [_text(rng, words) for _ in range(n)]
    members = pd.DataFrame({
        "member_id": member_ids,
        "persona_id": persona_ids.astype("int64"),
        "reassigned": rng.random(n) < 0.1,
        "distance": rng.random(n).round(6),
        "x": rng.normal(size=n),
        "y": rng.normal(size=n),
        "text": member_texts,
        "author": [None if i % 7 == 0 else f"user{i % 97}" for i in range(n)],
        "timestamp": [None if i % 5 == 0 else f"2025-06-{1 + i % 28:02d}T12:00:00+00:00" for i in range(n)],
        "n_messages": rng.integers(1, 5, size=n),
    })
    personas = []
    for pid, size in enumerate(sizes):
        ids = [member_ids[i] for i in np.flatnonzero(persona_ids == pid)]
        personas.append({
            "id": pid, "size": int(size), "share": round(size / max(n, 1), 6), "core_size": int(size * 0.9),
            "reassigned_count": int(size * 0.1), "member_ids": ids, "name": f"Persona {pid}",
            "description": f"Synthetic persona {pid}", "top_terms": [{"term": "refund", "weight": 0.3}, {"term": "order", "weight": 0.2}, {"term": "late", "weight": 0.1}],
            "top_ngrams": [{"term": "late order", "weight": 0.5}, {"term": "refund please", "weight": 0.25}],
            "activity": {"hourly": [i / 24 for i in range(24)], "weekday": [1 / 7] * 7,
                         "population_hourly": [1 / 24] * 24, "population_weekday": [1 / 7] * 7,
                         "peak_hours": [9, 10], "has_timestamps": True},
            "fingerprint": [{"feature": "night_share", "group": "temporal", "persona_mean": 0.3,
                             "population_mean": 0.1, "std_diff": 1.2, "sentence": "Writes at night."}],
            "highlights": ["Often writes at night."],
            "evidence": [{"member_id": ids[i % len(ids)] if ids else "none", "text": _text(rng, evidence_words)}
                         for i in range(evidence_per_persona)],
            "separators": {"accuracy": 0.8, "signals": [{"signal": "refund", "kind": "term", "importance": 0.4}]},
        })
    manifest = {
        "run_id": run_id, "created_at": created_at,
        "source": {"inputs": ["data/sample/twcs.csv"], "load": {"layout": "twcs"}}, "unit": "message",
        "counts": {"input": n + 10, "kept": n, "personas": len(sizes), "noise_before_reassign": n // 10},
        "filtering": [{"stage": "empty", "removed": 10, "kept": n, "kept_share": 0.99, "examples": [{"message_id": "e1", "text": ""}, {"message_id": "e2", "text": " "}]}],
        "metrics": {"noise_share": 0.1, "silhouette": 0.2, "dbcv": 0.3, "stability_ari": 0.9},
        "timings_s": {"embed": 1.5}, "peak_rss_mb": 512.0, "config": {"min_cluster_size": 40, "grid": [[1, 2], [3]]},
        "versions": {"personas": "0.1.0"}, "has_timestamps": True, "has_authors": True,
    }
    strategies = {"0": {"retention": {"goal": "retention", "steps": ["a", "b"]}}} if sizes else {}
    return RunBundle(run_id, manifest, personas, members, strategies)
