"""The int8 ONNX encoder agrees with fp32 MiniLM on real texts, has its own cache, and exports once."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.features.embed import SentenceEmbedder, _model_path
from ml.features.embed_onnx import INT8_FILE, ensure_int8_model
from ml.runtime.errors import InputError

BANKING = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77" / "test.csv"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    """One cache folder for the module: the export (~15 s) happens once."""
    return tmp_path_factory.mktemp("int8-cache")


@pytest.fixture(scope="module")
def texts() -> list[str]:
    frame = pd.read_csv(BANKING).drop_duplicates("text")
    return frame.groupby("category").head(2)["text"].astype(str).tolist()[:80]  # 40 intents, 2 each


def test_int8_vectors_match_fp32_on_real_texts(cache_dir, texts):
    fp32 = SentenceEmbedder(cache_dir=str(cache_dir), show_progress=False).transform(texts)
    int8 = SentenceEmbedder(cache_dir=str(cache_dir), show_progress=False, encoder="int8").transform(texts)
    assert int8.shape == fp32.shape == (len(texts), 384) and int8.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-4)
    cosine = np.sum(fp32 * int8, axis=1)
    assert cosine.min() >= 0.98, f"lowest cosine {cosine.min():.4f}"
    sim_fp, sim_q = fp32 @ fp32.T, int8 @ int8.T
    np.fill_diagonal(sim_fp, -2)
    np.fill_diagonal(sim_q, -2)
    assert np.mean(sim_fp.argmax(1) == sim_q.argmax(1)) >= 0.9  # same nearest neighbour mostly


def test_encoders_have_separate_cache_keys(cache_dir, texts):
    fp32 = SentenceEmbedder(cache_dir=str(cache_dir), show_progress=False).fit()
    int8 = SentenceEmbedder(cache_dir=str(cache_dir), show_progress=False, encoder="int8").fit()
    assert fp32.model_id_ != int8.model_id_ and "int8" in int8.model_id_
    assert fp32._cache().path != int8._cache().path
    assert fp32._cache().keys_for(texts[:1]) != int8._cache().keys_for(texts[:1])
    new = ["a text neither encoder has seen before"]
    fp32.transform(new)
    int8.transform(new)
    assert int8.n_encoded_ == 1 and int8.n_cached_ == 0  # fp32's vector is not reused for int8
    int8.transform(new)
    assert int8.n_cached_ == 1


def test_export_is_cached_and_keyed_by_the_model_files(cache_dir, texts):
    SentenceEmbedder(cache_dir=str(cache_dir), show_progress=False, encoder="int8").transform(texts[:2])
    files = list((cache_dir / "onnx").glob(f"*/{INT8_FILE}"))
    assert len(files) == 1
    before = files[0].stat().st_mtime_ns
    start = time.perf_counter()
    again = ensure_int8_model(_model_path("all-MiniLM-L6-v2"), cache_dir)
    assert time.perf_counter() - start < 5  # a hash of the model files, no export
    assert again == files[0] and again.stat().st_mtime_ns == before
    assert not [p for p in again.parent.iterdir() if p.name != INT8_FILE]  # no temporary files left


def test_unknown_encoder_is_an_input_error():
    with pytest.raises(InputError, match="embed.encoder"):
        SentenceEmbedder(encoder="fp16").fit()


def test_encoder_flag_sets_the_config():
    from ml.run import build_parser, config_from_args

    args = build_parser().parse_args(["data.csv", "--out", "run", "--encoder", "int8"])
    assert config_from_args(args).embed.encoder == "int8"
    assert config_from_args(build_parser().parse_args(["data.csv", "--out", "run"])).embed.encoder == "fp32"
