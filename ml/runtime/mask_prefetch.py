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

__all__ = ["MaskPrefetch"]

CHUNK = 1000  # texts per cache write: a killed child loses at most this many


class MaskPrefetch:
    """A background masker of ``texts``; ``start`` (a classmethod) → instance or None, then ``stop()``.

    Attributes: ``proc_`` (the child ``subprocess.Popen``), ``n_texts_``, ``folder_`` (temporary folder).
    """

    min_texts = 5000

    def __init__(self, proc: subprocess.Popen, folder: Path, n_texts: int):
        self.proc_, self.folder_, self.n_texts_ = proc, folder, n_texts
        atexit.register(self.stop)

    @classmethod
    def start(cls, texts: Sequence[str], keep_handles: Sequence[str] = (),
              min_texts: int | None = None, nice: int = 19) -> MaskPrefetch | None:
        """Start masking ``texts`` in the background; None when not worth it or not possible. ``nice``: the
        child's CPU priority (19, the lowest, yields to the run; 0 leaves it as the run's)."""
        if len(texts) < (cls.min_texts if min_texts is None else min_texts):
            return None
        folder = Path(tempfile.mkdtemp(prefix="personas-mask-"))  # mode 0700: the raw texts stay private
        try:
            with open(folder / "texts.pkl", "wb") as fh:  # a header, then one pickle per chunk
                pickle.dump({"keep": list(keep_handles), "parent": os.getpid(), "nice": int(nice)}, fh)
                for i in range(0, len(texts), CHUNK):
                    pickle.dump(list(texts[i:i + CHUNK]), fh)
            proc = subprocess.Popen([sys.executable, "-m", "ml.runtime.mask_prefetch", str(folder)],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError:  # no room for the file, no process: the mask stage masks everything itself
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return cls(proc, folder, len(texts))

    def stop(self) -> int | None:
        """End the child (if still running) and delete the texts; its exit code (negative: killed)."""
        proc = self.proc_
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.folder_, ignore_errors=True)
        atexit.unregister(self.stop)
        return proc.returncode


def _work(folder: Path) -> None:
    """Mask the chunks of ``folder/texts.pkl`` one by one (only one chunk in memory at a time)."""
    with open(folder / "texts.pkl", "rb") as fh:
        job = pickle.load(fh)
        _lower_priority(job.get("nice", 19))  # first: loading the masker is already work
        from ml.profile.masking import mask_texts

        while os.getppid() == job["parent"]:  # the run gone: nobody will read the rest
            try:
                chunk = pickle.load(fh)
            except EOFError:
                return
            mask_texts(chunk, job["keep"], parallel=False)


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
    _work(Path(sys.argv[1]))
