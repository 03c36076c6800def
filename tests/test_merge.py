"""Joining clusters that are pieces of one topic (ml.cluster.merge.SilhouetteMerge, PersonaClusterer.merge)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from ml.cluster.density import PersonaClusterer
from ml.cluster.merge import SilhouetteMerge, _mean_silhouette


def _unit(X: np.ndarray) -> np.ndarray:
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _topics_in_pieces(topics=4, pieces=3, per=60, d=32, seed=0):
    """``topics`` directions far apart, each with ``pieces`` sub-groups close together: (embeddings, piece id,
    topic id)."""
    rng = np.random.default_rng(seed)
    rows, piece, topic = [], [], []
    for t in range(topics):
        centre = rng.normal(size=d) * 10
        for p in range(pieces):
            sub = centre + rng.normal(size=d) * 2.0
            rows.append(sub + rng.normal(size=(per, d)) * 0.8)
            piece += [t * pieces + p] * per
            topic += [t] * per
    return _unit(np.vstack(rows)), np.array(piece), np.array(topic)


def test_the_mean_silhouette_of_a_cut_is_scikit_learns():
    rng = np.random.default_rng(1)
    E = _unit(rng.normal(size=(300, 8)))
    labels = rng.integers(0, 6, 300)
    labels[:2] = 6  # a cluster of two
    ids = np.unique(labels)
    own = np.searchsorted(ids, labels)
    D = np.clip(1 - E @ E.T, 0, None)
    np.fill_diagonal(D, 0)
    onehot = np.eye(ids.size)[own]
    groups = np.array([0, 1, 1, 2, 3, 3, 0])
    want = silhouette_score(D, groups[own], metric="precomputed")
    assert _mean_silhouette(D @ onehot, onehot.sum(0), own, groups) == pytest.approx(want, abs=1e-9)


def test_pieces_of_one_topic_are_joined_and_noise_stays():
    E, piece, topic = _topics_in_pieces()
    labels = piece.copy()
    labels[::17] = -1
    m = SilhouetteMerge(floor=0.25).fit(labels, E)
    out = m.transform(labels)
    assert m.joined_ and (m.n_before_, m.n_after_) == (12, 4)
    assert (out[labels < 0] == -1).all()
    for t in range(4):  # each topic is one cluster, and no cluster spans two topics
        assert np.unique(out[(topic == t) & (labels >= 0)]).size == 1
    assert np.unique(out[out >= 0]).size == 4
    assert m.silhouette_after_ > m.silhouette_before_ >= -1
    assert "12 clusters joined into 4" in m.why_


def test_distinct_clusters_are_kept():
    E, piece, _ = _topics_in_pieces(topics=8, pieces=1)
    m = SilhouetteMerge().fit(piece, E)
    assert not m.joined_ and np.array_equal(m.transform(piece), piece)
    assert m.why_.startswith("no join raises the silhouette")


def test_without_substantial_structure_nothing_is_joined():
    """Topics barely apart (silhouette 0.16 even when joined): the best join stays under the floor, so the
    clusters are kept; with the floor lowered the same data is joined (the floor is what decided)."""
    rng = np.random.default_rng(0)
    rows, piece = [], []
    for t in range(4):
        centre = rng.normal(size=32) * 0.5
        for p in range(3):
            rows.append(centre + rng.normal(size=32) * 0.5 + rng.normal(size=(60, 32)))
            piece += [t * 3 + p] * 60
    E, piece = _unit(np.vstack(rows)), np.array(piece)
    kept = SilhouetteMerge(floor=0.25).fit(piece, E)
    assert not kept.joined_ and "below 0.25" in kept.why_ and np.array_equal(kept.transform(piece), piece)
    assert 0 < max(kept.silhouettes_.values()) < 0.25
    joined = SilhouetteMerge(floor=-1.0).fit(piece, E)
    assert joined.joined_ and joined.n_after_ < 12


def test_the_clusterer_joins_unless_the_size_is_given():
    E, piece, _ = _topics_in_pieces(per=40)
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(12, 5)) * 30
    X = centres[piece] + rng.normal(size=(len(piece), 5))  # 12 dense blobs in the "reduced" space
    auto = PersonaClusterer(min_cluster_share=0.05).fit(X, embeddings=E)
    assert auto.merge_ is not None and auto.merge_.joined_ and auto.n_clusters_ == 4
    assert auto.granularity_["merged_from"] == 12 and "joined into 4" in auto.granularity_["why"]
    fixed = PersonaClusterer(min_cluster_size=20).fit(X, embeddings=E)
    assert fixed.merge_ is None and fixed.n_clusters_ == 12
    off = PersonaClusterer(min_cluster_share=0.05, merge="off").fit(X, embeddings=E)
    assert off.merge_ is None and off.n_clusters_ == 12 and "merged_from" not in off.granularity_
    with pytest.raises(ValueError, match="merge must be"):
        PersonaClusterer(merge="ward").fit(X, embeddings=E)
