"""The background masker (ml.runtime.mask_prefetch): fills the mask cache, changes no written text, stops cleanly."""

from __future__ import annotations

import time

import pandas as pd
import psutil
import pytest

from ml.profile.mask_cache import MaskCache
from ml.profile.masking import keep_handles_for, mask_texts
from ml.profile.pii import PiiMasker, rules_version
from ml.runtime.config import PipelineConfig
from ml.runtime.mask_prefetch import MaskPrefetch
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
    assert prefetch.proc_.args[-1] == str(prefetch.folder_)
    prefetch.stop()
    assert not prefetch.folder_.exists()  # the raw texts do not outlive the prefetch
    cached = _cached(texts, keep)
    assert all(v is not None for v in cached)
    # what the writer then reads equals masking without any cache (names, numbers, handles)
    fresh = PiiMasker(cache_dir="").mask_many(texts, keep)
    assert mask_texts(texts, keep) == fresh
    assert any("[name]" in t or "[@user]" in t for t in fresh)


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


@pytest.mark.slow
def test_a_run_with_the_background_masker_writes_the_same_texts(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(MaskPrefetch, "min_texts", 1)
    started = []
    real_start = MaskPrefetch.start.__func__

    handed = []

    def spy(cls, texts, keep_handles=(), min_texts=None, nice=19):
        handed.append(list(texts))
        started.append(real_start(cls, texts, keep_handles, min_texts, nice))
        return started[-1]

    monkeypatch.setattr(MaskPrefetch, "start", classmethod(spy))
    cfg = PipelineConfig().updated({"embed": {"cache_dir": ""}})
    pipe = PersonaPipeline(cfg, progress=False)
    result = pipe.run([str(SAMPLE_DIR / "twcs_sample.csv")])
    assert len(started) == 1 and started[0] is not None
    assert started[0].proc_.poll() is not None  # run() stopped it
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
