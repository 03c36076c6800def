"""The name detector's prefilter (``may_hold_name``) on real tweets: it skips texts, never a capitalised name
(only ordinary dictionary words that open a sentence, which the NER tags as names by mistake)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ml.profile import name_gate, pii
from ml.profile.first_names import common_surnames, first_names
from ml.profile.masking import detect_brand_handles
from ml.profile.pii import PiiMasker, load_ner, may_hold_name
from tests.fixtures.data import shared_path

_CAP_WORD = re.compile(r"\b[^\W\d_][\w'’-]*")


@pytest.fixture(scope="module")
def real_texts() -> list[str]:
    """400 real tweets: 200 TWCS (both sides) and 200 airline ones."""
    twcs = pd.read_csv(shared_path("twcs_sample", "twcs_first5000.csv"))["text"].dropna().astype(str)
    air = pd.read_csv(shared_path("twitter_airline_sentiment", "Tweets.csv"))["text"].dropna().astype(str)
    return list(dict.fromkeys([*twcs.sample(200, random_state=3), *air.sample(200, random_state=3)]))


def _capitalised_words_removed(before: str, after: str) -> set[str]:
    left = set(_CAP_WORD.findall(after))
    return {w for w in _CAP_WORD.findall(pii.decode_entities(before)) if w[0].isupper() and w not in left}


def test_prefilter_loses_no_capitalised_name(real_texts, monkeypatch):
    brands = detect_brand_handles(real_texts)
    sent = sum(may_hold_name(PiiMasker._patterns(t)) for t in real_texts)
    fast = PiiMasker().mask_many(real_texts, brands)
    monkeypatch.setattr(pii, "may_hold_name", lambda text: True)
    full = PiiMasker().mask_many(real_texts, brands)
    assert sum("[name]" in f for f in full) >= 20  # the sample does hold names
    names = first_names() | common_surnames()
    for text, f, a in zip(real_texts, fast, full):
        left = _capitalised_words_removed(text, a) - _capitalised_words_removed(text, f)
        for word in left:  # only words capitalised by their place, never a census name
            starts = [m.start() for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", text)]
            assert word.lower() not in names, (word, text)
            assert any(name_gate.ordinary_opening(text, i, word) for i in starts), (word, text, f, a)
    assert sent <= 0.8 * len(real_texts)  # the point of the prefilter: fewer texts through the NER


def test_lower_case_names_in_real_tweets_are_masked():
    df = pd.read_csv(shared_path("twcs_sample", "twcs_first5000.csv"))
    texts = df.loc[df["text"].str.contains("loreen lee|charles martin", na=False), "text"].tolist()
    assert len(texts) == 2
    for out in PiiMasker().mask_many(texts, ["airasiasupport", "coxhelp"]):
        assert "loreen" not in out and "charles" not in out and "[name]" in out, out


@pytest.mark.parametrize("text,expected", [
    ("I am still waiting on my card?", False),  # Banking77: "I" only
    ("@united Thanks for nothing. The flight was late", False),  # chat word, stop word
    ("I'm sure we're late, Can't you help? Thank you", False),  # contractions split as spaCy does
    ("^AB *ErikS", False),  # sign-offs are never names
    ("Kevin at the desk was great", True),
    ("we spoke to kevin yesterday", True),  # a lower-case census first name
    ("Amazonの梱包がひどい", True),  # a script without case: the test says nothing, so the NER runs
    ("@united Luckily I made my flight", False),  # a dictionary word capitalised by its place
    ("The gate was closed. Arriving late again", False),  # after a full stop, a regular form ("arrive")
    ("@united they helped me.  Said bc TSA was down", False),
    ("Liam was great at the desk", True),  # not a dictionary word
    ("Smith was rude to me", True),  # a common census surname, though a dictionary word
    ("Grace helped me", True),  # a census first name
    ("we're good to go. -Tay", True),  # a sign-off after a dash
    ("the Weather was awful", True),  # capitalised in mid-sentence: not by its place
])
def test_may_hold_name(text, expected):
    assert may_hold_name(text) is expected


def test_only_the_ner_pipe_runs():
    assert load_ner().pipe_names == ["ner"]


def test_irregular_verbs_come_from_the_models_verb_table():
    from spacy.strings import get_string_id

    assert name_gate.VERB_TABLE == get_string_id("verb")  # the key of the lemmatiser's verb exceptions
    assert name_gate.verb_lemma("sent") == "send" and name_gate.verb_lemma("flew") == "fly"
    assert name_gate.verb_lemma("data") == "data" and name_gate.verb_lemma("flight") == "flight"  # no noun exceptions
    assert name_gate.verb_lemma("left") == "left" and name_gate.verb_lemma("found") == "found"  # "left luggage"
