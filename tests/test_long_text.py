"""Members longer than the encoder's window are read whole (ml.features.long_text), not cut at 256 word pieces."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from ml.features.embed import SentenceEmbedder, _model_path
from ml.features.long_text import LongTextSplitter, Pieces
from ml.runtime.errors import InputError

# A support thread whose first turns are about a lost bag and whose later turns are about the refund of a
# cancelled flight: the two halves are each longer than half the model's window.
BAG = ("My bag did not arrive on the carousel in Denver and nobody at the baggage desk can tell me where it is. "
       "The tracking page still says it was loaded in Chicago. ")
REFUND = ("You cancelled my flight to Boston and I want my money back, not a travel voucher. "
          "The refund form on your website keeps failing when I submit my booking reference. ")
THREAD = BAG * 6 + REFUND * 6


@pytest.fixture(scope="module")
def splitter():
    return LongTextSplitter(_model_path("all-MiniLM-L6-v2")).fit()


def _tokens(splitter, text: str) -> int:
    return len(splitter.tokenizer_.encode(text, add_special_tokens=False).ids)


def test_short_texts_are_not_touched(splitter):
    texts = ["where is my bag", "x" * splitter.window_]  # at most window characters: never tokenised
    pieces = splitter.split(texts)
    assert pieces.texts is texts and pieces.owner is None and splitter.n_long_ == 0
    vecs = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    assert pieces.pool(vecs) is vecs


def test_long_text_is_cut_at_words_into_pieces_within_the_window(splitter):
    assert _tokens(splitter, THREAD) > splitter.window_  # the thread is longer than the model reads
    pieces = splitter.split(["hi", THREAD, "thanks"])
    assert splitter.n_long_ == 1 and splitter.n_pieces_ == len(pieces.texts) - 2 >= 2
    assert pieces.owner.tolist() == [0] + [1] * splitter.n_pieces_ + [2]
    parts = [t for t, o in zip(pieces.texts, pieces.owner) if o == 1]
    assert all(_tokens(splitter, p) <= splitter.window_ for p in parts)
    assert " ".join(parts).split() == THREAD.split()  # every word, in order, none cut inside
    sizes = pieces.weight[pieces.owner == 1]
    assert sizes.sum() == _tokens(splitter, THREAD) and sizes.max() - sizes.min() <= 0.25 * sizes.max()


def test_max_pieces_keeps_pieces_spread_over_the_text():
    splitter = LongTextSplitter(_model_path("all-MiniLM-L6-v2"), max_pieces=3).fit()
    text = " ".join(f"{w} " * 120 for w in ("bag", "seat", "meal", "wifi", "refund", "hotel"))
    pieces = splitter.split([text])
    assert splitter.n_capped_ == 1 and len(pieces.texts) == 3
    assert pieces.texts[0].startswith("bag") and pieces.texts[-1].rstrip().endswith("hotel")


def test_pool_is_the_word_weighted_mean_and_unit_length():
    pieces = Pieces(["a", "b1", "b2"], np.array([0, 1, 1]), np.array([1.0, 3.0, 1.0]))
    vecs = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    out = pieces.pool(vecs)
    np.testing.assert_array_equal(out[0], vecs[0])
    np.testing.assert_allclose(out[1], np.array([3, 1]) / np.sqrt(10), rtol=1e-6)


def test_medoid_is_the_piece_most_like_the_others():
    pieces = Pieces(["a", "b1", "b2", "b3"], np.array([0, 1, 1, 1]), np.array([1.0, 2.0, 2.0, 1.0]), how="medoid")
    vecs = np.array([[1, 0], [0, 1], [0.6, 0.8], [1, 0]], dtype=np.float32)
    out = pieces.pool(vecs)
    np.testing.assert_array_equal(out, vecs[[0, 2]])  # b2 is nearest to b1 and b3 together


def test_a_long_thread_is_read_by_its_main_topic_not_its_first_window(tmp_path):
    thread = BAG * 5 + REFUND * 16  # opens with the bag, mostly about the refund
    medoid = SentenceEmbedder(cache_dir=str(tmp_path), show_progress=False, long_texts="medoid")
    mean = SentenceEmbedder(cache_dir=str(tmp_path), show_progress=False, long_texts="mean")
    cut = SentenceEmbedder(cache_dir=str(tmp_path), show_progress=False)  # the default
    bag, refund = cut.transform([BAG, REFUND])
    m, a, t = medoid.transform([thread])[0], mean.transform([thread])[0], cut.transform([thread])[0]
    assert medoid.n_long_ == mean.n_long_ == cut.n_long_ == 1  # counted in every mode
    assert medoid.n_pieces_ >= 3 and cut.n_pieces_ == 0
    assert float(t @ bag) > float(t @ refund)  # truncated: the opening decides
    assert float(m @ refund) > float(m @ bag) and float(a @ refund) > float(a @ bag)
    assert float(m @ refund) > float(a @ refund) > float(t @ refund)  # the medoid is one real piece's vector
    pieces = medoid.split([thread])
    assert any(np.array_equal(m, v) for v in cut.transform(pieces.texts))
    # short texts: the same vectors in every mode; the pieces come from the cache on a re-run
    np.testing.assert_array_equal(medoid.transform([BAG, REFUND]), np.stack([bag, refund]))
    again = SentenceEmbedder(cache_dir=str(tmp_path), show_progress=False, long_texts="medoid")
    np.testing.assert_array_equal(again.transform([thread])[0], m)
    assert again.n_encoded_ == 0 and again.n_cached_ == again.n_pieces_ >= 3


def test_models_saved_before_keep_their_window_and_bad_mode_is_one_line():
    old = SentenceEmbedder(show_progress=False)
    del old.long_texts, old.max_pieces  # as unpickled from a model saved before the option existed
    old = pickle.loads(pickle.dumps(old))
    assert old.long_texts == "truncate" and old.split([THREAD]).owner is None
    with pytest.raises(InputError, match="embed.long_texts"):
        SentenceEmbedder(long_texts="pieces").fit()
