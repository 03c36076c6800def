"""Joining clusters that are pieces of one topic (ml.cluster.join.SilhouetteJoin, PersonaClusterer.join)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from ml.cluster.density import PersonaClusterer
from ml.cluster.join import SilhouetteJoin, centroid_tree, scores_along


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


def test_every_scored_cut_is_scikit_learns_silhouette_of_that_cut():
    """The incremental scores along the linkage equal scikit-learn's silhouette of the labels after the same
    merges, for every cut; ids need not be contiguous; a cut with one non-empty group is not scored."""
    rng = np.random.default_rng(1)
    E = _unit(rng.normal(size=(300, 8)))
    labels = rng.integers(0, 6, 300) * 3 + 7  # ids 7, 10, …, 22
    labels[:2] = 40  # a cluster of two
    ids, tree = centroid_tree(labels, E)
    own = np.searchsorted(ids, labels)
    D = np.clip(1 - E @ E.T, 0, None)
    np.fill_diagonal(D, 0)
    onehot = np.eye(ids.size)[own]
    scores, merges = scores_along(tree, D @ onehot, onehot.sum(0), own)
    assert sorted(scores) == list(range(2, ids.size + 1))
    for k, value in scores.items():
        into = np.arange(ids.size)
        for keep, gone in merges[: ids.size - k]:
            into[into == gone] = keep
        assert np.unique(into).size == k
        assert value == pytest.approx(silhouette_score(D, into[own], metric="precomputed"), abs=1e-9), k
    # only members of cluster 0 sampled: no cut holds two non-empty groups, none is scored
    alone = own == 0
    assert scores_along(tree, (D @ onehot)[alone], onehot[alone].sum(0), own[alone])[0] == {}


def test_a_cluster_without_sampled_members_is_joined_by_its_centroid():
    """With a sample smaller than the data, a small cluster may have no sampled member: the cuts are still
    scored (its column is empty), the join is decided, and every id gets a mapping."""
    E, piece, topic = _topics_in_pieces(per=60)
    labels = piece.copy()
    labels[:3] = 99  # three members of topic 0 as a tiny cluster of their own
    m = SilhouetteJoin(sample=100, random_state=0).fit(labels, E)
    assert set(m.mapping_) == set(np.unique(labels).tolist())
    assert m.joined_ and all(np.isfinite(list(m.silhouettes_.values())))
    out = m.transform(labels)
    assert np.unique(out[topic == 1]).size == 1


def test_pieces_of_one_topic_are_joined_and_noise_stays():
    E, piece, topic = _topics_in_pieces()
    labels = piece.copy()
    labels[::17] = -1
    m = SilhouetteJoin(floor=0.25).fit(labels, E)
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
    m = SilhouetteJoin().fit(piece, E)
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
    kept = SilhouetteJoin(floor=0.25).fit(piece, E)
    assert not kept.joined_ and "below 0.25" in kept.why_ and np.array_equal(kept.transform(piece), piece)
    assert 0 < max(kept.silhouettes_.values()) < 0.25
    joined = SilhouetteJoin(floor=-1.0).fit(piece, E)
    assert joined.joined_ and joined.n_after_ < 12


def test_the_clusterer_joins_unless_the_size_is_given():
    E, piece, _ = _topics_in_pieces(per=40)
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(12, 5)) * 30
    X = centres[piece] + rng.normal(size=(len(piece), 5))  # 12 dense blobs in the "reduced" space
    auto = PersonaClusterer(min_cluster_share=0.05).fit(X, embeddings=E)
    assert auto.granularity_["joined_into"] == 4
    assert auto.join_ is not None and auto.join_.joined_ and auto.n_clusters_ == 4
    assert auto.granularity_["joined_from"] == 12 and "joined into 4" in auto.granularity_["why"]
    fixed = PersonaClusterer(min_cluster_size=20).fit(X, embeddings=E)
    assert fixed.join_ is None and fixed.n_clusters_ == 12
    off = PersonaClusterer(min_cluster_share=0.05, join="off").fit(X, embeddings=E)
    assert off.join_ is None and off.n_clusters_ == 12 and "joined_from" not in off.granularity_
    with pytest.raises(ValueError, match="join must be"):
        PersonaClusterer(join="ward").fit(X)
    # the size cap was needed (one blob over half the members, split by the cap): its slices stay apart
    blob = np.vstack([rng.normal(size=(400, 5)), centres[1] + rng.normal(size=(60, 5))])
    capped = PersonaClusterer(min_cluster_share=0.02, max_cluster_share=0.3, cap_min_split_share=0.0).fit(
        blob, embeddings=_unit(np.vstack([np.tile(E[:1], (400, 1)), np.tile(E[-1:], (60, 1))])))
    assert capped.max_cluster_size_ > 0 and capped.join_ is None
    assert "the size cap's slices of one loose mass were not joined" in capped.granularity_["why"]


def _small_topic_inside():
    """Reduced space: topics A (200 points) and C (200) far apart, and a small dense topic B (24) beside A, which
    HDBSCAN at min_cluster_size 40 keeps inside A's cluster; text embeddings: one direction per topic."""
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal([0, 0], 1.0, (200, 2)), rng.normal([5.0, 0], 0.25, (24, 2)),
                   rng.normal([30, 0], 1.0, (200, 2))])
    topic = np.repeat([0, 1, 2], [200, 24, 200])
    dirs = rng.normal(size=(3, 32)) * 3
    E = _unit(dirs[topic] + rng.normal(size=(topic.size, 32)))
    return X, E, topic


