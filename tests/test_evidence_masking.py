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
