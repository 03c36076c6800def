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
