"""Side work in threads: the 2-D map and the stability refits give what they give inline, and umap's kernels
release the GIL so that the threads can run beside the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ml.reduce import UMAPReducer
from ml.runtime.config import PipelineConfig
from ml.runtime.layout import fit_reduce
from ml.runtime.pipeline import PersonaPipeline

REPO = Path(__file__).resolve().parents[1]


def _blobs(n_per=80, k=5, d=16, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 8
    return np.vstack([c + rng.normal(size=(n_per, d)) for c in centres]).astype(np.float32)


def _params(fit_sample_size: int) -> dict:
    return UMAPReducer(n_neighbors=10, fit_sample_size=fit_sample_size, random_state=3).get_params()


def test_map_in_a_thread_equals_the_map_fitted_inline(tmp_path):
    X = _blobs()
    for sample in (10_000, 250):  # every row fitted; a sampled fit with placed rows
        whole = UMAPReducer(**_params(sample)).fit(X)  # the estimator alone fits its map in fit
        reduced, coords, placement = fit_reduce(_params(sample), X, None)
        with ThreadPoolExecutor(1) as side:
            reduced_bg, future, _ = fit_reduce(_params(sample), X, tmp_path, background=side)
            assert isinstance(future, Future)
            coords_bg = future.result()
        np.testing.assert_array_equal(reduced, whole.embedding_)
        np.testing.assert_array_equal(coords, whole.embedding_2d_)
        np.testing.assert_array_equal(reduced_bg, reduced)
        np.testing.assert_array_equal(coords_bg, coords)
        assert (placement is not None) == (sample < len(X))
        again = fit_reduce(_params(sample), X, tmp_path)  # from the disk cache: layout and map
        np.testing.assert_array_equal(again[0], reduced)
        np.testing.assert_array_equal(again[1], coords)


def test_two_layouts_fitted_at_once_in_threads_equal_the_same_fits_one_after_the_other():
    X = _blobs(seed=1)
    params = [{**_params(10_000), "random_state": s, "map_2d": False} for s in (1, 2)]
    alone = [fit_reduce(p, X, None)[0] for p in params]
    with ThreadPoolExecutor(2) as pool:
        together = [f.result()[0] for f in [pool.submit(fit_reduce, p, X, None) for p in params]]
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)


def test_stability_in_the_run_equals_the_refits_inline():
    X = _blobs(n_per=120, seed=2)
    cfg = PipelineConfig().updated({
        "embed": {"cache_dir": ""}, "reduce": {"n_neighbors": 10},
        "cluster": {"min_cluster_size": 40, "min_samples": 5}, "metrics": {"stability_sample": 400},
    })
    pipe = PersonaPipeline(cfg, progress=False)
    sample = pipe._stability_sample(X, X)
    assert sample[0].shape == (400, X.shape[1]) and sample[2] == len(X)
    inline = pipe._stability(*sample)
    with ThreadPoolExecutor(2) as side:
        in_thread = side.submit(pipe._stability, *sample).result()
    assert inline is not None and in_thread == inline
    # the refits' persona counts and the rows they refitted come with the index (the run's metrics)
    assert inline["stability_rows"] == 400 and len(inline["stability_personas"]) == 2
    assert all(isinstance(c, int) and c >= 1 for c in inline["stability_personas"])
    off = PersonaPipeline(cfg.updated({"metrics": {"stability": False}}), progress=False)
    assert off._stability(*off._stability_sample(X, X)) is None


def test_umap_kernels_release_the_gil_and_are_cached_apart(tmp_path):
    code = ("import json, numba; from ml.reduce import import_umap; import_umap(); from umap import layouts, umap_; "
            "f = layouts._nb_optimize_layout_euclidean_single_epoch; p = umap_.smooth_knn_dist; "
            "print(json.dumps([f.targetoptions.get('nogil', False), p.targetoptions.get('parallel', False), "
            "p.targetoptions.get('nogil', False), numba.config.CACHE_DIR]))")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300, check=True)
    serial_nogil, parallel, parallel_nogil, cache_dir = json.loads(out.stdout.strip().splitlines()[-1])
    assert serial_nogil is True
    # a parallel kernel keeps the GIL: numba's workqueue layer aborts when two threads enter one at once
    assert parallel is True and parallel_nogil is False
    assert cache_dir == str(tmp_path)  # numba's setting is restored after the import
    assert (tmp_path / "umap-nogil-serial").is_dir()  # kernels compiled with the GIL are never loaded for them


def test_an_error_after_the_layout_stops_the_masker_and_is_raised(tmp_path, monkeypatch):
    """A stage failing while the side threads and the background masker run: the error reaches the caller,
    the masker's child is gone and its temporary texts deleted."""
    from ml.runtime.mask_prefetch import MaskPrefetch
    from tests.fixtures.data import SAMPLE_DIR

    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))  # nothing masked yet: the masker has work
    monkeypatch.setattr(MaskPrefetch, "min_texts", 1)
    pipe = PersonaPipeline(PipelineConfig().updated({"embed": {"cache_dir": ""}}), progress=False)
    prep = pipe.prepare([str(SAMPLE_DIR / "twcs_sample.csv")])
    started = []
    real_start = MaskPrefetch.start.__func__
    monkeypatch.setattr(MaskPrefetch, "start",
                        classmethod(lambda cls, *a, **k: started.append(real_start(cls, *a, **k)) or started[-1]))

    def fail(*_a, **_k):
        raise RuntimeError("cluster failed")

    monkeypatch.setattr(pipe, "_cluster", fail)
    try:
        pipe.run_prepared(prep, [str(SAMPLE_DIR / "twcs_sample.csv")])
    except RuntimeError as err:
        assert str(err) == "cluster failed"
    else:
        raise AssertionError("the stage's error was not raised")
    assert started and started[0] is not None and pipe.mask_prefetch_ is None
    assert all(proc.poll() is not None for proc in started[0].procs_)
    assert not started[0].folder_.exists()
