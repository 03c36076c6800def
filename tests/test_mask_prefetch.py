"""The background masker (ml.runtime.mask_prefetch): fills the mask cache, changes no written text, stops cleanly."""

from __future__ import annotations

import tempfile
import time

import pandas as pd
import psutil
import pytest

from ml.profile.mask_cache import MaskCache
from ml.profile.masking import cache_masks, keep_handles_for, mask_texts, uncached_texts
from ml.profile.pii import PiiMasker, rules_version
from ml.runtime import mask_prefetch
from ml.runtime import pipeline as pipeline_module
from ml.runtime.config import PipelineConfig
from ml.runtime.mask_prefetch import MaskPrefetch, mask_ahead
from ml.runtime.pipeline import PersonaPipeline
from ml.runtime.rundir import write_run
from tests.fixtures.data import SAMPLE_DIR


def _texts(n: int) -> list[str]:
    frame = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv")
    return frame["text"].astype(str).drop_duplicates().head(n).tolist()


def _cached(texts, keep) -> list:
    import hashlib

    brands = hashlib.sha1(" ".join(sorted(h.lower() for h in keep)).encode()).hexdigest()[:8]
    return MaskCache(None, f"{rules_version()}-{brands}").get(texts)


def _wait(proc, seconds: float = 120) -> int:
    deadline = time.monotonic() + seconds
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    return proc.poll()


def test_few_texts_start_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    assert MaskPrefetch.start(_texts(50), ()) is None  # below min_texts: the child would cost more than it saves
    assert not list(tmp_path.iterdir())


