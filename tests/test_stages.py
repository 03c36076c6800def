"""Contract shared by the pipeline's estimator-style stages (as sklearn's test_common does)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from ml.cluster.density import PersonaClusterer, auto_min_cluster_size, merge_close_clusters, relabel_by_size
from ml.cluster.reassign import NoiseReassigner
from ml.features.fusion import FeatureFusion
from ml.metrics import hungarian_accuracy, label_scores
from ml.reduce import UMAPReducer


def _blobs(n_per=60, k=4, d=8, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 6
    X = np.vstack([c + rng.normal(size=(n_per, d)) for c in centres])
    y = np.repeat(np.arange(k), n_per)
    return X, y


def _unit(X):
    return X / np.linalg.norm(X, axis=1, keepdims=True)


STAGES = {
    "fusion": (FeatureFusion(0.75), lambda s, X, F: s.fit(_unit(X), F), lambda s, X, F: s.transform(_unit(X), F)),
    "reassigner": (
        NoiseReassigner(),
        lambda s, X, F: s.fit(X, np.r_[np.repeat(np.arange(4), 60)[:-5], [-1] * 5]),
        lambda s, X, F: s.predict(X)[0],
    ),
}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_contract(name):
    stage, fit, use = STAGES[name]
    X, _ = _blobs()
    F = np.random.default_rng(1).normal(size=(X.shape[0], 5))
    fresh = clone(stage)
    assert fresh.get_params() == stage.get_params()
    with pytest.raises(NotFittedError):
        use(fresh, X, F)
    assert fit(fresh, X, F) is fresh  # fit returns self
    first = np.asarray(use(fresh, X, F))
    fit(fresh, X, F)  # refit forgets and reproduces
    np.testing.assert_allclose(np.asarray(use(fresh, X, F)), first)


def test_fusion_weight_is_share_of_squared_distance():
    rng = np.random.default_rng(0)
    E = _unit(rng.normal(size=(400, 384)))
    F = rng.normal(size=(400, 36)) * rng.uniform(0.1, 50, size=36)
    F[:, 3] = np.nan  # a feature with no information at all
    F[::3, 5] = np.nan  # partly missing
    for w in (0.25, 0.5, 0.75):
        fusion = FeatureFusion(w).fit(E, F)
        Z = fusion.transform(E, F).astype(np.float64)
        text_part, beh_part = Z[:, :384], Z[:, 384:]
        e_t = 2 * text_part.var(axis=0).sum()
        e_b = 2 * beh_part.var(axis=0).sum()
        assert e_t / (e_t + e_b) == pytest.approx(w, rel=1e-4)
        assert np.all(beh_part[:, 3] == 0)  # all-missing column adds no distance


def test_fusion_without_behavioural_variance_keeps_text_only():
    rng = np.random.default_rng(0)
    E = _unit(rng.normal(size=(100, 384)))
    F = np.full((100, 36), np.nan)
    fusion = FeatureFusion(0.75).fit(E, F)
    Z = fusion.transform(E, F)
    assert fusion.text_share_ == 1.0
    assert np.all(Z[:, 384:] == 0)


def test_fusion_rejects_bad_weight():
    with pytest.raises(ValueError, match="text_weight"):
        FeatureFusion(1.5).fit(np.ones((3, 2)), None)


def test_reassigner_flags_noise_and_keeps_core_labels():
    X, y = _blobs()
    labels = y.copy()
    labels[::7] = -1
    r = NoiseReassigner(metric="euclidean").fit(X, labels)
    new, flag, dist = r.reassign(X, labels)
    assert (new >= 0).all()
    assert flag.sum() == (labels < 0).sum()
    np.testing.assert_array_equal(new[~flag], labels[~flag])
    assert (new[flag] == y[flag]).mean() > 0.95  # noise joins its true blob
    assert (dist >= 0).all()
    pid, d, noise = r.predict(X[:10] + 100.0)
    assert noise.all()  # far away → would have been noise


def test_clusterer_finds_blobs_and_merges():
    X, y = _blobs(n_per=80)
    c = PersonaClusterer(min_cluster_size=20, min_samples=5).fit(X)
    assert c.n_clusters_ == 4
    assert label_scores(y, c.labels_)["ari"] > 0.9
    # merging with a huge threshold joins everything into one persona
    merged = merge_close_clusters(c.labels_, X, threshold=2.0)
    assert np.unique(merged[merged >= 0]).size == 1


def test_relabel_by_size_orders_personas():
    labels = np.array([5, 5, 2, 2, 2, -1, 9])
    assert relabel_by_size(labels).tolist() == [1, 1, 0, 0, 0, -1, 2]


def test_auto_min_cluster_size_scales_with_n():
    assert auto_min_cluster_size(100) == 5  # a small dump's floor (docs/ablations.md, "Small dumps")
    assert auto_min_cluster_size(200) == auto_min_cluster_size(1000) == 10
    assert auto_min_cluster_size(100, floor=10) == 10
    assert auto_min_cluster_size(13083) == 65
    assert auto_min_cluster_size(13083, share=0.003) == 39
    assert auto_min_cluster_size(10**7) == 500


def test_share_rule_stops_at_the_largest_size():
    """``largest_min_cluster_size`` bounds the share rule's size and the manifest's reason says so; below it
    the share alone decides, as before."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.3, size=(150, 2)) for c in ((0, 0), (8, 0), (0, 8), (8, 8), (16, 0), (16, 8))])
    bounded = PersonaClusterer(largest_min_cluster_size=20, min_cluster_share=0.02).fit(X)  # share: 18 of 900
    assert bounded.min_cluster_size_ == 18 and "at most" not in bounded.granularity_["why"]
    assert bounded.granularity_["bounded"] is False
    bounded = PersonaClusterer(largest_min_cluster_size=12, min_cluster_share=0.02).fit(X)
    assert bounded.min_cluster_size_ == 12 and "(floor 10, at most 12)" in bounded.granularity_["why"]
    assert bounded.n_clusters_ == 6 and bounded.granularity_["bounded"] is True


