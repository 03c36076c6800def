"""ClassTfidf's memoised analyzer gives exactly scikit-learn's word analyzer with the same settings."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

from ml.profile.terms import STOP_WORDS, TOKEN_PATTERN, ClassTfidf, clean_for_terms, term_tokens
from tests.fixtures.data import shared_path


def sklearn_analyzer(ngram_range):
    return CountVectorizer(preprocessor=clean_for_terms, token_pattern=TOKEN_PATTERN,
                           stop_words=sorted(STOP_WORDS), ngram_range=ngram_range).build_analyzer()


def test_term_tokens_equal_sklearn_on_real_tweets():
    texts = pd.read_csv(shared_path("twitter_airline_sentiment", "Tweets.csv"), usecols=["text"])["text"]
    texts = texts.head(2000).tolist() + ["", "the a an", "Flight", "&amp; @united #delay ^KN", "it's don’t"]
    for ngram_range in [(1, 1), (2, 3), (1, 2), (3, 3)]:
        want = sklearn_analyzer(ngram_range)
        for text in texts:
            assert term_tokens(text, ngram_range) == want(text), (ngram_range, text)
    assert term_tokens(None) == [] and term_tokens(float("nan")) == []


def test_fitted_terms_equal_a_plain_count_vectorizer_and_pickle():
    texts = pd.read_csv(shared_path("twitter_airline_sentiment", "Tweets.csv"), usecols=["text"])["text"]
    texts = texts.head(3000).tolist()
    labels = np.arange(len(texts)) % 7
    for ngram_range in [(1, 1), (2, 3)]:
        fitted = ClassTfidf(ngram_range, 2, 30000).fit(texts, labels)
        plain = CountVectorizer(preprocessor=clean_for_terms, token_pattern=TOKEN_PATTERN,
                                stop_words=sorted(STOP_WORDS), ngram_range=ngram_range, min_df=2,
                                max_features=30000, binary=True, dtype=np.float64)
        X = plain.fit_transform(texts)
        assert list(plain.get_feature_names_out()) == list(fitted.vectorizer_.get_feature_names_out())
        assert (fitted.vectorizer_.transform(texts) != X).nnz == 0
        again = pickle.loads(pickle.dumps(fitted))
        assert (again.transform(texts[:50]) != fitted.transform(texts[:50])).nnz == 0


def test_the_words_memo_stops_filling_at_its_size_and_is_cleared(monkeypatch):
    from ml.profile import terms

    texts = [f"refund for order {i} never arrived, parcel lost {i % 7}" for i in range(300)]
    want = [sklearn_analyzer((1, 2))(t) for t in texts]
    terms.clear_term_memo()
    monkeypatch.setattr(terms, "WORDS_MEMO_SIZE", 100)
    first = [term_tokens(t, (1, 2)) for t in texts]
    assert len(terms._WORDS_MEMO) == 100  # the first 100 texts kept, none evicted for the later ones
    assert set(terms._WORDS_MEMO) == set(texts[:100])
    assert first == want == [term_tokens(t, (1, 2)) for t in texts]  # memoised or not, the same terms
    terms.clear_term_memo()
    assert terms._WORDS_MEMO == {}


def test_a_hyphenated_compound_is_one_term():
    """Real Banking77 and airline wording: "top-up" is one term (split, both halves are stop words and the
    topic vanished from terms and names); "check-in" and "wi-fi" too. A compound is dropped when one half is
    sensitive or profane, as a single word would be."""
    texts = ["My top-up failed again", "why did my top-up fail", "top-up reverted on my card",
             "the wi-fi at check-in was down", "no wi-fi on board, check-in slow", "my ex-wife has the card",
             "my ex-wife changed the pin", "refund the card fee", "card fee refund please"]
    assert term_tokens(texts[0]) == ["top-up", "failed"] and "check-in" in term_tokens(texts[3])
    assert term_tokens("covid-19 rules") == ["covid", "rules"]  # a part must start with a letter
    fitted = ClassTfidf((1, 1), 2).fit(texts, np.array([0, 0, 0, 1, 1, 2, 2, 3, 3]))
    vocab = set(fitted.vocabulary_)
    assert {"top-up", "wi-fi", "check-in"} <= vocab and "ex-wife" not in vocab
    assert fitted.top_terms(0, 1)[0][0] == "top-up"


def test_a_member_counts_a_term_once():
    """A real TWCS tweet pasted a traceroute ("70 ms  69 ms  69 ms" × 8 hops): "ms" was a top term of its
    family. Counted once per member, the words that several members use come first."""
    traces = ["@VerizonSupport " + " ".join(f"{i} 70 ms 69 ms 71 ms" for i in range(a, a + 8)) for a in (1, 9)]
    texts = traces + ["my internet keeps dropping", "internet down again, router reset",
                      "the internet is slow tonight", "router lights blinking, no internet", "refund my order",
                      "order refund please", "where is my order refund"]
    fitted = ClassTfidf((1, 1), 2).fit(texts, np.array([0] * 6 + [1] * 3))
    top = [t for t, _ in fitted.top_terms(0, 3)]
    assert top[0] == "internet"  # counting uses, "ms" (48 uses by 2 members) came first
    vocab = list(fitted.vocabulary_)
    assert fitted.counts_[0, vocab.index("internet")] == 4 and fitted.counts_[0, vocab.index("ms")] == 2


def test_a_pronouns_contraction_is_no_term_whatever_its_apostrophe():
    """A review found "Meet in DM & wed" and "wed" among six personas' terms: "we'd" without its apostrophe. A
    pronoun's contraction is dropped whole ("she'll" is not "shell", "he'll" not "hell"); a negation stays a term, as
    names spell it back ("haven't received")."""
    from ml.profile.terms import term_tokens

    assert term_tokens("We'd like to help, we’ll DM you") == ["help", "dm"]
    assert term_tokens("She'll call Shell today") == ["shell", "today"]  # the company, not her
    assert term_tokens("he'll be late") == ["late"]
    assert term_tokens("I haven't received my refund") == ["havent", "received", "refund"]
    assert term_tokens("youll love it, yall") == ["love"]  # written without apostrophes: stop words too
