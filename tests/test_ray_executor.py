"""The Ray executor (``--executor ray``) against the local one, on a local 2-CPU Ray.

The run test compares two real runs of ``python -m ml.run`` on the bundled TWCS sample (customers'
side; the session's local run from tests/fixtures/runs.py): the Ray run encodes every text on the Ray
actors into its own cache, and must give the same personas (ARI ≥ 0.99) from vectors equal to the local
ones within 1e-6. Without Ray installed these tests skip, except under CI=true (scripts/setup.sh --dev
installs the ray extra), where that is a failure.
"""

from __future__ import annotations

import sqlite3
import sys

import numpy as np
import pandas as pd
import pytest

from ml.runtime.errors import InputError
from ml.runtime.executor import LocalExecutor, open_executor
from tests.conftest import IN_CI
from tests.fixtures.runs import SAMPLE_TWCS, run_cli


@pytest.fixture(scope="module")
def ray_executor():
    """A Ray executor on a local Ray it started itself (2 CPUs, no dashboard, small object store);
    closing it must shut that Ray down."""
    try:
        import ray
    except ImportError:
        if IN_CI:
            pytest.fail("ray is not installed: scripts/setup.sh --dev installs the ray extra")
        pytest.skip("ray is not installed (pip install '.[ray]')")
    if ray.is_initialized():
        pytest.skip("a Ray is already running in this process")
    executor = open_executor("ray", num_cpus=2, object_store_memory=128 * 2**20)
    assert executor.started_ and executor.cpus_ == 2 and executor.gpus_ == 0
    yield executor
    executor.close()
    assert not ray.is_initialized(), "the executor did not shut down the Ray it started"


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    with pytest.raises(InputError, match=r"pip install '\.\[ray\]'"):
        open_executor("ray")


def test_executor_choice_config_and_flag():
    from ml.run import build_parser, config_from_args
    from ml.runtime.config import PipelineConfig

    assert PipelineConfig().executor == "local"
    assert isinstance(open_executor("local"), LocalExecutor)
    with pytest.raises(InputError, match="not one of local, ray"):
        open_executor("spark")
    with pytest.raises(Exception, match="executor"):
        PipelineConfig().updated({"executor": "spark"})
    args = build_parser().parse_args(["a.csv", "--out", "r", "--executor", "ray"])
    assert config_from_args(args).executor == "ray"
    assert config_from_args(build_parser().parse_args(["a.csv", "--out", "r"])).executor == "local"


def _sample():
    from ml.ingest.load import load_messages
    from ml.units import build_units

    messages, _ = load_messages([SAMPLE_TWCS])
    return messages, build_units(messages, "message").reset_index(drop=True)


def test_ray_features_equal_local(ray_executor):
    """The style columns come from Ray tasks; every feature equals the local transform's."""
    from ml.features.behavioral import BehavioralFeatures

    messages, members = _sample()
    featurizer = BehavioralFeatures().fit(members, messages)
    local = LocalExecutor().features(featurizer, members, messages)
    remote = ray_executor.features(featurizer, members, messages)
    assert remote.shape == local.shape == (len(members), 36)
    np.testing.assert_array_equal(np.isnan(remote), np.isnan(local))
    np.testing.assert_allclose(np.nan_to_num(remote), np.nan_to_num(local), rtol=0, atol=1e-12)


def test_ray_encode_uses_the_cache(ray_executor, tmp_path):
    """Only cache misses go to the actors; their vectors land in the cache; duplicates are encoded once."""
    from ml.features.embed import SentenceEmbedder

    texts = ["my flight was cancelled", "refund please", "my flight was cancelled", "where is my bag"]
    embedder = SentenceEmbedder(cache_dir=str(tmp_path), batch_size=2, show_progress=False)
    local = SentenceEmbedder(cache_dir="", batch_size=2, show_progress=False).transform(texts[:2])
    embedder.transform(texts[:2])  # two texts cached locally
    vecs = ray_executor.encode(embedder, texts)
    assert (embedder.n_cached_, embedder.n_encoded_) == (3, 1)
    np.testing.assert_allclose(vecs[:2], local, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    again = SentenceEmbedder(cache_dir=str(tmp_path), show_progress=False)
    np.testing.assert_array_equal(again.transform(texts), vecs)
    assert again.n_encoded_ == 0


@pytest.mark.slow
def test_ray_run_gives_the_local_personas(ray_executor, pipeline_run_dir, tmp_path):
    from sklearn.metrics import adjusted_rand_score

    from ml.features.embed import EmbeddingCache, SentenceEmbedder, default_cache_dir
    from ml.runtime.model import PersonaModel
    from tests.test_pipeline_e2e import _read_run

    out, cache = tmp_path / "ray-run", tmp_path / "cache"
    code = run_cli([str(SAMPLE_TWCS), "--out", str(out), "--no-store", "--inbound-only", "--executor", "ray",
                    "--cache-dir", str(cache)])
    assert code == 0
    manifest, _, ray_rows = _read_run(out)
    local_manifest, _, local_rows = _read_run(pipeline_run_dir)
    assert manifest["config"]["executor"] == "ray" and local_manifest["config"]["executor"] == "local"
    kept = manifest["counts"]["kept"]
    assert kept == local_manifest["counts"]["kept"] > 1000
    assert manifest["embedding_cache"]["cached"] == 0  # a fresh cache: every text was encoded on Ray
    joined = local_rows.merge(ray_rows, on="member_id", suffixes=("_local", "_ray"))
    assert len(joined) == kept
    ari = adjusted_rand_score(joined["persona_id_local"], joined["persona_id_ray"])
    assert ari >= 0.99, f"ARI local vs ray {ari:.4f}"

    # the vectors: every one the Ray run encoded (its own cache) against the local run's (the default cache)
    (ray_file,) = cache.glob("embeddings-*.sqlite")
    with sqlite3.connect(ray_file) as con:
        rows = con.execute("SELECT key, vec FROM emb").fetchall()
    assert len(rows) == manifest["embedding_cache"]["encoded"] > 1000
    local_cache = EmbeddingCache(default_cache_dir() / ray_file.name, SentenceEmbedder().fit().model_id_)
    local_vecs = local_cache.get_many([bytes(k) for k, _ in rows])
    assert len(local_vecs) == len(rows)
    ray_vecs = np.stack([np.frombuffer(v, dtype=np.float32) for _, v in rows])
    np.testing.assert_allclose(ray_vecs, np.stack([local_vecs[bytes(k)] for k, _ in rows]), rtol=0, atol=1e-6)

    # placement of new rows with the run's model: Ray encodes into one fresh cache, local into another
    model = PersonaModel.load(out)
    fresh = _sample()[0].iloc[:120].copy()
    model.embedder.set_params(cache_dir=str(tmp_path / "ray-predict"))
    placed = ray_executor.predict(model, fresh)
    assert model.embedder.n_encoded_ > 0
    model.embedder.set_params(cache_dir=str(tmp_path / "local-predict"))
    expected = LocalExecutor().predict(model, fresh)
    assert model.embedder.n_encoded_ > 0
    pd.testing.assert_frame_equal(placed[["member_id", "persona_id", "would_be_noise"]],
                                  expected[["member_id", "persona_id", "would_be_noise"]])
    np.testing.assert_allclose(placed["distance"], expected["distance"], atol=1e-5)
