"""`ml.runtime.gcfreeze`: a CLI run keeps the libraries out of its garbage collections, and leaves nothing frozen."""

from __future__ import annotations

import gc
import weakref

from ml.runtime import gcfreeze, timing
from tests.fixtures.runs import SAMPLE_TWCS, run_cli


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cycle collector frees it


def test_after_import_freezes_only_inside_a_run():
    assert gc.get_freeze_count() == 0
    gcfreeze.after_import()
    assert gc.get_freeze_count() == 0  # no run: nothing happens
    with gcfreeze.frozen_libraries():
        startup = gc.get_freeze_count()
        assert startup > 0
        objs = [[i] for i in range(1000)]  # stands for a library's objects, imported during the run
        gcfreeze.after_import()
        assert gc.get_freeze_count() >= startup + len(objs)
        with gcfreeze.frozen_libraries():  # nested: the outer run still holds its freeze
            pass
        assert gc.get_freeze_count() >= startup + len(objs)
    assert gc.get_freeze_count() == 0


def test_a_cycle_frozen_during_a_run_is_collected_after_it():
    with gcfreeze.frozen_libraries():
        node = _Node()
        ref = weakref.ref(node)
        gcfreeze.after_import()
        del node
        gc.collect()
        assert ref() is not None  # frozen: the run's collections skip it
    gc.collect()
    assert ref() is None  # unfrozen on exit: collected as usual


def test_a_cli_run_collects_with_the_libraries_frozen_and_unfreezes(tmp_path, monkeypatch):
    seen = []
    release = timing.release_memory

    def spy():
        seen.append(gc.get_freeze_count())
        release()

    monkeypatch.setattr(timing, "release_memory", spy)
    code = run_cli([str(SAMPLE_TWCS), "--out", str(tmp_path / "run"), "--no-store", "--inbound-only"])
    assert code == 0
    assert len(seen) >= 10 and min(seen) > 0  # every stage's collection ran with the imports frozen
    assert gc.get_freeze_count() == 0


def test_cache_dir_holds_every_per_text_cache(tmp_path, monkeypatch):
    """`--cache-dir` names the folder of the masks and language scores too (they read PERSONAS_CACHE_DIR), and the
    environment is as before once the run is over."""
    import os
    import shutil

    from ml.text_cache import default_cache_dir

    cache = tmp_path / "cache"
    cache.mkdir()
    for f in default_cache_dir().glob("embeddings-*.sqlite"):  # the sample's vectors: no encode in this test
        shutil.copy(f, cache / f.name)
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path / "elsewhere"))
    code = run_cli([str(SAMPLE_TWCS), "--out", str(tmp_path / "run"), "--no-store", "--inbound-only",
                    "--cache-dir", str(cache)])
    assert code == 0
    names = {p.name.split("-")[0] for p in cache.iterdir()}
    assert {"embeddings", "pii", "langid"} <= names, sorted(names)
    assert not (tmp_path / "elsewhere").exists() or not any((tmp_path / "elsewhere").glob("pii-*"))
    assert os.environ["PERSONAS_CACHE_DIR"] == str(tmp_path / "elsewhere")
