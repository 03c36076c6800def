"""Sample-fit above reduce.fit_sample_size: placed members take their nearest sampled members' layout and persona."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.cluster.placement import NeighbourPlacer, Placement, mean_of, spread_graph, vote
from ml.metrics import label_scores
from ml.reduce import UMAPReducer
from ml.runtime.config import PipelineConfig
from ml.runtime.pipeline import PersonaPipeline


def _blobs(n_per=100, k=6, d=20, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 8
    X = np.vstack([c + rng.normal(size=(n_per, d)) for c in centres]).astype(np.float32)
    return X, np.repeat(np.arange(k), n_per)


def _pipeline(fit_sample_size: int) -> PersonaPipeline:
    cfg = PipelineConfig().updated({
        "embed": {"cache_dir": ""},  # no on-disk UMAP cache in tests
        "reduce": {"n_neighbors": 10, "fit_sample_size": fit_sample_size},
        "cluster": {"min_cluster_size": 40, "min_samples": 5},
    })
    return PersonaPipeline(cfg, progress=False)


def test_vote_and_mean_use_the_weights():
    labels = np.array([3, 3, -1, 7])
    nbrs = np.array([[0, 1, 2], [2, 3, 3], [0, 3, 2]])
    w = np.array([[0.2, 0.2, 0.6], [0.1, 0.45, 0.45], [0.4, 0.4, 0.2]], dtype=np.float32)
    assert vote(labels, nbrs, w).tolist() == [-1, 7, 3]  # 3 vs 7 tie at 0.4: the smaller label
    coords = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [1.0, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(mean_of(coords, nbrs, w), [[0.4, 2.4], [0.9, 1.3], [0.4, 1.2]], atol=1e-6)


def test_placer_gives_an_exact_duplicate_all_the_weight():
    X, _ = _blobs(n_per=20, k=3)
    placer = NeighbourPlacer(n_neighbors=5).fit(X[:40])
    idx, w = placer.kneighbors(X[[7, 45]])
    assert idx[0, 0] == 7 and w[0, 0] == pytest.approx(1.0) and w[0, 1:].sum() == pytest.approx(0.0)
    assert (w[1] > 0).all() and w[1].sum() == pytest.approx(1.0)
    assert w[1, 0] >= w[1, -1]  # nearer neighbours weigh more


def test_the_vote_spreads_over_the_placed_rows_neighbourhood():
    # rows 0-2 fitted (labels 5, 5, 9); rows 3 and 4 placed; their sampled neighbours say 5,
    # but their nearest rows among all rows are row 2 (9) and each other: the spread makes both 9
    fit_index = np.array([0, 1, 2])
    placed = np.array([False, False, False, True, True])
    sampled = np.array([[0, 1], [1, 0]]), np.full((2, 2), 0.5, dtype=np.float32)
    graph = np.array([[2, 4], [3, 2]]), np.array([[0.6, 0.4], [0.5, 0.5]], dtype=np.float32)
    fitted = np.array([5, 5, 9])
    assert Placement(fit_index, placed, *sampled).labels(fitted).tolist() == [5, 5, 9, 5, 5]
    assert Placement(fit_index, placed, *sampled, graph, 0).labels(fitted).tolist() == [5, 5, 9, 5, 5]
    assert Placement(fit_index, placed, *sampled, graph, 5).labels(fitted).tolist() == [5, 5, 9, 9, 9]


def test_spread_graph_leaves_out_the_row_itself_and_caps_the_reference_rows():
    X, _ = _blobs(n_per=30, k=4)
    fit_index = np.arange(0, 120, 3)
    placed = np.ones(120, dtype=bool)
    placed[fit_index] = False
    placer = NeighbourPlacer(n_neighbors=5).fit(X[fit_index])
    rows, w = spread_graph(X, fit_index, placed, placer, max_rows=1000, seed=0)
    placed_rows = np.flatnonzero(placed)
    assert rows.shape == (80, 5) and not (rows == placed_rows[:, None]).any()
    assert np.isin(rows, placed_rows).any()  # placed rows are neighbours of each other
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-5)
    capped, _ = spread_graph(X, fit_index, placed, placer, max_rows=60, seed=0)
    assert np.unique(capped[np.isin(capped, placed_rows)]).size <= 20  # 40 fitted + at most 20 placed


def test_spread_graph_equals_one_search_over_every_reference_row():
    """The merged search (fitted rows from the placement, then the placed ones) finds what one brute-force
    search over all reference rows finds: the same rows in the same order, the same weights."""
    X = np.random.default_rng(3).normal(size=(400, 12)).astype(np.float32)
    fit_index = np.sort(np.random.default_rng(4).choice(400, 150, replace=False))
    placed = np.ones(400, dtype=bool)
    placed[fit_index] = False
    placer = NeighbourPlacer(n_neighbors=6).fit(X[fit_index])
    placed_rows = np.flatnonzero(placed)
    d = np.linalg.norm(X[placed_rows, None, :] - X[None, :, :], axis=2)
    d[np.arange(placed_rows.size), placed_rows] = np.inf
    want = np.argsort(d, axis=1, kind="stable")[:, :6]
    for fitted in (None, placer.kneighbors_dist(X, placed_rows)):
        rows, w = spread_graph(X, fit_index, placed, placer, max_rows=10_000, seed=0, fitted=fitted)
        assert rows.tolist() == want.tolist()
        inv = 1.0 / np.take_along_axis(d, want, axis=1)
        np.testing.assert_allclose(w, inv / inv.sum(axis=1, keepdims=True), rtol=1e-4)


def test_sample_fit_places_members_in_their_blobs_persona():
    X, y = _blobs()
    pipe = _pipeline(fit_sample_size=240)
    reduced, coords, placement = pipe.reduce(X, seed=0)
    assert placement is not None and placement.fit_index.size == 240
    assert placement.n_placed == 360 and not placement.placed[placement.fit_index].any()
    assert reduced.shape == (600, 5) and coords.shape == (600, 2) and np.isfinite(reduced).all()
    clusterer, labels = pipe._cluster(reduced, X, placement)
    assert clusterer.labels_.shape == (240,)  # HDBSCAN saw the sample only
    fitted = np.zeros(600, dtype=bool)
    fitted[placement.fit_index] = True
    for blob in range(6):
        own = labels[fitted & (y == blob) & (labels >= 0)]
        persona = np.bincount(own).argmax()  # the blob's persona among its fitted members
        placed = labels[placement.placed & (y == blob)]
        assert (placed == persona).mean() >= 0.98, blob
    assert label_scores(y, labels)["nmi"] > 0.95
    # placed members lie on the map next to their blob: nearest blob centre in 2-D is their own
    centres = np.array([coords[fitted & (y == b)].mean(axis=0) for b in range(6)])
    nearest = np.argmin(((coords[placement.placed, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    assert (nearest == y[placement.placed]).mean() >= 0.98


def test_below_the_threshold_nothing_is_placed():
    X, _ = _blobs(n_per=50)
    pipe = _pipeline(fit_sample_size=300)
    reduced, coords, placement = pipe.reduce(X, seed=0)
    assert placement is None and reduced.shape == (300, 5)
    clusterer, labels = pipe._cluster(reduced, X, None)
    assert clusterer.labels_.shape == (300,) and np.array_equal(labels, clusterer.labels_)
    r = UMAPReducer(n_neighbors=10, fit_sample_size=300, random_state=0).fit(X)
    assert r.placement_ is None and r.fit_index_.size == 300


def test_a_sample_that_would_place_under_a_third_is_not_drawn():
    """Up to 1.5 x fit_sample_size rows every row is fitted (ml.reduce.fitted_rows): a generalisation review's 23,781
    texts, 3,781 placed, lost .010 NMI / .034 ARI / .040 ACC for 5-7 s of reduce."""
    from ml.reduce import fitted_rows

    assert [fitted_rows(n, 20000) for n in (12000, 20000, 23781, 30000, 30001, 300000)] == [
        12000, 20000, 23781, 30000, 20000, 20000]
    X, _ = _blobs(n_per=70)  # 420 rows, fit_sample_size 300: 1.4 x
    assert UMAPReducer(n_neighbors=10, fit_sample_size=300, random_state=0).fit(X).placement_ is None
    r = UMAPReducer(n_neighbors=10, fit_sample_size=270, random_state=0).fit(X)  # 420 > 405: sampled
    assert r.n_fit_ == 270 and r.placement_.n_placed == 150


def test_reducer_transform_places_new_rows_near_their_blob():
    X, y = _blobs(n_per=60, k=4)
    r = UMAPReducer(n_neighbors=10, fit_sample_size=100, random_state=0).fit(X)
    assert r.n_fit_ == 100 and r.placement_.n_placed == 140
    new = X[:5] + 0.01
    np.testing.assert_allclose(r.transform(new), r.embedding_[:5], atol=0.5)


@pytest.mark.slow
def test_run_marks_placed_members_in_assignments_and_manifest(tmp_path):
    from ml.runtime.rundir import assignments_frame
    from tests.fixtures.runs import SAMPLE_TWCS

    path = tmp_path / "twcs_slice.csv"
    pd.read_csv(SAMPLE_TWCS, dtype=str).head(600).to_csv(path, index=False)
    cfg = PipelineConfig().updated({"input": {"min_members": 10}, "metrics": {"stability": False},
                                    "reduce": {"fit_sample_size": 100}})
    result = PersonaPipeline(cfg, progress=False).run([path])
    kept = result.manifest.counts.kept
    assert kept > 150
    assert result.manifest.counts.placed == kept - 100 == int(result.members["placed"].sum())
    frame = assignments_frame(result.members)
    assert frame["placed"].dtype == bool and int(frame["placed"].sum()) == kept - 100
    assert (frame["persona_id"] >= 0).all()


def test_map_starts_from_the_layouts_principal_axes():
    from ml.reduce import map_init

    rng = np.random.default_rng(0)
    layout = rng.normal(size=(200, 5)) * np.array([5.0, 2.0, 0.1, 0.1, 0.1]) + 3.0
    init = map_init(layout)
    assert init.shape == (200, 2) and init.dtype == np.float32
    assert np.abs(init).max() == pytest.approx(10.0)
    # the first axis is the layout's widest direction
    assert abs(np.corrcoef(init[:, 0], layout[:, 0])[0, 1]) > 0.95
    r = UMAPReducer(n_neighbors=10, random_state=0).fit(_blobs(n_per=40, k=3)[0])
    assert r.embedding_2d_.shape == (120, 2) and np.isfinite(r.embedding_2d_).all()


def test_neighbours_of_chosen_rows_match_those_of_their_copy(monkeypatch):
    """``kneighbors_dist(X, rows)`` reads the rows a chunk at a time: the same answer as on ``X[rows]``."""
    from ml.cluster import placement

    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 8)).astype(np.float32)
    rows = np.sort(rng.choice(500, 300, replace=False))
    placer = NeighbourPlacer(5).fit(X[:120])
    monkeypatch.setattr(placement, "CHUNK_ROWS", 64)
    idx, dist = placer.kneighbors_dist(X, rows)
    ref_idx, ref_dist = placer.kneighbors_dist(X[rows])
    assert np.array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=0, atol=1e-6)
    assert idx.shape == (300, 5)


def _reference_vote(labels, neighbours, weights):
    """The one-matrix formula the blocked vote replaced."""
    codes, inverse = np.unique(labels, return_inverse=True)
    scores = np.zeros((neighbours.shape[0], codes.size))
    np.add.at(scores, (np.repeat(np.arange(neighbours.shape[0]), neighbours.shape[1]),
                       inverse[neighbours].ravel()), weights.ravel())
    return codes[np.argmax(scores, axis=1)]


def test_placement_in_blocks_equals_the_whole_arrays(monkeypatch):
    """Weights, votes, means and the spread graph are computed BLOCK_ROWS placed rows at a time (1M rows:
    no (rows × k × d) or (rows × labels) arrays): the same result as one block, and as the old formulas."""
    from ml.cluster import placement

    X, y = _blobs(n_per=60, k=5, d=6, seed=4)
    fit_index = np.sort(np.random.default_rng(0).choice(len(X), 90, replace=False))
    labels = y[fit_index] + np.where(np.random.default_rng(1).random(90) < 0.1, -10, 0)  # some "noise" labels

    def run():
        placer = NeighbourPlacer(7).fit(X[fit_index])
        p = placer.place(X, fit_index, spread_rounds=3, spread_rows=150, seed=0)
        layout = np.random.default_rng(2).normal(size=(90, 3)).astype(np.float32)
        return p, p.labels(labels), mean_of(layout, p.neighbours, p.weights)

    whole = run()
    monkeypatch.setattr(placement, "BLOCK_ROWS", 13)
    blocked = run()
    for a, b in ((whole[0].neighbours, blocked[0].neighbours), (whole[0].weights, blocked[0].weights),
                 (whole[0].graph[0], blocked[0].graph[0]), (whole[0].graph[1], blocked[0].graph[1]),
                 (whole[1], blocked[1]), (whole[2], blocked[2])):
        assert np.array_equal(a, b)
    p = blocked[0]
    assert np.array_equal(vote(labels, p.neighbours, p.weights), _reference_vote(labels, p.neighbours, p.weights))
    assert p.neighbours.dtype == np.int32 and p.graph[0].dtype == np.int32
    np.testing.assert_allclose(p.weights.sum(axis=1), 1.0, rtol=0, atol=1e-6)


def test_segment_reuses_a_layout_and_matches_the_steps_it_composes():
    """``PersonaPipeline.segment`` (what the evaluation scripts and the stability check call) is reduce →
    cluster → noise step: given a layout it fits no new one, and its labels are those of the steps run by hand."""
    X, y = _blobs()
    pipe = _pipeline(fit_sample_size=240)
    seg = pipe.segment(X, X)
    assert seg.n_placed == 360 and seg.layout[1] is None  # sampled, and no 2-D map
    assert seg.labels is not None and (seg.labels >= 0).all() and seg.raw_labels.shape == (600,)
    reduced, _, placement = seg.layout
    _, raw = pipe._cluster(reduced, X, placement)
    assert np.array_equal(raw, seg.raw_labels)
    again = pipe.segment(X, X, layout=seg.layout)
    assert again.layout is seg.layout and np.array_equal(again.labels, seg.labels)
    assert label_scores(y, seg.labels)["nmi"] > 0.95
    nothing = PersonaPipeline(pipe.config.updated({"cluster": {"min_cluster_size": 500}}), progress=False)
    empty = nothing.segment(X, X, layout=seg.layout)  # no group of 500 among 240 fitted rows
    assert empty.labels is None and empty.reassigned is None and (empty.raw_labels < 0).all()
