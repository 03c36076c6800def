"""The label-free granularity choice (ml/cluster/granularity.py, PersonaClusterer with min_cluster_size=None)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from ml.cluster.density import PersonaClusterer
from ml.cluster.granularity import (
    Candidate,
    candidate_sizes,
    coherence,
    labels_from_tree,
    select_min_cluster_size,
)


def uneven_blobs(seed: int = 0, big: int = 1000, small: int = 30, n_small: int = 20, dim: int = 10):
    """One cluster of ``big`` points and ``n_small`` of ``small``, well separated, in ``dim`` dimensions."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_small + 1, dim))
    centers *= 12.0 / np.linalg.norm(centers, axis=1, keepdims=True)  # on a sphere of radius 12
    while True:  # keep every pair of centres at least 6 apart (blobs have sd 0.5 per axis)
        d = np.linalg.norm(centers[:, None] - centers[None], axis=2) + np.eye(n_small + 1) * 99
        if d.min() >= 6.0:
            break
        centers = rng.normal(size=(n_small + 1, dim))
        centers *= 12.0 / np.linalg.norm(centers, axis=1, keepdims=True)
    sizes = [big] + [small] * n_small
    X = np.vstack([c + rng.normal(scale=0.5, size=(s, dim)) for c, s in zip(centers, sizes)])
    y = np.repeat(np.arange(n_small + 1), sizes)
    return X, y


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("granularity", ["share", "silhouette"])
def test_defaults_find_one_big_and_twenty_small_clusters(seed, granularity):
    """The 1,000-point cluster is 62 % of the data, above the 0.5 share cap: the cap must give way."""
    X, y = uneven_blobs(seed)
    c = PersonaClusterer(granularity=granularity).fit(X)
    assert c.n_clusters_ == 21
    core = c.labels_ >= 0
    assert core.mean() > 0.95
    assert adjusted_rand_score(y[core], c.labels_[core]) > 0.99
    assert c.granularity_["rule"] == granularity and c.granularity_["chosen"] == c.min_cluster_size_
    assert c.granularity_["capped"] is False and c.granularity_["why"]
    assert c.min_cluster_size_ <= 30  # a size above 30 would have thrown the small clusters away
    assert len(c.granularity_["candidates"]) >= (5 if granularity == "silhouette" else 1)


def test_the_same_data_scored_in_another_space_still_finds_them():
    """``embeddings`` (here: the points themselves, normalised) is where coherence is measured."""
    X, _ = uneven_blobs(3)
    E = X / np.linalg.norm(X, axis=1, keepdims=True)
    c = PersonaClusterer(granularity="silhouette").fit(X, embeddings=E)
    assert c.n_clusters_ == 21 and c.granularity_["space"] == "embedding"


def test_the_cap_still_prevents_a_collapse_when_it_costs_nothing():
    """Three touching blobs that excess of mass calls one cluster: capped at 0.5 they stay apart."""
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=[400, 400, 400, 30], centers=[[0, 0], [2.2, 0], [1.1, 1.9], [30, 30]],
                      cluster_std=0.9, random_state=0)
    free = PersonaClusterer(min_cluster_size=20, max_cluster_share=1.0).fit(X)
    capped = PersonaClusterer(min_cluster_size=20).fit(X)
    assert np.bincount(free.labels_[free.labels_ >= 0]).max() > 0.5 * len(X)
    assert np.bincount(capped.labels_[capped.labels_ >= 0]).max() <= 0.5 * len(X)
    assert capped.granularity_["capped"] is True


def test_fixed_min_cluster_size_is_used_as_given():
    X, _ = uneven_blobs(0)
    c = PersonaClusterer(min_cluster_size=40).fit(X)  # above the small clusters' size: they are lost
    assert c.min_cluster_size_ == 40 and c.granularity_["rule"] == "fixed"
    assert c.n_clusters_ < 21 and np.bincount(c.labels_[c.labels_ >= 0]).min() >= 40
    with pytest.raises(ValueError, match="granularity"):
        PersonaClusterer(granularity="nope").fit(X)


def test_candidate_sizes_are_a_geometric_grid_up_to_a_share_of_n():
    assert candidate_sizes(12_800) == [5, 7, 10, 14, 20, 28, 40, 57, 80, 113, 160, 226]
    assert candidate_sizes(1000) == [5, 7, 10, 14, 20]
    assert candidate_sizes(100) == [5]  # 2 % of 100 is below the smallest size
    assert candidate_sizes(4) == [3]  # never above n - 1


