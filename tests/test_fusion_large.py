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


def test_fused_rows_view_gives_the_transform_rows_exactly(monkeypatch):
    """The view the pipeline holds instead of the fused matrix: any rows, the same float32 values."""
    from ml.features.fusion import FusedRows, as_rows

    E, F = _data(500)
    monkeypatch.setattr(fusion_mod, "CHUNK_ROWS", 64)
    f = FeatureFusion(text_weight=0.75, require_metadata=False).fit(E, F)
    full = f.transform(E, F)
    view = f.rows(E, F)
    assert isinstance(view, FusedRows) and view.shape == full.shape and len(view) == 500
    idx = np.array([7, 3, 499, 3])
    mask = np.zeros(500, bool)
    mask[::7] = True
    assert np.array_equal(view[idx], full[idx])
    assert np.array_equal(view[10:137], full[10:137])
    assert np.array_equal(view[mask], full[mask])
    assert np.array_equal(view[42], full[42])
    assert np.array_equal(np.asarray(view), full)
    assert as_rows(view) is view and as_rows(full.astype(np.float64)).dtype == np.float32
    with pytest.raises(TypeError, match="rows only"):
        view[:, 3]
    assert view.embeddings is E  # the embeddings are shared, not copied


def test_sampled_reduce_on_the_view_equals_the_reduce_on_the_matrix(tmp_path):
    """UMAP's sample-fit and the placement of the rest read rows from the view: the same layout, map and
    placement as on the whole matrix, also through the disk cache (hashed from the view's parts)."""
    from ml.runtime.layout import fit_reduce

    rng = np.random.default_rng(1)
    centres = rng.normal(size=(4, 384)) * 3
    E = (centres[rng.integers(0, 4, 400)] + rng.normal(size=(400, 384))).astype(np.float32)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    F = rng.normal(size=(400, 36))
    f = FeatureFusion(text_weight=0.75, require_metadata=False).fit(E, F)
    params = {"n_neighbors": 10, "fit_sample_size": 150, "random_state": 0, "n_epochs": 30}
    a = fit_reduce(params, f.transform(E, F))
    b = fit_reduce(params, f.rows(E, F), tmp_path)
    c = fit_reduce(params, f.rows(E, F), tmp_path)  # from the cache
    for got in (b, c):
        assert np.array_equal(got[0], a[0]) and np.array_equal(got[1], a[1])
        assert np.array_equal(got[2].neighbours, a[2].neighbours) and got[2].n_placed == 250
    assert any((tmp_path / "reduce").rglob("output.pkl"))
