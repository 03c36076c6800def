"""The ablation scripts (scripts/ablate.py, scripts/select_k.py) on small real data.

Proposed by the ablation helper; the lead decides where it lives (tests/ is not the helper's).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.data import shared_path


def test_k_grid_and_choose_k_find_separated_blobs():
    from sklearn.datasets import make_blobs

    from scripts.ablation.evaluate import choose_k, k_grid

    grid = k_grid(2000)
    assert grid[0] == 5 and grid[-1] == 100 and grid == sorted(set(grid))
    X, y = make_blobs(n_samples=600, centers=7, cluster_std=0.3, random_state=0)
    for algo in ("kmeans-silhouette", "kmeans-db", "agglo-silhouette"):
        labels, info = choose_k(X, algo, seed=0)
        assert info["k_chosen"] == 7, algo


def test_knn_vote_follows_the_neighbours_not_the_centroid():
    """A long thin cluster's far end lies nearer the other cluster's centroid than its own: the vote of the
    nearest clustered points gives a noise point there to the thin cluster, the centroid would not."""
    from scripts.ablation.evaluate import knn_vote

    thin = np.column_stack([np.linspace(0, 10, 40), np.zeros(40)])  # centroid (5, 0)
    blob = np.random.default_rng(0).normal([11.5, 3.0], 0.2, size=(40, 2))  # centroid (11.5, 3)
    noise = np.array([[10.2, 0.0], [11.5, 2.5]])
    Z = np.vstack([thin, blob, noise])
    raw = np.r_[np.zeros(40, int), np.ones(40, int), [-1, -1]]
    out = knn_vote(Z, raw, k=5)
    assert out[-2:].tolist() == [0, 1] and (out[:-2] == raw[:-2]).all()
    assert np.linalg.norm(noise[0] - blob.mean(0)) < np.linalg.norm(noise[0] - thin.mean(0))


def test_twcs_brand_is_the_account_that_answered():
    from scripts.ablation.data import twcs_brand

    msgs = pd.DataFrame({
        "message_id": ["1", "2", "3", "4"],
        "author": ["cust1", "BrandA", "cust2", "cust3"],
        "inbound": pd.array([True, False, True, True], dtype="boolean"),
        "reply_to": [None, "1", None, "2"],
    })
    assert twcs_brand(msgs).tolist() == ["BrandA", None, None, None]


def test_recommend_prefers_reproducible_well_separated_settings():
    from scripts.select_k import recommend

    base = {"personas": 20, "noise_share": 0.1, "max_persona_share": 0.1, "dbcv": 0.5, "share": 0.0}
    rows = [
        {**base, "min_cluster_size": 10, "silhouette": 0.90, "stability_ari": 0.50},  # unstable: out
        {**base, "min_cluster_size": 20, "silhouette": 0.70, "stability_ari": 0.90},
        {**base, "min_cluster_size": 40, "silhouette": 0.695, "stability_ari": 0.88},  # tie → larger wins
        {**base, "min_cluster_size": 80, "silhouette": 0.99, "stability_ari": 0.95, "max_persona_share": 0.6},
    ]
    best, why = recommend(rows)
    assert best["min_cluster_size"] == 40 and "min_cluster_size 40" in why


@pytest.mark.slow
@pytest.mark.shared
def test_ablate_runs_on_a_labelled_banking_slice(tmp_path):
    """End to end on 400 real Banking77 queries: JSON rows with bounded metrics, a PNG and a table."""
    from scripts import ablate

    src = shared_path("banking77", "test.csv")
    frame = pd.read_csv(src)
    frame = frame[frame["category"].isin(sorted(frame["category"].unique())[:8])].head(400)
    data = tmp_path / "b8.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "out"
    rc = ablate.main(["--data", str(data), "--label-col", "category", "--name", "b8", "--groups", "default",
                      "noise", "baselines", "--seeds", "0", "1", "--subsample", "0", "--out", str(out),
                      "--cache-dir", str(tmp_path / "umap")])
    assert rc == 0
    payload = json.loads((out / "b8.json").read_text())
    rows = payload["rows"]
    assert [r["setting"] for r in rows][:2] == ["defaults", "noise: keep"]
    for r in rows:
        for m in ("nmi", "ari", "acc"):
            assert -1.0 <= r[f"category.reassigned.{m}"] <= 1.0
    default = rows[0]
    assert default["personas"] >= 2 and 0.0 <= default["noise_share"] < 1.0
    assert default["category.reassigned.nmi"] > 0.3  # 8 intents are not random noise to the pipeline
    assert (out / "b8.png").stat().st_size > 10_000 and (out / "b8.md").exists()
    keep = next(r for r in rows if r["setting"] == "noise: keep")
    assert np.isclose(keep["category.reassigned.nmi"], keep["category.with_noise.nmi"])


def test_persona_shape_and_target_count():
    """Largest persona's share and purity, large impure personas, and the issue-12 class count."""
    from scripts.ablation.evaluate import persona_shape, target_count

    y = np.array(["a"] * 60 + ["b"] * 30 + ["c"] * 9 + [None], dtype=object)
    assert target_count(y) == 2  # "c" has fewer than 10 members
    mixed = np.array([0] * 50 + [1] * 50)  # persona 1 = 10 "a" + 30 "b" + 9 "c" + 1 unlabelled
    shape = persona_shape(y, [mixed])
    assert shape["largest_share"] == 0.5 and shape["largest_purity"] == 1.0  # ties: the first id
    assert shape["impure_large"] == 0  # persona 1: "b" is 30 of 49 labelled
    worse = np.array([0] * 40 + [1] * 60)  # persona 1 = 20 "a" + 30 "b" + 9 "c" + 1 none
    assert persona_shape(y, [worse])["largest_purity"] == pytest.approx(30 / 59, abs=1e-4)
    blend = np.array([0] * 30 + [1] * 70)  # persona 1: 30 "a", 30 "b", 9 "c" -> 30/69 < .5
    assert persona_shape(y, [blend])["impure_large"] == 1
    assert persona_shape(y, [blend])["classes"] == 3


