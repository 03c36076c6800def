"""Inputs for scripts/bench_pipeline.py: real texts from ../shared/data, filled with joined texts above them.

``load_real_texts(data_dir)``: all 32,723 real texts (Twitter US Airline Sentiment 14,640 tweets with author
and timestamp, Banking77 train+test 13,083 queries, the TWCS slice 5,000 tweets with author and timestamp),
read with ``ml.ingest.load``. ``build_input(size, pool, path, seed)`` writes a generic-layout CSV
(message_id, text, author, timestamp, source) and returns its composition.

A size up to the pool is a seeded, source-proportional sample of real texts. Above it every real text is
used once and the rest are JOINED TEXTS "A B": two real texts from different data sets whose lengths are
within 2x of each other, each ordered pair (A, B) at most once, no joined text equal to a real text or to
another joined text; author and timestamp come from A. Pairs are drawn uniformly at random (vectorised), so
at 1M rows each real text is part of about 60 joined texts (half as A, half as B) out of roughly 2.7e8
eligible pairs. Why the filters keep them: with lengths within 2x, A is at most 2/3 of "A B", so the
character-shingle Jaccard of "A B" to A, or to "A C", stays well under the 0.8 near-duplicate threshold; a
joined text is removed only for what its parts carry (a retweet marker, a non-English part, over
``length.max_chars``). The 50k, 300k and 1M inputs are therefore 32,723 real messages plus 17,277, 267,277 and
967,277 joined ones, not that many distinct real messages; the bench JSON says so under ``data``.
"""

from __future__ import annotations

import os
from datetime import timezone
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PERSONAS_SHARED_DATA", REPO.parent / "shared" / "data"))
SOURCES = {  # name: (relative paths, note)
    "airline": (["twitter_airline_sentiment/Tweets.csv"], "author + timestamp"),
    "banking77": (["banking77/train.csv", "banking77/test.csv"], "text only"),
    "twcs": (["twcs_sample/twcs_first5000.csv"], "author + timestamp"),
}
FILL_RULE = ("sizes above the real pool use every real text once, the rest are joined texts 'A B' from two "
             "different data sets (lengths within 2x, each ordered pair at most once, drawn uniformly at "
             "random; no joined text equals a real or another joined text; author/timestamp of A)")

__all__ = ["FILL_RULE", "SHARED_DATA", "SOURCES", "build_input", "joined_pairs", "joined_texts", "load_real_texts"]


def _iso(ts: pd.Series, offset_min: pd.Series) -> list[str | None]:
    """UTC timestamps as ISO 8601 in the author's local offset when known (keeps the local hour)."""
    out: list[str | None] = []
    for t, off in zip(ts, offset_min):
        if pd.isna(t):
            out.append(None)
        elif pd.isna(off):
            out.append(t.isoformat())
        else:
            out.append(t.tz_convert(timezone(pd.Timedelta(minutes=float(off)).to_pytimedelta())).isoformat())
    return out


def load_real_texts(data_dir: Path = SHARED_DATA) -> pd.DataFrame:
    """All real texts: columns text, author, timestamp (ISO str or None), source. Read with ml.ingest.load."""
    from ml.ingest.load import load_messages

    frames = []
    for name, (parts, _) in SOURCES.items():
        paths = [data_dir / p for p in parts]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise SystemExit(f"error: {missing[0]} not found: the benchmark needs ../shared/data "
                             "(or set PERSONAS_SHARED_DATA)")
        msgs, _ = load_messages(paths)
        frames.append(pd.DataFrame({
            "text": msgs["text"].astype(str).to_numpy(),
            "author": msgs["author"].to_numpy(),
            "timestamp": _iso(msgs["timestamp"], msgs["utc_offset_min"]),
            "source": name,
        }))
    return pd.concat(frames, ignore_index=True)


