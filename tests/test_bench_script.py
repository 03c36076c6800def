"""scripts/bench_pipeline.py: the input builder and one small end-to-end benchmark run.

Behaviour only (inputs, JSON layout, checks present); the speed targets live in the benchmark itself.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.fixtures.data import shared_path

SCRIPT = REPO / "scripts" / "bench_pipeline.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("bench_pipeline", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _load_script()


@pytest.fixture(scope="module")
def pool(bench):
    shared_path("twitter_airline_sentiment", "Tweets.csv")
    shared_path("banking77", "train.csv")
    shared_path("twcs_sample", "twcs_first5000.csv")
    return bench.load_real_texts(bench.SHARED_DATA)


@pytest.mark.shared
def test_real_pool_is_all_three_data_sets(pool):
    assert pool["source"].value_counts().to_dict() == {"airline": 14640, "banking77": 13083, "twcs": 5000}
    assert pool.loc[pool["source"] == "banking77", "author"].isna().all()
    airline_ts = pool.loc[pool["source"] == "airline", "timestamp"]
    assert airline_ts.str.endswith(("-08:00", "-05:00", "-06:00", "-07:00")).mean() > 0.9  # local offset kept


@pytest.mark.shared
def test_small_size_is_a_proportional_sample_of_real_texts(bench, pool, tmp_path):
    info = bench.build_input(1000, pool, tmp_path / "in.csv")
    frame = pd.read_csv(tmp_path / "in.csv")
    assert len(frame) == info["rows"] == info["real"] == 1000 and info["joined"] == 0
    assert set(frame["text"]) <= set(pool["text"])
    assert info["by_source"]["airline"] > info["by_source"]["twcs"] > 0
    assert list(frame.columns) == ["message_id", "text", "author", "timestamp", "source"]


@pytest.mark.shared
def test_size_above_the_real_pool_is_filled_with_joined_texts(bench, pool, tmp_path):
    extra = 400
    info = bench.build_input(len(pool) + extra, pool, tmp_path / "big.csv")
    frame = pd.read_csv(tmp_path / "big.csv", keep_default_na=False)
    assert info["real"] == len(pool) and info["joined"] == extra
    joined = frame[frame["source"].str.startswith("joined:")]
    assert len(joined) == extra and joined["text"].is_unique
    real = set(pool["text"])
    for text, source in zip(joined["text"].head(50), joined["source"].head(50)):
        first, second = source.removeprefix("joined:").split("+")
        assert first != second  # two different data sets
        assert text not in real
        assert any(text.startswith(t + " ") and text[len(t) + 1:] in real for t in real if text.startswith(t))


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_benchmark_run_writes_json_with_stages_memory_and_checks(tmp_path):
    shared_path("twitter_airline_sentiment", "Tweets.csv")
    out = tmp_path / "pipeline.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "300", "--skip-warm", "--skip-numba-probe",
         "--out", str(out), "--work-dir", str(tmp_path / "work")],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    assert {"machine", "targets", "numba", "data", "results", "checks"} <= set(report)
    assert report["data"]["inputs"]["300"]["rows"] == 300
    (run,) = report["results"]
    assert run["size"] == 300 and run["run"] == "cold" and run["rc"] == 0
    assert {"ingest", "filter", "embed", "reduce", "cluster", "metrics", "profile", "total"} <= set(run["timings_s"])
    assert run["embedding_cache"]["encoded"] > 0 and run["embedding_cache"]["cached"] == 0
    assert 0 < run["timings_s"]["total"] <= run["wall_s"]
    assert run["process_peak_rss_mb"] >= run["peak_rss_mb"] > 0
    assert set(report["checks"]["300"]) == {"e2e_over_embed", "peak_rss", "tree_peak_pss"}  # no warm run: no warm check
    assert run["tree_peak_rss_mb"] >= run["tree_peak_pss_mb"] > 0  # the process with its children, sampled
    assert len(run["loadavg_1m"]) == 2
    probe = run["mask_probe"]  # the run writer's PII masking, timed again with an empty mask cache
    assert probe["rc"] == 0 and probe["process_wall_s"] >= probe["wall_s"] > 0 and probe["texts"] == run["counts"]["kept"] and 0 < probe["ner_texts"] < probe["unique"]
    assert list((tmp_path / "work" / "cache-300").glob("pii-*.sqlite"))  # the run's mask cache is the size's own
    assert "Pipeline benchmark" in proc.stderr and "300 cold" in proc.stderr
