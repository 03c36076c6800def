"""Terms shown as what a persona writes are used by several of its members (``ml.profile.terms.shown_min_count``),
not the words of two or three of them: a Banking77 review found "Hill, Notting" (3 of 45 members), "Austria"
(3 of 70) and "gym" (2 of 69) among the defining words on the overview."""

from __future__ import annotations

import numpy as np

from ml.profile.terms import ClassTfidf, shown_min_count


def test_the_floor_is_five_members_or_a_tenth_of_a_smaller_group():
    assert [shown_min_count(n) for n in (0, 12, 30, 45, 70, 10_000)] == [2, 2, 3, 5, 5, 5]


def test_a_term_of_three_members_is_not_shown_beside_common_ones():
    texts = (["my card payment was declined at the shop"] * 20 + ["card declined again at the ATM"] * 22
             + ["declined card while staying in notting hill"] * 3)
    texts += ["how do I change my address"] * 45
    labels = np.repeat([0, 1], 45)
    tfidf = ClassTfidf().fit(texts, labels)
    everything = [t for t, _ in tfidf.top_terms(0, 10)]
    shown = [t for t, _ in tfidf.shown_terms(0, 10)]
    assert "notting" in everything and "hill" in everything  # c-TF-IDF ranks the rare place high
    assert "notting" not in shown and "hill" not in shown and {"declined", "card"} <= set(shown)
    assert all(tfidf.counts_[0][list(tfidf.vocabulary_).index(t)] >= 5 for t in shown)


def test_a_persona_of_scattered_words_still_shows_its_best_few():
    words = ["apple", "brick", "cloud", "drum", "eagle", "flute", "grape", "harp", "igloo", "jelly", "kite",
             "lemon", "mango", "nutmeg", "olive"]
    texts = [f"the {words[i // 2]}" for i in range(30)] + ["other words here"] * 40  # each word in 2 texts of 30
    tfidf = ClassTfidf().fit(texts, np.repeat([0, 1], [30, 40]))
    assert shown_min_count(30) == 3 and tfidf.counts_[0].max() == 2
    shown = tfidf.shown_terms(0, 10)
    assert len(shown) == 3 and all(w > 0 for _, w in shown)  # none used by 3: the best three used by 2


def test_phrases_get_no_make_up_a_typical_phrase_needs_its_members():
    """A TWCS review: "Typical phrases" and the strategy's key messages stood on phrases 2 of 82 members wrote
    ("Wells Fargo", "case yesterday"). Phrases are shown with the floor and no make-up (``at_least=0``)."""
    texts = ["my card was declined at the shop today"] * 30 + ["my gym membership case yesterday"] * 2
    texts += ["how do I change my address"] * 32
    grams = ClassTfidf((2, 3)).fit(texts, np.repeat([0, 1], 32))
    shown = [t for t, _ in grams.shown_terms(0, 10, at_least=0)]
    assert "case yesterday" in [t for t, _ in grams.top_terms(0, 10)] and "case yesterday" not in shown
    assert "card declined" in shown or "declined shop" in shown
