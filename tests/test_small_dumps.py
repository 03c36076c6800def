"""The small dumps of docs/ablations.md "Small dumps" (``scripts/make_small_sets.py --tiny``): real texts, the
documented shapes, the same files on every build (the table's numbers are reproducible)."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from tests.fixtures.data import shared_path

SHAPES = {  # texts, classes, smallest and largest class (the table's column "set")
    "t60_b3": (60, 3, 20, 20), "s80_b4": (80, 4, 20, 20), "t90_gn6": (90, 6, 15, 15), "s100_b10": (100, 10, 10, 10),
    "s100_gn10": (100, 10, 10, 10), "t100_gn7u": (100, 7, 7, 30), "t120_b12": (120, 12, 10, 10),
    "t120_tw8": (120, 8, 15, 15), "s150_b5": (150, 5, 30, 30), "s150_gn10": (150, 10, 15, 15),
    "t150_b15": (150, 15, 10, 10), "t165_tw8u": (165, 8, 10, 40), "t180_b6": (180, 6, 30, 30),
    "t250_b25": (250, 25, 10, 10)}


def test_the_small_dumps_are_real_texts_of_the_documented_shapes():
    from scripts.make_small_sets import tiny_sets

    shared = shared_path("banking77", "train.csv").parents[1]
    sets = tiny_sets(shared)
    assert sorted(sets) == sorted(SHAPES)
    banking = pd.concat([pd.read_csv(shared / "banking77" / f) for f in ("train.csv", "test.csv")])
    news = pd.read_json(shared / "short_text_clustering" / "googlenews_ts.jsonl", lines=True)
    tweets = pd.read_json(shared / "short_text_clustering" / "tweet.jsonl", lines=True)
    real = set(banking["text"]) | set(news["text"]) | set(tweets["text"])
    for name, frame in sets.items():
        sizes = frame["category"].value_counts()
        assert (len(frame), sizes.size, sizes.min(), sizes.max()) == SHAPES[name], name
        assert frame["text"].isin(real).all() and frame["id"].is_unique, name
    again = tiny_sets(shared)  # fixed seeds: the same files
    digest = [hashlib.sha1(f.to_csv(index=False).encode()).hexdigest() for f in (sets["t100_gn7u"], again["t100_gn7u"])]
    assert digest[0] == digest[1]


@pytest.mark.slow
def test_a_dump_of_100_news_texts_in_10_stories_gives_10_personas(tmp_path):
    """Before the small-dump rule, UMAP's 15 neighbours and a floor of 10 merged pairs of these stories: 7-8
    personas, ARI .72-.80 (docs/ablations.md, "Small dumps"); k-means told k scored .944 ARI."""
    from sklearn.metrics import adjusted_rand_score

    from scripts.make_small_sets import tiny_sets
    from tests.fixtures.runs import run_cli

    dump = tiny_sets(shared_path("banking77", "train.csv").parents[1])["s100_gn10"]
    dump.to_csv(tmp_path / "news.csv", index=False)
    args = [str(tmp_path / "news.csv"), "--text-col", "text", "--id-col", "id", "--out", str(tmp_path / "run"),
            "--no-store", "--seed", "0"]
    assert run_cli(args) == 0
    members = pd.read_parquet(tmp_path / "run" / "assignments.parquet").astype({"member_id": str})
    truth = members["member_id"].map(dump.set_index("id")["category"])
    assert members["persona_id"].nunique() == 10
    assert adjusted_rand_score(truth, members["persona_id"]) >= 0.9
