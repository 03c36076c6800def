"""The embedding cache is read in chunks (issue 17: a warm 1M-row run), with the same result as one lookup."""

from __future__ import annotations

import numpy as np

from ml.features import embed as embed_mod
from ml.features.embed import SentenceEmbedder


class _FakeEncoder(SentenceEmbedder):
    """Deterministic vectors from the text, no model: counts what it was asked to encode."""

    def _encode_fn(self):
        self.asked_ = getattr(self, "asked_", [])

        def fn(batch):
            self.asked_.extend(batch)
            out = np.zeros((len(batch), embed_mod.EMBEDDING_DIM), dtype=np.float32)
            for i, text in enumerate(batch):
                out[i, len(text) % embed_mod.EMBEDDING_DIM] = 1.0
                out[i, 0] += 0.5
            return out / np.linalg.norm(out, axis=1, keepdims=True)

        return fn


def test_chunked_cache_lookup_fills_every_row_and_reports_the_misses(tmp_path, monkeypatch):
    monkeypatch.setattr(embed_mod, "LOOKUP_CHUNK", 3)  # many chunks, a ragged last one
    texts = [f"text number {i} " + "x" * i for i in range(20)]
    first = _FakeEncoder(batch_size=4, cache_dir=str(tmp_path), show_progress=False)
    cold = first.transform(texts[:11])
    assert first.n_cached_ == 0 and first.n_encoded_ == 11
    again = _FakeEncoder(batch_size=4, cache_dir=str(tmp_path), show_progress=False)
    warm = again.transform(texts + texts[:2])  # repeats and rows past the cached ones
    assert again.n_cached_ == 13 and again.n_encoded_ == 9
    assert sorted(again.asked_) == sorted(texts[11:])
    assert np.array_equal(warm[:11], cold) and np.array_equal(warm[20:], cold[:2])
    assert np.allclose(np.linalg.norm(warm, axis=1), 1.0)