def test_labels_from_tree_match_a_full_hdbscan_fit():
    """The shortcut that re-condenses one tree equals hdbscan's own fit at that size (pinned 0.8.44)."""
    import hdbscan

    X, _ = uneven_blobs(1, big=300, small=25, n_small=8)
    tree = hdbscan.HDBSCAN(min_cluster_size=5, min_samples=10).fit(X).single_linkage_tree_.to_numpy()
    for size in (5, 14, 40):
        full = hdbscan.HDBSCAN(min_cluster_size=size, min_samples=10).fit(X).labels_
        assert adjusted_rand_score(full, labels_from_tree(tree, size)) == 1.0


def test_coherence_is_the_silhouette_and_none_below_two_clusters():
    from sklearn.metrics import pairwise_distances, silhouette_score

    X, y = uneven_blobs(0, big=60, small=20, n_small=3)
    D = pairwise_distances(X)
    assert coherence(D, y).mean() == pytest.approx(silhouette_score(X, y))
    assert coherence(D, np.zeros(len(y), dtype=int)) is None


def test_select_prefers_the_larger_size_within_one_standard_error():
    rng = np.random.default_rng(0)
    base = rng.normal(0.3, 0.2, size=400)
    wobble = np.where(np.arange(400) % 2 == 0, 0.05, -0.05)  # paired difference: sd 0.05, SE 0.0025
    values = [base, base + 0.01, base + 0.008 + wobble, base - 0.1, None]
    cands = [Candidate(5, True, 60, 0.1, float(values[0].mean())), Candidate(10, True, 50, 0.1, float(values[1].mean())),
             Candidate(20, True, 40, 0.1, float(values[2].mean())), Candidate(40, True, 20, 0.1, float(values[3].mean())),
             Candidate(80, True, 1, 0.1, None)]
    best, out, why = select_min_cluster_size(cands, values, n_se=1.0)
    assert best.min_cluster_size == 20 and "min_cluster_size 20" in why  # 0.002 below, SE 0.0025: a tie
    assert out[1].se == 0.0 and out[3].se is not None and out[4].se is None
    best, _, _ = select_min_cluster_size(cands, values, n_se=0.0)
    assert best.min_cluster_size == 10
    best, _, why = select_min_cluster_size([Candidate(5, True, 1, 0.2, None), Candidate(10, True, 0, 1.0, None)],
                                           [None, None])
    assert best.min_cluster_size == 5 and "no candidate" in why


def test_refit_forgets_the_first_fit():
    X, _ = uneven_blobs(0)
    small, _ = uneven_blobs(1, big=200, small=20, n_small=4)
    c = PersonaClusterer(granularity="silhouette")
    c.fit(small)
    first = c.granularity_["candidates"]
    c.fit(X)
    assert c.n_clusters_ == 21 and c.granularity_["candidates"] != first


def islands(seed: int = 0, big: int = 300, n_big: int = 4, small: int = 25, n_small: int = 6, dim: int = 5):
    """``n_big`` broad clusters and ``n_small`` tight small ones, all well apart."""
    rng = np.random.default_rng(seed)
    centers = np.eye(n_big + n_small, dim * 4)[:, :dim * 4] * 20.0
    sizes, scales = [big] * n_big + [small] * n_small, [1.0] * n_big + [0.2] * n_small
    X = np.vstack([c + rng.normal(scale=s, size=(k, c.size)) for c, k, s in zip(centers, sizes, scales)])
    return X, np.repeat(np.arange(n_big + n_small), sizes)


@pytest.mark.parametrize("seed", [0, 1])
def test_small_dense_clusters_left_in_the_noise_are_taken_back(seed):
    """The share rule (3 % of 1,350 = 40) is above the islands' size (25): without the rescue they
    are noise (and the noise step would spread them over the big clusters); with it they are found,
    and the big clusters are not cut into pieces."""
    from ml.cluster.granularity import rescue_from_noise

    X, y = islands(seed)
    before = PersonaClusterer(min_cluster_share=0.03, rescue_ratio=0.0).fit(X)
    after = PersonaClusterer(min_cluster_share=0.03).fit(X)
    assert before.n_clusters_ == 4 and (before.labels_[y >= 4] < 0).all()
    assert after.n_clusters_ == 10 and after.min_cluster_size_ == 40
    core = after.labels_ >= 0
    assert core.mean() > 0.95 and adjusted_rand_score(y[core], after.labels_[core]) > 0.99
    assert "6 smaller clusters (min_cluster_size 20) taken from the noise" in after.granularity_["why"]
    tree = before.hdbscan_.single_linkage_tree_.to_numpy()
    same, added, _ = rescue_from_noise(tree, before.hdbscan_.labels_, 40, ratio=0.0)
    assert added == 0 and (same == before.hdbscan_.labels_).all()


