"""ml.knn.BruteNeighbours: the same neighbours as scikit-learn's exact brute-force search."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from ml import knn
from ml.knn import BruteNeighbours


def _data(seed=0, n_ref=700, n_query=400, dim=40):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(12, dim)) * 3
    R = (centres[rng.integers(0, 12, n_ref)] + rng.normal(size=(n_ref, dim))).astype(np.float32)
    Q = (centres[rng.integers(0, 12, n_query)] + rng.normal(size=(n_query, dim))).astype(np.float32)
    Q[:20] = R[100:120]  # exact duplicates of reference rows
    return R, Q


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "manhattan"])
def test_neighbours_are_scikit_learns(metric, monkeypatch):
    R, Q = _data()
    monkeypatch.setattr(knn, "BLOCK_FLOATS", 700 * 37)  # many blocks, one of them short
    monkeypatch.setattr(knn, "RERANK_ROWS", 16)
    dist, idx = BruteNeighbours(metric).fit(R).kneighbors(Q, 9)
    ref_dist, ref_idx = NearestNeighbors(n_neighbors=9, algorithm="brute", metric=metric).fit(R).kneighbors(Q)
    assert dist.dtype == np.float32 and idx.dtype == np.int64 and idx.shape == (400, 9)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-5, atol=1e-5)
    assert np.array_equal(idx, ref_idx)
    assert np.all(np.diff(dist, axis=1) >= 0)  # nearest first


def test_an_exact_duplicate_is_at_distance_zero_and_first():
    R, Q = _data(seed=1)
    dist, idx = BruteNeighbours().fit(R).kneighbors(Q[:20], 3)
    assert np.array_equal(idx[:, 0], np.arange(100, 120))
    assert np.all(dist[:, 0] == 0.0) and np.all(dist[:, 1] > 0)


def test_equal_distances_come_in_position_order():
    R = np.zeros((30, 4), dtype=np.float32)
    R[[3, 7, 12, 20]] = 1.0  # four rows at distance 0 from the query, fewer than k + MARGIN
    dist, idx = BruteNeighbours().fit(R).kneighbors(np.ones((1, 4), dtype=np.float32), 5)
    assert idx[0, :4].tolist() == [3, 7, 12, 20] and np.all(dist[0, :4] == 0) and dist[0, 4] == 2.0


def test_more_ties_than_candidates_keep_the_first_positions():
    R = np.zeros((40, 4), dtype=np.float32)
    R[::2] = 1.0  # 20 rows at distance 0, more than k + MARGIN
    dist, idx = BruteNeighbours().fit(R).kneighbors(np.ones((1, 4), dtype=np.float32), 5)
    assert idx[0].tolist() == [0, 2, 4, 6, 8] and np.all(dist == 0)


def test_cosine_distance_to_a_zero_row_is_one():
    R = np.array([[0, 0], [1, 0]], dtype=np.float32)
    dist, idx = BruteNeighbours("cosine").fit(R).kneighbors(np.array([[0, 1]], dtype=np.float32), 2)
    np.testing.assert_allclose(dist[0], [1.0, 1.0], atol=1e-7)


def test_k_must_fit_the_reference_rows():
    fitted = BruteNeighbours().fit(np.ones((3, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="k=4"):
        fitted.kneighbors(np.ones((1, 2)), 4)
