"""Keep a run's libraries out of Python's garbage collections (``gc.freeze``), for the length of a CLI run.

In: nothing. ``frozen_libraries()`` is a context manager the CLI wraps a run in; inside it, every object
alive when it starts (the modules imported so far) and, each time a heavy library has just been imported
and its model loaded (``after_import()``: torch and the sentence model, ONNX Runtime, umap, hdbscan,
spaCy), every object alive then is moved to the collector's permanent generation, so later collections do
not walk them again. On exit everything is unfrozen: an in-process caller's later collections see all
objects again.

Why: ``ml.runtime.timing.release_memory`` collects garbage after each of the run's ~16 stages (so that a
stage's freed memory is not counted in the next one's RSS), and Python collects its oldest generation on
its own as allocations accumulate. Each full collection walked every import: with torch, umap, hdbscan
and spaCy loaded, 630,000 tracked objects and 0.3–0.4 s a collection; in a 50k run the collections took
7.4 s (2.3 s when the libraries were not imported), measured with ``gc.callbacks`` (docs/benchmarks.md).

Objects frozen are still freed by reference counting; only garbage in a reference cycle among them waits
for the end of the run. The freezes happen when libraries load, so what is frozen with them is mostly
what the run keeps to its end anyway (its input frames, the model). Library users of ``PersonaPipeline``
are unaffected: outside the context ``after_import()`` does nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_ACTIVE = 0


def after_import() -> None:
    """Freeze every live object if a CLI run is in progress (call right after a heavy import or model load)."""
    if _ACTIVE:
        gc.freeze()


@contextmanager
def frozen_libraries() -> Iterator[None]:
    """Freeze what is imported now and, through ``after_import``, what the run imports; unfreeze on exit."""
    global _ACTIVE
    gc.collect()
    gc.freeze()
    _ACTIVE += 1
    try:
        yield
    finally:
        _ACTIVE -= 1
        if not _ACTIVE:
            gc.unfreeze()
