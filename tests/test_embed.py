"""The embedder loads the packaged model offline and never encodes a text twice."""

from __future__ import annotations

import numpy as np

from ml.features.embed import SentenceEmbedder, clean_for_embedding


def test_embeddings_are_normalised_and_cached(tmp_path):
    texts = ["my card has not arrived yet", "how do I reset my PIN?", "my card has not arrived yet"]
    emb = SentenceEmbedder(cache_dir=str(tmp_path), show_progress=False)
    first = emb.transform(texts)
    assert first.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(first[0], first[2])
    assert emb.n_encoded_ == 2  # the duplicate is encoded once
    again = SentenceEmbedder(cache_dir=str(tmp_path), show_progress=False).fit()
    second = again.transform(texts)
    assert again.n_encoded_ == 0 and again.n_cached_ == 3
    np.testing.assert_allclose(first, second)
    # meaning is captured: the two card questions are closer than card vs PIN
    more = emb.transform(["where is my new card?"])
    assert float(more[0] @ first[0]) > float(more[0] @ first[1])


def test_clean_for_embedding_strips_handles_and_urls():
    assert clean_for_embedding(["@united my bag is lost https://t.co/x"]) == ["my bag is lost"]
    assert clean_for_embedding(["@united"]) == ["@united"]  # nothing left: keep the original


def test_batch_size_one_gives_vectors_that_do_not_depend_on_the_other_texts():
    """README, embedding cache: with ``embed: {batch_size: 1}`` a text's vector is the same bits whatever was
    encoded with it, so a cache filled by other runs cannot change a run. Real TWCS / Banking77 wording."""
    texts = ["@AmazonHelp my package never arrived, order says delivered", "how do I reset my PIN?",
             "Ok thanks", "my card payment was declined twice at the supermarket this morning, why?"]
    alone = np.stack([SentenceEmbedder(cache_dir="", batch_size=1, show_progress=False).transform([t])[0]
                      for t in texts])
    together = SentenceEmbedder(cache_dir="", batch_size=1, show_progress=False).transform(texts)
    assert np.array_equal(alone, together)


def test_phrase_encoder_is_the_runs_model_without_the_cache(tmp_path):
    """Name candidates are encoded by the run's model (the same vectors as the embedder gives, up to the last
    bits that batching moves) and never written into the embedding cache, which holds member texts only."""
    from ml.features.embed import phrase_encoder

    emb = SentenceEmbedder(cache_dir=str(tmp_path), show_progress=False).fit()
    members = emb.transform(["my card never arrived", "the ATM kept my card"])
    phrases = ["card arrived", "atm", "exchange rate"]
    V = phrase_encoder(emb)(phrases)
    assert V.shape == (3, members.shape[1]) and V.dtype == np.float32
    assert np.allclose(np.linalg.norm(V, axis=1), 1.0, atol=1e-5)
    assert np.allclose(V, SentenceEmbedder(cache_dir="", show_progress=False).fit().transform(phrases), atol=1e-5)
    assert emb._cache().get_many(emb._cache().keys_for(phrases)) == {}  # the members' two texts only
    assert len(emb._cache().get_many(emb._cache().keys_for(["my card never arrived", "the ATM kept my card"]))) == 2
    assert phrase_encoder(emb)([]).shape == (0, members.shape[1])
