"""scripts/bench_data.py at the large sizes (issue 17): joined texts are distinct, follow the pairing rule,
and the quality filter does not single them out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.filtering import QualityFilter
from scripts.bench_data import build_input, joined_pairs, joined_texts, load_real_texts
from scripts.bench_growth import growth
from tests.fixtures.data import shared_path


@pytest.fixture(scope="module")
def pool():
    shared_path("twitter_airline_sentiment", "Tweets.csv")
    shared_path("banking77", "train.csv")
    shared_path("twcs_sample", "twcs_first5000.csv")
    return load_real_texts()


@pytest.mark.shared
def test_two_hundred_thousand_joined_texts_are_distinct_and_follow_the_rule(pool):
    n = 200_000
    a, b, texts = joined_pairs(pool, n, np.random.default_rng(0))
    assert len(texts) == len(set(texts)) == n and not set(texts) & set(pool["text"])
    assert len(set(zip(a.tolist(), b.tolist()))) == n  # each ordered pair once
    src, length = pool["source"].to_numpy(), pool["text"].str.len().to_numpy()
    assert (src[a] != src[b]).all()
    assert (np.minimum(length[a], length[b]) * 2 >= np.maximum(length[a], length[b])).all()
    pool_text = pool["text"].to_numpy()
    assert all(t == f"{pool_text[i]} {pool_text[j]}" for i, j, t in zip(a[:1000], b[:1000], texts[:1000]))
    # the same draws as joined_texts (what build_input writes)
    again = joined_texts(pool, n, np.random.default_rng(0))
    assert again["text"].tolist() == texts
    assert (again["author"].isna().to_numpy() == pool["author"].isna().to_numpy()[a]).all()


@pytest.mark.shared
def test_the_filter_removes_joined_texts_no_more_often_than_real_ones(pool, tmp_path):
    info = build_input(len(pool) + 20_000, pool, tmp_path / "in.csv")
    frame = pd.read_csv(tmp_path / "in.csv", dtype={"message_id": str}, keep_default_na=False)
    frame["author"] = frame["author"].replace("", None)
    assert info["joined"] == 20_000
    kept = set(QualityFilter().fit_transform(frame[["message_id", "text", "author"]])["message_id"])
    joined = frame["source"].str.startswith("joined:")
    removed_joined = 1 - frame.loc[joined, "message_id"].isin(kept).mean()
    removed_real = 1 - frame.loc[~joined, "message_id"].isin(kept).mean()
    # a joined text is removed only for what its parts carry (a retweet marker, another language): its
    # share is about the chance that one of two real parts is removed, never most of them
    assert removed_joined < 2.5 * removed_real and removed_joined < 0.1, (removed_joined, removed_real)


def test_growth_is_time_ratio_over_size_ratio():
    def run(size, filter_s, wall):
        return {"size": size, "encoder": "int8", "wall_s": wall,
                "timings_s": {"filter": filter_s, "embed": size / 100, "total": wall - 5}}

    pairs = growth([run(100_000, 10.0, 1000.0), run(300_000, 45.0, 3000.0)])
    assert pairs[0]["size_ratio"] == 3.0
    assert pairs[0]["stages"]["filter"] == {"time_ratio": 4.5, "growth": 1.5, "small_base": False}
    assert pairs[0]["stages"]["embed"]["growth"] == 1.0
    assert pairs[0]["stages"]["outside stages"]["growth"] == pytest.approx(1 / 3, abs=0.01)