def _eligible_pairs(lengths: np.ndarray, sources: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Up to n distinct ordered pairs (i, j), as keys i * N + j, in draw order: different data sets, lengths
    within 2x."""
    size = len(lengths)
    keys = np.empty(0, dtype=np.int64)
    for _ in range(20):
        need = n - len(keys)
        if need <= 0:
            break
        draw = 4 * need + 10_000  # about a third of random pairs are eligible
        a, b = rng.integers(0, size, draw), rng.integers(0, size, draw)
        ok = (sources[a] != sources[b]) & (np.minimum(lengths[a], lengths[b]) * 2 >= np.maximum(lengths[a], lengths[b]))
        merged = np.concatenate([keys, a[ok].astype(np.int64) * size + b[ok]])
        _, first = np.unique(merged, return_index=True)
        keys = merged[np.sort(first)]
    return keys[:n]


def joined_texts(pool: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n new texts "A B" (columns text, author, timestamp, source), as described in the module doc."""
    a, b, out_texts = joined_pairs(pool, n, rng)
    sources = pool["source"].to_numpy(dtype=object)
    out = pool.iloc[a][["author", "timestamp"]].reset_index(drop=True)
    out.insert(0, "text", out_texts)
    out["source"] = ["joined:" + x + "+" + y for x, y in zip(sources[a], sources[b])]
    return out


def joined_pairs(pool: pd.DataFrame, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Pool positions of A and B, and the texts "A B", of the n joined texts (the same draws as joined_texts)."""
    texts = pool["text"].to_numpy(dtype=object)
    lengths = pool["text"].str.len().to_numpy()
    sources = pool["source"].to_numpy(dtype=object)
    real = set(texts)
    picked: list[np.ndarray] = []
    out_texts: list[str] = []
    seen: set[str] = set()
    have = 0
    for _ in range(5):  # a few rounds: equal joined texts (equal real parts) are rare
        keys = _eligible_pairs(lengths, sources, int((n - have) * 1.02) + 100, rng)
        keys = keys[~np.isin(keys, np.concatenate(picked))] if picked else keys
        a, b = keys // len(pool), keys % len(pool)
        new = [f"{x} {y}" for x, y in zip(texts[a], texts[b])]
        keep = np.zeros(len(new), dtype=bool)
        for k, text in enumerate(new):
            if have >= n:
                break
            if text not in real and text not in seen:
                seen.add(text)
                keep[k] = True
                have += 1
        picked.append(keys[keep])
        out_texts.extend(t for t, k in zip(new, keep) if k)
        if have >= n:
            break
    if have < n:
        raise SystemExit(f"error: could only build {have} of {n} joined texts")
    keys = np.concatenate(picked)
    return keys // len(pool), keys % len(pool), out_texts


def build_input(size: int, pool: pd.DataFrame, path: Path, seed: int = 0) -> dict:
    """Write a CSV of `size` texts to `path`; return its composition."""
    rng = np.random.default_rng(seed)
    if size <= len(pool):
        shares = pool["source"].value_counts(normalize=True)
        take = {s: round(size * float(shares[s])) for s in shares.index}
        take[shares.index[0]] += size - sum(take.values())
        parts = [pool[pool["source"] == s].sample(n=k, random_state=seed) for s, k in take.items()]
        frame = pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)
        n_joined = 0
    else:
        n_joined = size - len(pool)
        frame = pd.concat([pool, joined_texts(pool, n_joined, rng)], ignore_index=True)
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    frame.insert(0, "message_id", [f"m{i}" for i in range(len(frame))])
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    by_source = frame["source"].map(lambda s: "joined" if s.startswith("joined:") else s).value_counts()
    return {"path": str(path), "rows": len(frame), "real": len(frame) - n_joined,
            "joined": int(n_joined), "by_source": {k: int(v) for k, v in by_source.items()},
            "with_timestamp": int(frame["timestamp"].notna().sum()),
            "with_author": int(frame["author"].notna().sum())}