def test_no_rescue_where_the_size_cap_was_needed_or_the_size_was_given():
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=[400, 400, 400, 30], centers=[[0, 0], [2.2, 0], [1.1, 1.9], [30, 30]],
                      cluster_std=0.9, random_state=0)
    c = PersonaClusterer(min_cluster_share=0.02).fit(X)
    assert c.granularity_["capped"] is True and "one loose mass that the size cap cut into slices" in c.granularity_["why"]
    assert (c.labels_ == PersonaClusterer(min_cluster_share=0.02, rescue_ratio=0.0).fit(X).labels_).all()
    X, _ = islands(0)
    fixed = PersonaClusterer(min_cluster_size=40).fit(X)
    assert fixed.n_clusters_ == 4 and "taken from the noise" not in fixed.granularity_["why"]


def _nested_collapse():
    """Three blobs close together (a slice of 49 % under the 0.5 cap) beside two more and a far one."""
    from sklearn.datasets import make_blobs

    s = 0.3
    X, _ = make_blobs(n_samples=[280, 280, 280, 450, 450, 30],
                      centers=[[0, 0], [2.2 * s, 0], [1.1 * s, 1.9 * s], [2.6, 0], [1.3, 2.2], [30, 30]],
                      cluster_std=[0.9 * s] * 3 + [0.9] * 3, random_state=0)
    return X