def test_promote_makes_a_separated_small_topic_inside_a_persona_a_persona():
    """promote_separated: B, inside A's persona at the persona size, is one persona of its own after it; A and C
    stay whole; and nothing moves when the personas' silhouette is under the floor (the gate)."""
    import hdbscan

    from ml.cluster.join import promote_separated

    X, E, topic = _small_topic_inside()
    model = hdbscan.HDBSCAN(min_cluster_size=40, min_samples=5).fit(X)
    labels = model.labels_.astype(np.int64)
    assert np.unique(labels[topic == 1][labels[topic == 1] >= 0]).size == 1  # B sits inside A's persona
    assert labels[topic == 1][0] == labels[topic == 0][np.argmax(labels[topic == 0] >= 0)]
    tree = model.single_linkage_tree_.to_numpy()
    out, added, size, score = promote_separated(tree, labels, E, 40, 0.25)
    assert added >= 1 and size == 10 and score >= 0.25
    b = out[topic == 1]
    assert (b == np.bincount(b[b >= 0]).argmax()).mean() > 0.8
    assert not np.isin(b[b >= 0], out[topic != 1]).any()  # B's persona holds B only
    same, n, _, low = promote_separated(tree, labels, E, 40, 0.25, floor=0.99)  # a floor it cannot reach
    assert n == 0 and (same == labels).all() and low < 0.99


def test_the_clusterer_promotes_only_when_asked():
    """cluster.promote_ratio reaches PersonaClusterer: off by default (the manifest's granularity has no promotion),
    on at 0.25 the small topic inside a persona is a persona, recorded with the size it was read at; a given
    min_cluster_size is used as given (no promotion)."""
    from ml.cluster.density import PersonaClusterer

    X, E, _ = _small_topic_inside()
    off = PersonaClusterer(min_cluster_share=0.095).fit(X, embeddings=E)
    on = PersonaClusterer(min_cluster_share=0.095, promote_ratio=0.25).fit(X, embeddings=E)
    given = PersonaClusterer(min_cluster_size=40, promote_ratio=0.25).fit(X, embeddings=E)
    assert off.granularity_["chosen"] == on.granularity_["chosen"] == 40 and "promoted" not in off.granularity_
    assert on.granularity_["promoted"] == 1 and on.granularity_["promote_size"] == 10
    assert np.unique(on.labels_[on.labels_ >= 0]).size == np.unique(off.labels_[off.labels_ >= 0]).size + 1
    assert "1 dense group inside personas (min_cluster_size 10) made persona" in on.granularity_["why"]
    assert "promoted" not in given.granularity_
