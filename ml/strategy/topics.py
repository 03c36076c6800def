"""Which single words may stand as a strategy theme: a topic is a thing its members write about, a noun or a
name ("refund", "wifi", "JFK"), not an opinion ("worst", "great"), a verb ("fly", "know", "help") or an adverb
("online"). The airline tweets' "Customer service" persona read "prove that “customer service”, “worst”,
“experience” problems get fixed" and "Give a named follow-up owner for open “worst” cases".

``names_a_topic(word, texts)`` tags ``word`` where it stands in ``texts`` (the persona's evidence, up to
``CONTEXTS`` of those holding it; the word alone when none does) with spaCy's English tagger, the model the PII
masking already ships (``ml.profile.name_gate.SPACY_MODEL``), and says whether most of its uses are a noun or a
proper noun (a tie is not), and not one of the ``LIGHT_NOUNS`` (a unit of time, "thing", "way", "number", a courtesy: "thanks"). Phrases are not judged ("great service", "lost bag" name their topic). Without spaCy or its model
every word passes, as before.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ml.profile.name_gate import SPACY_MODEL

TOPIC_POS = frozenset({"NOUN", "PROPN"})
# nouns that measure or stand in for something rather than name it: units of time and the generic nouns (a closed
# class of English; a Banking77 review read "On “times”: link the self-service page", "On “week”: make coming back
# one step")
LIGHT_NOUNS = frozenset({
    "time", "times", "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks",
    "month", "months", "year", "years", "today", "tomorrow", "yesterday", "tonight", "morning", "night",
    "thing", "things", "stuff", "way", "ways", "lot", "lots", "bit", "kind", "sort", "something", "anything",
    "everything", "nothing", "one", "ones", "number", "numbers", "part", "parts",
    # courtesies, which the tagger reads as nouns: no topic (a support review read "Add an in-product or chat-bot flow
    # that resolves “thanks” without an agent")
    "thanks", "thank", "thankyou", "please", "hello", "hi", "hey", "bye", "welcome", "sorry", "apology",
    "apologies", "cheers",
})
CONTEXTS = 8
_CONTEXT_CHARS = 400


@lru_cache(maxsize=1)
def _tagger():
    """spaCy's tagger alone (no parser, no NER), loaded once; None when spaCy or its model is missing."""
    try:
        import spacy

        return spacy.load(SPACY_MODEL, exclude=["parser", "ner", "lemmatizer", "senter"])
    except (ImportError, OSError):
        return None


@lru_cache(maxsize=4096)
def _votes(word: str, contexts: tuple[str, ...]) -> tuple[int, int]:
    """(uses as a noun or name, other uses) of ``word`` in ``contexts``."""
    nlp = _tagger()
    topic = other = 0
    for doc in nlp.pipe(contexts):
        for tok in doc:
            if tok.lower_ == word:
                topic += tok.pos_ in TOPIC_POS
                other += tok.pos_ not in TOPIC_POS
    return topic, other


def names_a_topic(word: str, texts: list[str]) -> bool:
    """Whether the single word ``word`` is a noun or a name in most of its uses in ``texts`` (see the module
    docstring); True for a phrase, and for any word when no tagger is installed."""
    low = word.strip().lower()
    if low in LIGHT_NOUNS:
        return False
    if " " in word.strip() or _tagger() is None:
        return True
    pattern = re.compile(rf"(?<![\w]){re.escape(low)}(?![\w])", re.IGNORECASE)
    held = tuple(t[:_CONTEXT_CHARS] for t in texts if pattern.search(t[:_CONTEXT_CHARS]))[:CONTEXTS]
    topic, other = _votes(low, held) if held else (0, 0)
    if topic + other == 0:
        topic, other = _votes(low, (word.strip(),))
    # a word the tagger splits into several tokens ("wi-fi", "e-mail") matches none of them: no vote against it
    return topic > other or topic + other == 0