def test_short_text_sets_are_built_in_and_numeric_labels_are_read():
    from scripts.ablation.data import BUILTIN, _label_value

    assert {"googlenews", "tweet"} <= set(BUILTIN)
    assert BUILTIN["tweet"].labels == ["cluster"]
    assert BUILTIN["googlenews"].resolved()[0].name == "googlenews_ts.jsonl"
    assert [_label_value(v) for v in (37, "37", " x ", "", None, float("nan"))] == ["37", "37", "x", None, None, None]


def test_summary_table_has_one_line_per_setting_with_per_seed_scores():
    from scripts.ablation.report import summary_table

    row = {"group": "granularity", "setting": "share 0.005, eom (default)", "n": 100, "personas": 3.0,
           "personas_per_seed": [3, 3], "classes": 4, "target_count": 3, "largest_share": 0.5,
           "largest_purity": 0.9, "impure_large": 0, "cluster.reassigned.nmi": 0.8, "cluster.reassigned.ari": 0.7,
           "cluster.reassigned.acc": 0.6, "cluster.reassigned.nmi_per_seed": [0.8, 0.8],
           "cluster.reassigned.ari_per_seed": [0.7, 0.7], "cluster.reassigned.acc_per_seed": [0.6, 0.6]}
    other = {**row, "group": "noise"}
    table = summary_table([{"meta": {"dataset": "toy"}, "rows": [row, other]}])
    lines = table.strip().splitlines()
    assert len(lines) == 3  # header, rule, the one granularity row
    assert "toy (n=100, cluster)" in lines[2] and "3 (3, 3)" in lines[2] and "4 / 3" in lines[2]
    assert "0.800/0.700/0.600; 0.800/0.700/0.600" in lines[2] and "0.500 / 0.90" in lines[2]
