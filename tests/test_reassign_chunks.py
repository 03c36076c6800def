"""Noise reassignment reads its vectors in blocks (``ml.cluster.reassign.CHUNK_ROWS``) instead of one
float64 copy of the whole matrix: the same centroids, labels and distances either way."""

import numpy as np
import pytest

from ml.cluster import reassign
from ml.cluster.reassign import NoiseReassigner


def _data(seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, 12)) * 4
    X = (np.repeat(centres, 50, axis=0) + rng.normal(size=(300, 12))).astype(np.float32)
    labels = np.repeat(np.arange(6), 50)
    labels[rng.random(300) < 0.25] = -1
    return X, labels


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_blocks_give_the_same_result_as_one_block(monkeypatch, metric):
    X, labels = _data()
    whole = NoiseReassigner(metric).fit(X, labels)
    out_whole = whole.reassign(X, labels)
    monkeypatch.setattr(reassign, "CHUNK_ROWS", 7)  # 43 blocks, the last one short
    blocks = NoiseReassigner(metric).fit(X, labels)
    out_blocks = blocks.reassign(X, labels)
    np.testing.assert_allclose(blocks.centroids_, whole.centroids_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(blocks.radius_, whole.radius_, rtol=0, atol=1e-12)
    assert np.array_equal(out_blocks[0], out_whole[0]) and np.array_equal(out_blocks[1], out_whole[1])
    np.testing.assert_allclose(out_blocks[2], out_whole[2], rtol=0, atol=1e-12)
    # and each centroid is the float64 mean of its persona's rows
    ref = X[labels == 3].astype(np.float64).mean(axis=0)
    expected = ref / np.linalg.norm(ref) if metric == "cosine" else ref
    np.testing.assert_allclose(blocks.centroids_[3], expected, rtol=0, atol=1e-12)


def test_final_labels_use_the_reassigned_flags():
    X, labels = _data(1)
    first = NoiseReassigner().fit(X, labels)
    final, flagged, _ = first.reassign(X, labels)
    again = NoiseReassigner().fit(X, final, flagged)  # the persona model's fit: no −1 left
    assert again.calibration_["n_noise"] == int(flagged.sum())
    assert np.array_equal(again.persona_ids_, first.persona_ids_)
