"""Person-name spans from spaCy's NER (``ml.profile.pii``), in bounded memory.

``person_spans(texts, brands, n_process, batch_size)`` → for each text the ``(start, end)`` character
spans of the PERSON entities whose tokens pass ``ml.profile.pii``'s name rules (not a stop word, handle,
sign-off initials or the start of a brand's handle).

spaCy interns every new token string into the pipeline's vocabulary and keeps it for the life of the
process, and its own ``nlp.pipe(n_process=...)`` sends whole Docs back to the parent, which interns
their strings too: masking the 300,000 texts of the scale benchmark grew the run by 2 GB. Here texts go
through ``nlp.memory_zone()`` (spaCy ≥ 3.8) ``CHUNK`` at a time, which frees what a chunk added; with
``n_process`` > 1 they go to worker processes of this module (forked, as spaCy's own ``n_process``; each
loads the model once) that return only the offsets.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from ml.profile import pii
from ml.profile.name_rules import brand_word
from ml.runtime.errors import default_sigterm
from ml.runtime.gcfreeze import after_import

CHUNK = 2000

Spans = list[tuple[int, int]]


def _spans(nlp, texts: Sequence[str], brands: frozenset[str], batch_size: int) -> list[Spans]:
    out: list[Spans] = []
    with nlp.memory_zone():  # everything the chunk added to the vocabulary is freed on exit
        for doc in nlp.pipe(texts, batch_size=batch_size):
            found = []
            for ent in doc.ents:
                if ent.label_ != "PERSON":
                    continue
                toks = [t for t in ent if pii._name_token_ok(t) and not brand_word(t.text, brands)]
                if toks:
                    found.append((toks[0].idx, toks[-1].idx + len(toks[-1].text)))
            out.append(found)
    return out


def _work(job: tuple[list[str], frozenset[str], int]) -> list[Spans]:
    """One chunk in a worker process (the model is loaded once per worker: ``pii.load_ner`` is cached)."""
    texts, brands, batch_size = job
    return _spans(pii.load_ner(), texts, brands, batch_size)


def person_spans(texts: Sequence[str], brands: frozenset[str] = frozenset(), n_process: int = 1,
                 batch_size: int = 512) -> list[Spans]:
    """The kept PERSON spans of each text (see the module docstring); ``n_process`` worker processes
    when above 1 and there is more than one chunk, else in this process."""
    texts = list(texts)
    chunks = [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]
    brands = frozenset(brands)
    if n_process <= 1 or len(chunks) <= 1:
        info = getattr(pii.load_ner, "cache_info", None)  # the lru_cache of the model (a test may replace it)
        first = info is not None and info().currsize == 0
        nlp = pii.load_ner()
        if first:
            after_import()  # spaCy and the model out of the run's garbage collections
        return [s for chunk in chunks for s in _spans(nlp, chunk, brands, batch_size)]
    ctx = multiprocessing.get_context("fork")  # as spaCy's own n_process; scripts need no main guard
    with ProcessPoolExecutor(min(n_process, len(chunks)), mp_context=ctx, initializer=default_sigterm) as pool:
        return [s for part in pool.map(_work, ((c, brands, batch_size) for c in chunks)) for s in part]
