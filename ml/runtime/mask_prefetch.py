"""Masks a run's texts in a background process while the run goes on, so its mask stage finds them masked.

Every text a run writes is masked for personal data (``ml.profile.masking.mask_texts``: patterns, then
spaCy's name recogniser, cached per text in ``ml.profile.mask_cache``). On a cold 50k run that was 34 s
after every other stage (docs/benchmarks.md), while much of the run before it keeps only one of the cores
busy (the seeded UMAP layout is single-threaded, the filter and profile stages mostly so).

``MaskPrefetch.start(texts, keep_handles)`` hands the texts to a child process (``python -m
ml.runtime.mask_prefetch``) at the lowest CPU priority (``nice`` 19): it masks them in chunks into the
same mask cache, so it takes CPU time the run leaves idle and yields whenever the run wants both cores.
``stop()`` ends it (a chunk in flight is lost). The writer's ``mask_texts`` then reads what the child
cached and masks the rest itself. The written texts are the same with or without the child: it runs the
same masker with the same brand handles (``ml.profile.masking.keep_handles_for``), whose cache key
names both. The texts travel in a private temporary file, deleted by ``stop()``; the child exits on its
own when its parent is gone. Nothing starts when the texts are few
(``min_texts``: the child's start-up, loading spaCy, costs about as much as masking them).

The cores are not always idle for it: after the encode the run's side threads (the 2-D map, the stability
refits; ``ml.runtime.pipeline``) also want the second core, and they come first.

``mask_ahead(texts, keep_handles)`` is the mask stage's own use of the same children: from
``MASK_AHEAD_FROM`` texts it masks whatever the cache lacks in one child per core at the run's priority
and waits, so that the run's ``mask_texts`` only reads the cache. The run's process then never loads the
name model nor fragments its heap with a million masked strings: at 1M rows this was about 0.3 GB that the
profile stage still counted (docs/benchmarks.md). A child that fails leaves its texts to ``mask_texts``.
"""

from __future__ import annotations

import atexit
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["MASK_AHEAD_FROM", "MaskPrefetch", "mask_ahead"]

CHUNK = 250  # texts per cache write: a killed child loses at most this many (about 1 s of work)
MASK_AHEAD_FROM = 3_000  # texts from which the mask stage masks in children: each loads spaCy (2-3 s), then both cores mask


class MaskPrefetch:
    """A background masker of ``texts``; ``start`` (a classmethod) → instance or None, then ``stop()``.

    Attributes: ``procs_`` (the children, ``subprocess.Popen``; ``proc_`` the first), ``n_texts_``,
    ``folder_`` (temporary folder).
    """

    min_texts = 5000

    def __init__(self, procs: list[subprocess.Popen], folder: Path, n_texts: int):
        self.procs_, self.folder_, self.n_texts_ = procs, folder, n_texts
        atexit.register(self.stop)

    @property
    def proc_(self) -> subprocess.Popen:
        return self.procs_[0]

    @classmethod
    def start(cls, texts: Sequence[str], keep_handles: Sequence[str] = (),
              min_texts: int | None = None, nice: int = 19, workers: int = 1) -> MaskPrefetch | None:
        """Start masking ``texts`` in the background; None when not worth it or not possible. ``nice``: the
        children's CPU priority (19, the lowest, yields to the run; 0 leaves it as the run's). ``workers``:
        child processes, each masking every ``workers``-th chunk."""
        if len(texts) < (cls.min_texts if min_texts is None else min_texts):
            return None
        folder = Path(tempfile.mkdtemp(prefix="personas-mask-"))  # mode 0700: the raw texts stay private
        procs: list[subprocess.Popen] = []
        try:
            with open(folder / "texts.pkl", "wb") as fh:  # a header, then one pickle per chunk
                pickle.dump({"keep": list(keep_handles), "parent": os.getpid(), "nice": int(nice)}, fh)
                for i in range(0, len(texts), CHUNK):
                    pickle.dump(list(texts[i:i + CHUNK]), fh)
            for i in range(workers):
                procs.append(subprocess.Popen([sys.executable, "-m", "ml.runtime.mask_prefetch", str(folder),
                                               str(i), str(workers)], stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                              start_new_session=True))
        except BaseException as exc:  # no child left running, no copy of the texts left behind
            cls(procs, folder, len(texts)).stop()
            if isinstance(exc, OSError):  # no room for the file, no process: the mask stage masks everything
                return None
            raise  # Ctrl-C or SIGTERM while starting
        return cls(procs, folder, len(texts))

    def wait(self) -> bool:
        """Wait for every child to finish; True when all masked their share (exit code 0)."""
        return all(proc.wait() == 0 for proc in self.procs_)

    def stop(self) -> int | None:
        """End the children (if still running) and delete the texts; the first child's exit code
        (negative: killed)."""
        for proc in self.procs_:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs_:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.folder_, ignore_errors=True)
        atexit.unregister(self.stop)
        return self.procs_[0].returncode if self.procs_ else None


def mask_ahead(texts: Sequence[str], keep_handles: Sequence[str] = (), workers: int | None = None,
               min_texts: int = MASK_AHEAD_FROM) -> bool:
    """Mask into the mask cache what it lacks of ``texts`` in ``workers`` children (default: one per core,
    at most 4) at the run's priority, and wait. False when nothing ran (fewer than ``min_texts`` texts, no
    process) or a child failed: ``mask_texts`` masks what is missing itself, so the result is the same."""
    if len(texts) < min_texts:
        return False
    workers = workers or min(4, os.cpu_count() or 1)
    job = MaskPrefetch.start(texts, keep_handles, min_texts=0, nice=0, workers=workers)
    if job is None:
        return False
    try:
        return job.wait()
    finally:
        job.stop()


def _work(folder: Path, index: int = 0, workers: int = 1) -> None:
    """Mask chunks ``index``, ``index + workers``, … of ``folder/texts.pkl`` one by one (only one chunk in
    memory at a time)."""
    with open(folder / "texts.pkl", "rb") as fh:
        job = pickle.load(fh)
        _lower_priority(job.get("nice", 19))  # first: loading the masker is already work
        _masker_imports_only()
        from ml.profile.masking import cache_masks

        n = 0
        while os.getppid() == job["parent"]:  # the run gone: nobody will read the rest
            try:
                chunk = pickle.load(fh)
            except EOFError:
                return
            if n % workers == index:
                cache_masks(chunk, job["keep"])
            n += 1


def _masker_imports_only() -> None:
    """Keep torch out of a masking child. spaCy's thinc imports torch when it is installed, and the small
    English model's recogniser never uses it; ``None`` in ``sys.modules`` makes ``import torch`` fail, and
    thinc then runs on NumPy as it does without torch. Measured: 454 → 133 MB PSS per child after loading
    and using the recogniser, with the same masks (``tests/test_mask_prefetch.py``)."""
    sys.modules.setdefault("torch", None)


def _lower_priority(nice: int) -> None:
    if nice <= 0:
        return
    try:
        os.nice(nice)
        # a new session is its own scheduling group under Linux autogroup, where nice alone does not yield
        Path("/proc/self/autogroup").write_text(str(nice))
    except OSError:
        pass


if __name__ == "__main__":
    _work(Path(sys.argv[1]), *(int(a) for a in sys.argv[2:4]))