def test_the_child_fills_the_cache_with_what_the_masker_gives(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    texts = _texts(300)
    keep = keep_handles_for(texts)
    assert keep, "the TWCS sample addresses brand accounts"
    assert all(v is None for v in _cached(texts, keep))
    # at the run's own priority: at nice 19 the child may wait minutes when the machine is busy
    prefetch = MaskPrefetch.start(texts, keep, min_texts=1, nice=0)
    assert prefetch is not None and prefetch.n_texts_ == 300
    assert _wait(prefetch.proc_, 600) == 0
    assert prefetch.proc_.args[-3:] == [str(prefetch.folder_), "0", "1"]  # one child, every chunk
    prefetch.stop()
    assert not prefetch.folder_.exists()  # the raw texts do not outlive the prefetch
    cached = _cached(texts, keep)
    assert all(v is not None for v in cached)
    # what the writer then reads equals masking without any cache (names, numbers, handles)
    fresh = PiiMasker(cache_dir="").mask_many(texts, keep)
    assert mask_texts(texts, keep) == fresh
    assert any("[name]" in t or "[@user]" in t for t in fresh)


def test_cache_masks_fills_the_cache_and_skips_what_it_holds(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    texts = _texts(40)
    keep = keep_handles_for(texts)
    assert cache_masks(texts[:25], keep) == 25
    assert uncached_texts(texts, keep) == texts[25:]
    calls = []
    monkeypatch.setattr(PiiMasker, "_mask_names", lambda self, t, brands=frozenset(): calls.append(len(t)) or t)
    assert cache_masks(texts[:25], keep) == 0 and calls == []  # all cached: a lookup, no masking
    monkeypatch.undo()
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    assert cache_masks(texts + texts[:5], keep) == 15  # distinct texts the cache lacked
    assert mask_texts(texts, keep) == PiiMasker(cache_dir="").mask_many(texts, keep)


def _no_names_here(self, texts, brands=frozenset()):
    raise AssertionError("the name model ran in the run's own process")


def test_mask_ahead_masks_every_chunk_in_children_and_the_run_only_reads(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # where the job's raw texts are written
    monkeypatch.setattr(mask_prefetch, "CHUNK", 40)  # 8 chunks: each of the two children masks every other one
    texts = _texts(300)
    keep = keep_handles_for(texts)
    fresh = PiiMasker(cache_dir="").mask_many(texts, keep)
    assert mask_ahead(texts, keep, workers=2, min_texts=1) is True
    assert all(v is not None for v in _cached(texts, keep))
    assert not list((tmp_path / "tmp").iterdir())  # the raw texts do not outlive the job
    monkeypatch.setattr(PiiMasker, "_mask_names", _no_names_here)
    assert mask_texts(texts, keep) == fresh


def test_uncached_texts_are_the_distinct_texts_without_a_cached_mask(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    texts = _texts(60)
    keep = keep_handles_for(texts)
    assert uncached_texts(texts + texts[:5], keep) == texts  # each once, in order
    mask_texts(texts[:20], keep)
    assert uncached_texts(texts, keep) == texts[20:]
    assert uncached_texts(texts, ()) == texts  # another brand list is another cache
    mask_texts(texts, keep)
    assert uncached_texts(texts, keep) == []


def test_mask_ahead_leaves_few_texts_to_the_run(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    texts = _texts(50)
    assert mask_ahead(texts, (), workers=2) is False  # below MASK_AHEAD_FROM: loading spaCy twice costs more
    assert all(v is None for v in _cached(texts, ()))


def test_stop_ends_a_running_child_and_leaves_no_process(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    texts = _texts(2000) * 3  # long enough to be still running
    prefetch = MaskPrefetch.start([f"{t} ({i})" for i, t in enumerate(texts)], (), min_texts=1)
    pid = prefetch.proc_.pid
    time.sleep(1.0)
    assert prefetch.proc_.poll() is None
    deadline = time.monotonic() + 60  # the child lowers itself once it has read the job's header
    while psutil.Process(pid).nice() != 19 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert psutil.Process(pid).nice() == 19  # the default: the lowest CPU priority, below the run's
    code = prefetch.stop()
    assert code is not None and code != 0  # terminated, not finished
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not prefetch.folder_.exists()


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
def test_a_start_cut_short_leaves_no_child_and_no_copy_of_the_texts(tmp_path, monkeypatch, stop):
    """Ctrl-C or SIGTERM (``KeyboardInterrupt``), or no process to be had (``OSError``), after the first of
    two children has started: that child is ended and the folder with the raw texts deleted; the interrupt
    goes on, the error gives None (the mask stage masks everything itself)."""
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    real_popen, started = mask_prefetch.subprocess.Popen, []

    def popen(*args, **kwargs):
        if started:
            raise stop()
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(mask_prefetch.subprocess, "Popen", popen)
    texts = [f"{t} ({i})" for i, t in enumerate(_texts(2000) * 3)]
    if stop is KeyboardInterrupt:
        with pytest.raises(KeyboardInterrupt):
            MaskPrefetch.start(texts, (), min_texts=1, workers=2)
    else:
        assert MaskPrefetch.start(texts, (), min_texts=1, workers=2) is None
    assert len(started) == 1 and started[0].poll() is not None  # ended, not left masking
    assert not list(scratch.iterdir())


@pytest.mark.slow
def test_a_run_with_the_background_masker_writes_the_same_texts(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(MaskPrefetch, "min_texts", 1)
    started = []
    real_start = MaskPrefetch.start.__func__

    handed = []

    def spy(cls, texts, keep_handles=(), min_texts=None, nice=19, workers=1):
        job = real_start(cls, texts, keep_handles, min_texts, nice, workers)
        if nice == 19:  # the background masker (mask_ahead's children run at the run's priority)
            handed.append(list(texts))
            started.append(job)
        return job

    ahead = []
    real_names = PiiMasker._mask_names

    def mask_ahead_spy(texts, keep_handles=()):  # the mask stage's children, on a sample this small too
        ahead.append((len(texts), mask_prefetch.mask_ahead(texts, keep_handles, workers=2, min_texts=1)))
        monkeypatch.setattr(PiiMasker, "_mask_names", _no_names_here)  # the run's process only reads the cache

    monkeypatch.setattr(MaskPrefetch, "start", classmethod(spy))
    monkeypatch.setattr(pipeline_module, "mask_ahead", mask_ahead_spy)
    cfg = PipelineConfig().updated({"embed": {"cache_dir": ""}})
    pipe = PersonaPipeline(cfg, progress=False)
    result = pipe.run([str(SAMPLE_DIR / "twcs_sample.csv")])
    assert len(started) == 1 and started[0] is not None
    assert started[0].proc_.poll() is not None  # run() stopped it
    # the children masked what the background masker left (if anything), and the run itself no text
    assert len(ahead) == 1 and ahead[0][1] == (ahead[0][0] > 0)
    from ml.profile import terms

    assert terms._WORDS_MEMO == {}  # the run forgot the words it memoised for its terms
    monkeypatch.setattr(PiiMasker, "_mask_names", real_names)  # for the reference below
    assert pipe.mask_prefetch_ is None
    assert "mask" in result.manifest.timings_s
    run_dir = write_run(result, tmp_path / "run")
    written = pd.read_parquet(run_dir / "assignments.parquet")["text"].tolist()
    brands = next((p.brand_handles for p in result.personas if p.brand_handles), None)
    raw = handed[0]  # the members' texts, as the mask stage read them
    from ml.filtering.agents import AgentDetector
    from ml.ingest.load import load_messages

    messages = load_messages([str(SAMPLE_DIR / "twcs_sample.csv")])[0]
    staff = AgentDetector().fit(messages).staff_names(messages)  # the agents' given names are masked too
    assert written == result.members["text"].tolist() == PiiMasker(cache_dir="").mask_many(raw, brands, staff)
    assert written != raw


def test_the_background_masker_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setattr(MaskPrefetch, "min_texts", 1)
    calls = []
    monkeypatch.setattr(MaskPrefetch, "start", classmethod(lambda cls, *a, **k: calls.append(a)))
    cfg = PipelineConfig().updated({"profile": {"mask_in_background": False}})  # vectors from the test cache
    pipe = PersonaPipeline(cfg, progress=False)
    pipe.prepare([str(SAMPLE_DIR / "twcs_sample.csv")], prefetch_masks=True)
    assert calls == []


def test_a_masking_child_imports_neither_torch_nor_the_profile_stack(tmp_path):
    import os
    import subprocess
    import sys

    code = ("import sys; from ml.runtime.mask_prefetch import _masker_imports_only; _masker_imports_only(); "
            "from ml.profile.masking import mask_texts; "
            "print(mask_texts(['Thanks Becky, my card is 4111111111111111'], (), parallel=False)[0]); "
            "print(sorted(m for m in ('torch', 'sklearn', 'scipy', 'pandas') if sys.modules.get(m)))")
    env = {**os.environ, "PERSONAS_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    masked, loaded = out.stdout.strip().splitlines()[-2:]
    assert masked == "Thanks [name], my card is [card]"  # the recogniser runs without torch
    assert loaded == "[]"
