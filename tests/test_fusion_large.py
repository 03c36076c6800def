"""FeatureFusion on large inputs: chunked float64 arithmetic gives the same matrix without whole-matrix
float64 copies (issue 17: a 1M-row run within 4 GB)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from ml.features import fusion as fusion_mod
from ml.features.fusion import FeatureFusion, block_energy


def _data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    E = rng.normal(size=(n, 384)).astype(np.float32)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    F = rng.normal(size=(n, 36))
    F[rng.random(F.shape) < 0.1] = np.nan
    F[:, 5] = 1.0  # a constant column is zeroed
    return E, F


def _reference(f: FeatureFusion, E, F) -> np.ndarray:
    """The unchunked formula: hstack of the float64 blocks, cast to float32 once."""
    Z = f.standardized_features(F)
    return np.hstack([np.asarray(E, dtype=np.float64) * f.text_scale_, Z * f.behavior_scale_]).astype(np.float32)


def test_chunked_transform_equals_the_unchunked_formula(monkeypatch):
    E, F = _data(1000)
    monkeypatch.setattr(fusion_mod, "CHUNK_ROWS", 97)  # many chunks, a ragged last one
    f = FeatureFusion(text_weight=0.75, require_metadata=False).fit(E, F)
    out = f.transform(E, F)
    assert out.dtype == np.float32 and out.shape == (1000, 420)
    assert np.array_equal(out, _reference(f, E, F))
    assert np.isclose(f.text_share_, 0.75)


def test_chunked_block_energy_matches_numpy_var(monkeypatch):
    E, _ = _data(1000, seed=1)
    whole = float(2.0 * E.astype(np.float64).var(axis=0).sum())
    monkeypatch.setattr(fusion_mod, "CHUNK_ROWS", 64)
    assert block_energy(E) == pytest.approx(whole, rel=1e-12)
    assert block_energy(E[:1]) == 0.0


def test_transform_allocates_about_its_output_not_float64_copies(monkeypatch):
    E, F = _data(20_000, seed=2)
    monkeypatch.setattr(fusion_mod, "CHUNK_ROWS", 2_000)
    f = FeatureFusion(text_weight=0.75, require_metadata=False).fit(E, F)
    out_bytes = 20_000 * 420 * 4
    tracemalloc.start()
    try:
        out = f.transform(E, F)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the output, the (n, 36) float64 behaviour block and one chunk: under 1.6x the output; the unchunked
    # hstack held float64 copies of the whole text block (about 5x the output)
    assert out.nbytes == out_bytes
    assert peak < 1.6 * out_bytes, peak / out_bytes
