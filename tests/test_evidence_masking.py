"""Evidence is masked in one batch through the mask cache; a fully cached batch never loads the name model."""

from __future__ import annotations

import numpy as np
import pytest

from ml.profile import pii
from ml.profile.evidence import EvidenceSelector
from ml.profile.pii import PiiMasker

TEXTS = [
    "Please call me on 555-123-4567 about my lost bag, thanks",
    "My name is Paul Garrison and my email is paul.garrison@example.com",
    "@12345 my card 4111 1111 1111 1111 was charged twice for one ticket",
    "The flight was delayed three hours and nobody told us anything at all",
]


def _embeddings(n: int) -> np.ndarray:
    return np.eye(n) + 0.5  # pairwise cosine 2/3: no two are near duplicates


def test_pick_is_raw_and_mask_equals_select(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    selector = EvidenceSelector(n=4, max_chars=60)
    ids = np.array([f"m{i}" for i in range(len(TEXTS))])
    picked = selector.pick(ids, TEXTS, _embeddings(len(TEXTS)))
    assert {p["text"] for p in picked} <= set(TEXTS)  # raw, never shown as such
    masked = selector.mask([picked, picked[:1]], keep_handles=())
    selected = selector.select(ids, TEXTS, _embeddings(len(TEXTS)))
    assert masked[0] == selected and masked[1] == selected[:1]
    shown = " ".join(s["text"] for s in selected)
    for raw in ("555-123-4567", "paul.garrison@example.com", "Garrison", "4111 1111", "@12345"):
        assert raw not in shown
    assert "[email]" in shown and "[phone]" in shown and "[@user]" in shown
    assert len(selected) == 4 and all(len(s["text"]) <= 62 for s in selected)  # cut to max_chars (+ " …")
    assert any(s["text"].endswith(" …") for s in selected)
    assert [s["member_id"] for s in selected] == [p["member_id"] for p in picked]


def test_cached_texts_do_not_load_the_name_model(tmp_path, monkeypatch):
    masker = PiiMasker(cache_dir=str(tmp_path))
    first = masker.mask_many(TEXTS, ["delta"])
    assert "[name]" in first[1]

    def no_model():
        raise AssertionError("the name model was loaded although every text was cached")

    monkeypatch.setattr(pii, "load_ner", no_model)
    assert masker.mask_many(list(reversed(TEXTS)), ["delta"]) == list(reversed(first))
    with pytest.raises(AssertionError, match="name model"):
        masker.mask_many(["A text the cache has not seen, from John Smith"], ["delta"])
    assert PiiMasker(cache_dir="").mask_many([], ["delta"]) == []


def test_evidence_quotes_other_authors_before_a_second_snippet_of_one():
    """A review found a persona's eight quotes were one customer's thread: where authors are known, one author
    fills at most two places of the pool and is quoted twice only when no other author's text is left."""
    rng = np.random.default_rng(0)
    E = rng.normal(size=(30, 32))
    E[:20, 0] += 3.0  # the thread's author is nearest the centre
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    texts = [f"text {i} about the mince pie contest and entry {i * 7} of it" for i in range(30)]
    authors = np.array(["blog"] * 20 + [f"a{i}" for i in range(8)] + [None, np.nan], dtype=object)
    selector = EvidenceSelector(n=8, dup_jaccard=0.99)
    plain = [authors[int(s["member_id"])] for s in selector.pick(list(range(30)), texts, E)]
    assert plain.count("blog") >= 4  # without authors the thread fills the quotes
    picked = [authors[int(s["member_id"])] for s in selector.pick(list(range(30)), texts, E, authors=authors)]
    assert len(picked) == 8 and picked.count("blog") == 1
    # every one quoted once before the thread's second snippet: only when nothing else is left
    few = authors.copy()
    few[20:] = "blog"
    again = [few[int(s["member_id"])] for s in selector.pick(list(range(30)), texts, E, authors=few)]
    assert again == ["blog", "blog"]  # one author: the pool holds two of their texts
    with pytest.raises(ValueError):
        selector.pick(list(range(30)), texts, E, authors=authors[:5])


def test_a_snippet_keeps_the_line_between_two_messages():
    """A conversation's or an author's messages are one per line (ml.units): the snippet kept them on one line, joined
    by spaces, and a help-desk review could not see where one message ended."""
    from ml.profile.evidence import _cut

    assert _cut("my order  never came\n\n@shop  still waiting ", 400) == "my order never came\n@shop still waiting"
    assert _cut("one two\nthree four five", 12) == "one two …"
