"""StageTimer hands freed memory back after each stage and logs the memory now (``ml.runtime.timing``)."""

import sys

import numpy as np
import pytest

from ml.runtime.timing import StageTimer, release_memory, rss_mb


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_memory_freed_inside_a_stage_is_not_counted_after_it():
    lines = []
    timer = StageTimer(lines.append)
    release_memory()
    before = rss_mb()
    with timer.stage("big"):
        block = np.ones((64, 2**20 // 8))  # 64 MB, touched
        assert rss_mb() > before + 50
        del block
    assert rss_mb() < before + 30
    assert timer.peak_rss_["big"] >= before + 50  # the peak still records it
    assert lines[-1].startswith("big done in") and "memory now" in lines[-1] and "peak" in lines[-1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim, /proc/self/statm")
def test_release_memory_returns_a_fragmented_heap_to_the_system():
    keep, junk = [], []
    for i in range(200_000):  # 600-byte strings come from malloc's heap, not from their own mappings
        (keep if i % 100 == 0 else junk).append("x" * 600 + str(i))
    del junk  # freed between the kept ones: the heap cannot shrink from its top
    held = rss_mb()
    release_memory()
    assert rss_mb() < held - 60  # about 115 MB were freed
    assert len(keep) == 2000


def test_release_memory_frees_cyclic_garbage():
    import gc
    import weakref

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    ref = weakref.ref(a)
    del a, b
    gc.disable()
    try:
        release_memory()
    finally:
        gc.enable()
    assert ref() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_the_peak_tracer_names_the_line_that_held_the_memory(monkeypatch):
    monkeypatch.setenv("PERSONAS_TRACE_PEAK", "1")
    lines = []
    timer = StageTimer(lines.append)
    try:
        with timer.stage("big"):
            _hold_a_block()
    finally:
        timer.tracer_.stop()
    traced = lines[-1]
    assert traced.startswith("big peak ") and "_hold_a_block" in traced, traced
    assert "tests/test_stage_memory.py" in traced


def _hold_a_block():
    import time

    block = np.ones((128, 2**20 // 8))  # 128 MB, touched, held long enough for the tracer's samples
    time.sleep(0.5)
    del block


def test_no_tracer_unless_asked(monkeypatch):
    monkeypatch.delenv("PERSONAS_TRACE_PEAK", raising=False)
    assert StageTimer().tracer_ is None


def test_the_peak_tracer_keeps_no_frame_and_so_no_local_alive():
    import time
    import weakref

    from ml.runtime.peaktrace import PeakTracer

    class Big:
        pass

    state, refs = {"mb": 0}, []
    tracer = PeakTracer(lambda: state["mb"], interval=0.001).start()
    try:
        def stage():
            big = Big()
            refs.append(weakref.ref(big))
            for _ in range(50):  # new highs while this frame runs: the tracer reads this stack
                state["mb"] += 1
                time.sleep(0.002)

        stage()
        time.sleep(0.05)  # no new high after the stage: a kept frame would stay kept
        assert "stage" in " ".join(tracer.peak()[1])
        assert refs[0]() is None  # the stage's local was freed when the stage returned
    finally:
        tracer.stop()
