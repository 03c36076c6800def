"""c-TF-IDF above ``vocab_sample`` texts: the vocabulary comes from a per-persona sample
(``ml.profile.terms.vocabulary_rows``), the counts from every text."""

import numpy as np

from ml.profile.terms import ClassTfidf, vocabulary_rows


def test_no_sample_at_or_below_the_limit():
    assert vocabulary_rows(np.zeros(100, dtype=int), 100) is None
    assert vocabulary_rows(np.zeros(100, dtype=int), None) is None


def test_sample_keeps_each_persona_share_and_a_floor_for_small_ones():
    labels = np.array([0] * 9000 + [1] * 900 + [2] * 100)
    rows = vocabulary_rows(labels, 2000, floor=150)
    assert np.all(np.diff(rows) > 0)  # sorted, no repeats
    taken = np.bincount(labels[rows], minlength=3)
    assert taken[0] == 1800 and taken[1] == 180  # the same 20 % of each large persona
    assert taken[2] == 100  # a persona below the floor is read whole
    assert np.array_equal(rows, vocabulary_rows(labels, 2000, floor=150))  # fixed by the seed


def _texts(rng, n_big=3000, n_small=60):
    big = [f"my parcel delivery is late again {w}" for w in rng.choice(["today", "sadly", "still"], n_big)]
    small = [f"refund for the broken blender {w}" for w in rng.choice(["please", "now"], n_small)]
    return big + small, np.array([0] * n_big + [1] * n_small)


def test_sampled_vocabulary_gives_the_same_terms_and_counts_from_every_text():
    texts, labels = _texts(np.random.default_rng(0))
    full = ClassTfidf((1, 1), vocab_sample=None).fit(texts, labels)
    sampled = ClassTfidf((1, 1), vocab_sample=500).fit(texts, labels)
    for cls in (0, 1):
        assert [t for t, _ in sampled.top_terms(cls, 4)] == [t for t, _ in full.top_terms(cls, 4)]
    # counts come from all 3,060 texts, not from the 500 sampled ones
    j = list(sampled.vocabulary_).index("parcel")
    assert sampled.counts_[0, j] == 3000
    assert "blender" in set(sampled.vocabulary_)  # the small persona's words were sampled (floor)


def test_counts_from_every_text_are_summed_a_chunk_at_a_time(monkeypatch):
    """Above the vocabulary sample the counts are summed COUNT_TEXTS texts at a time (no (n × terms) matrix
    of a 1M-text run): the same counts and weights as one pass."""
    from ml.profile import terms

    texts, labels = _texts(np.random.default_rng(1))
    one = ClassTfidf((2, 3), vocab_sample=500).fit(texts, labels)
    monkeypatch.setattr(terms, "COUNT_TEXTS", 37)
    chunked = ClassTfidf((2, 3), vocab_sample=500).fit(texts, labels)
    assert np.array_equal(chunked.counts_, one.counts_) and np.array_equal(chunked.weights_, one.weights_)
    assert one.counts_.sum() > 3000  # every text's n-grams were counted