def test_hungarian_accuracy_is_one_to_one():
    assert hungarian_accuracy([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0
    # two clusters for one class: only one can be matched
    assert hungarian_accuracy([0, 0, 0, 0], [0, 0, 1, 1]) == 0.5


def test_umap_reducer_is_reproducible_and_maps_2d():
    X, y = _blobs(n_per=50, d=20)
    a = UMAPReducer(n_components=5, n_neighbors=10, random_state=3).fit(X)
    b = UMAPReducer(n_components=5, n_neighbors=10, random_state=3).fit(X)
    assert a.embedding_.shape == (200, 5)
    assert a.embedding_2d_.shape == (200, 2)
    np.testing.assert_allclose(a.embedding_, b.embedding_, rtol=1e-5, atol=1e-5)


def test_umap_reducer_fits_on_sample_and_places_the_rest():
    X, y = _blobs(n_per=75, d=20)
    r = UMAPReducer(n_components=4, n_neighbors=10, random_state=0, fit_sample_size=150).fit(X)
    assert r.n_fit_ == 150
    assert r.embedding_.shape == (300, 4)
    assert np.isfinite(r.embedding_).all()
    c = PersonaClusterer(min_cluster_size=15, min_samples=5).fit(r.embedding_)
    assert label_scores(y, c.labels_)["nmi"] > 0.8


def test_clusterer_caps_a_collapsing_persona():
    """Excess of mass may call almost everything one cluster; the share cap forces the split."""
    rng = np.random.default_rng(0)
    # one loose super-group of 6 tight sub-groups (90%), plus a small far group (10%)
    centres = rng.normal(size=(6, 5)) * 0.9
    X = np.vstack([c + rng.normal(scale=0.3, size=(90, 5)) for c in centres] + [rng.normal(size=(60, 5)) + 40])
    uncapped = PersonaClusterer(min_cluster_size=20, min_samples=5, max_cluster_share=1.0).fit(X)
    assert np.bincount(uncapped.labels_[uncapped.labels_ >= 0]).max() == 540  # the collapse
    capped = PersonaClusterer(min_cluster_size=20, min_samples=5, max_cluster_share=0.5).fit(X)
    sizes = np.bincount(capped.labels_[capped.labels_ >= 0])
    assert sizes.max() <= 0.5 * len(X)
    assert capped.n_clusters_ >= 3


def test_purity_reads_each_persona_as_its_commonest_label_and_majority_is_the_floor():
    """25 personas on 3 sentiment labels: ACC matches one persona per label (here 3 of 6 personas count); purity
    reads every persona as its commonest label, against the share one guess for everyone would get."""
    y = ["neg"] * 6 + ["neg"] * 4 + ["pos"] * 5 + ["neu"] * 5 + ["neg"] * 5 + ["neg"] * 5
    pred = [0] * 6 + [1] * 4 + [2] * 5 + [3] * 5 + [4] * 5 + [5] * 5
    s = label_scores(y, pred)
    assert s["purity"] == 1.0 and s["majority"] == round(20 / 30, 4)
    assert s["acc"] == round((6 + 5 + 5) / 30, 4) < s["purity"]
    mixed = label_scores(["a", "b", "a", "b"], [0, 0, 0, 0])
    assert mixed["purity"] == 0.5 == mixed["majority"]