def test_a_slice_of_the_collapse_near_the_cap_is_cut_again_at_half_the_cap():
    """Five touching blobs collapse into one cluster; capped at half the members, three of them (869 of 1,770)
    come back as one slice. That slice is tested again at a quarter and split; a cap that was not needed
    is never halved."""
    X = _nested_collapse()
    c = PersonaClusterer(min_cluster_size=20).fit(X)
    assert c.granularity_["capped"] is True and c.granularity_["cap"] == len(X) // 4
    assert "size cap halved to 442 members" in c.granularity_["why"]
    assert [cand["cap"] for cand in c.granularity_["candidates"]] == [len(X) // 4]
    assert np.bincount(c.labels_[c.labels_ >= 0]).max() <= len(X) // 4
    assert c.max_cluster_size_ == len(X) // 4
    X, _ = islands(0)  # no cluster above half the members: no cap, nothing halved
    free = PersonaClusterer(min_cluster_size=40).fit(X)
    assert free.granularity_["capped"] is False and free.granularity_.get("cap") is None


def test_halving_stops_where_the_cut_would_scatter_the_slice():
    """The cut at a quarter keeps 37 % of the slice in clusters: under a split share of 0.5 the first cap
    stays (71 % of the collapse went to smaller clusters) and the slice is kept whole."""
    X = _nested_collapse()
    c = PersonaClusterer(min_cluster_size=20, cap_min_split_share=0.5).fit(X)
    assert c.granularity_["capped"] is True and c.granularity_["cap"] == len(X) // 2
    assert "halved" not in c.granularity_["why"]
    assert np.bincount(c.labels_[c.labels_ >= 0]).max() > len(X) // 4


def test_a_cap_that_finds_nothing_on_refit_is_recorded_as_not_used():
    """The refit under the chosen cap is expected to match the tree's reading; if it found only noise, the
    uncapped fit is used and the manifest must not claim a cap."""

    class NoiseUnderACap(PersonaClusterer):
        def _hdbscan(self, X, min_cluster_size, max_size):
            fitted = super()._hdbscan(X, min_cluster_size, max_size)
            if max_size:
                fitted.labels_ = np.full(len(X), -1)
            return fitted

    c = NoiseUnderACap(min_cluster_size=20).fit(_nested_collapse())
    assert c.max_cluster_size_ == 0 and c.granularity_["capped"] is False and c.granularity_["cap"] is None
    assert c.n_clusters_ >= 1


def test_umap_neighbours_follow_the_smallest_persona_the_clustering_keeps():
    """30 neighbours joined Banking77's intents at 20 texts each (40 personas for 77); a neighbourhood no wider than
    the smallest persona kept (within 15-30) found 61 (docs/ablations.md)."""
    from ml.runtime.config import PipelineConfig
    from ml.runtime.layout import layout_neighbors
    from ml.runtime.stages import build_stages

    clusterer = build_stages(PipelineConfig()).clusterer
    assert [clusterer.expected_min_cluster_size(n) for n in (800, 3000, 6000, 10000, 50000)] == [10, 15, 30, 50, 80]
    assert [layout_neighbors(None, clusterer, n) for n in (800, 3000, 4400, 6000, 10000)] == [15, 15, 22, 30, 30]
    assert layout_neighbors(25, clusterer, 800) == 25  # as configured
    fixed = build_stages(PipelineConfig.model_validate({"cluster": {"min_cluster_size": 12}})).clusterer
    assert fixed.expected_min_cluster_size(50000) == 12 and layout_neighbors(None, fixed, 50000) == 15


def test_a_small_dump_keeps_small_personas_apart():
    """Under 200 members the persona floor is a twentieth of them (at least 5), and under 150 UMAP's neighbourhood
    is a tenth of them: 15 neighbours and a floor of 10 merged 100 texts of 10 stories into 7-8 personas
    (docs/ablations.md, "Small dumps"). From 200 members on, nothing changes."""
    from ml.cluster.density import PersonaClusterer, small_dump_floor
    from ml.runtime.config import PipelineConfig
    from ml.runtime.layout import layout_neighbors
    from ml.runtime.stages import build_stages

    clusterer = build_stages(PipelineConfig()).clusterer
    sizes = (40, 60, 100, 150, 190, 200, 1000)
    assert [small_dump_floor(n) for n in sizes] == [5, 5, 5, 8, 10, 10, 10]
    assert [clusterer.expected_min_cluster_size(n) for n in sizes] == [5, 5, 5, 8, 10, 10, 10]
    assert [layout_neighbors(None, clusterer, n) for n in sizes] == [5, 6, 10, 15, 15, 15, 15]
    assert layout_neighbors(None, build_stages(PipelineConfig.model_validate(
        {"cluster": {"min_cluster_size": 20}})).clusterer, 100) == 20  # a size set by the user is kept
    rng = np.random.default_rng(0)  # 12 tight groups of 8 in 96 points: a floor of 10 could not keep them
    X = np.concatenate([rng.normal(scale=0.05, size=(8, 5)) + 3 * rng.normal(size=5) for _ in range(12)])
    fitted = PersonaClusterer().fit(X)
    assert fitted.min_cluster_size_ == 5 and "floor 5" in fitted.granularity_["why"]
    assert fitted.n_clusters_ == 12
    # the noise rescue reads the tree at half the size, never under 5 members: at a floor of 5 it adds nothing
    assert fitted.granularity_["rescue_size"] == 5 and "none are looked for under 5 members" in fitted.granularity_["why"]
    # the rule before: a floor of 10 (cluster.min_cluster_floor) and 15 neighbours (reduce.n_neighbors)
    former = build_stages(PipelineConfig.model_validate({"cluster": {"min_cluster_floor": 10}})).clusterer
    assert former.expected_min_cluster_size(100) == 10 and layout_neighbors(15, former, 100) == 15
    refit = PersonaClusterer(min_cluster_floor=10).fit(X)
    assert refit.min_cluster_size_ == 10 and refit.granularity_["floor"] == 10 and "floor 10" in refit.granularity_["why"]


def test_the_pipeline_fits_its_layouts_with_those_neighbours(monkeypatch):
    """The rule reaches the layout: a run of 800 members is laid out from 15 neighbours; its stability refits on a
    sample of a 10,000-member run from that run's 30, on a sample of a 50,000-member run (fitted on a sample) from
    that fit's ``sample_n_neighbors`` 15, not the rule's 30; a configured number as given (a diff review: only the
    rule itself was tested)."""
    import ml.runtime.pipeline as pipeline_mod
    from ml.runtime.config import PipelineConfig

    fitted = []
    monkeypatch.setattr(pipeline_mod, "fit_reduce", lambda params, fused, root, background: fitted.append(params))
    X = np.zeros((800, 8), dtype=np.float32)
    pipe = pipeline_mod.PersonaPipeline(PipelineConfig.model_validate({"embed": {"cache_dir": ""}}))
    pipe.reduce(X, seed=0, map_2d=False)
    pipe.reduce(X, seed=0, map_2d=False, n_total=10000)
    pipe.reduce(X, seed=0, map_2d=False, n_total=50000)
    assert pipe._neighbors(50000) == 15 and pipe._neighbors(20000) == 30
    assert pipe._neighbors(30000) == 30 and pipe._neighbors(30001) == 15  # all fitted up to 1.5 x fit_sample_size
    given = pipeline_mod.PersonaPipeline(PipelineConfig.model_validate({"embed": {"cache_dir": ""},
                                                                        "reduce": {"n_neighbors": 22}}))
    given.reduce(X, seed=0, map_2d=False)
    assert [p["n_neighbors"] for p in fitted] == [15, 30, 15, 22]
