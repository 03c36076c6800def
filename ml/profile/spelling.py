"""Names spelt as a group's members write them: "ATM", "Notting Hill", "iPhone" (``as_written``), and
the first letter of a name in capitals unless its first word has a capital inside (``capitalized``).

Terms come from lower-cased c-TF-IDF vocabularies; persona, family and sub-persona names and the words a
description quotes are spelt back from the group's own texts here.
"""

from __future__ import annotations

import re
from collections import Counter

from ml.profile.terms import STOP_WORDS


def capitalized(name: str) -> str:
    """First letter in capitals, unless the first word is written with a capital inside ("iPhone", "eBay")."""
    first = name.split(" ", 1)[0]
    return name if any(c.isupper() for c in first[1:]) else name[:1].upper() + name[1:]


# @handles, #tags and masked handles ("[@user]") that open a tweet ("@united Thank you", "“@JetBlue: [@user] Thanks")
_LEADING_RE = re.compile(r"(?:(?:[@#][\w.]+|\[@\w+\])[\s:,]*)+$")
_APOS = "['’]?"  # an apostrophe the vocabulary dropped may stand between any two letters
_OPENERS_RE = re.compile(r"[^\w.!?:]+$")  # spaces, quotes, brackets, dashes, emoji before a word


def _sentence_start(text: str, at: int) -> bool:
    """True when position ``at`` of ``text`` opens the text, a line or a sentence; @handles, #tags, quotes,
    brackets and emoji before it do not count ("@united Thank you", "\"Thank you\"", "😉 Thanks")."""
    line = text.rfind("\n", 0, at) + 1
    before = _OPENERS_RE.sub("", text[max(line, at - 200):at])
    before = _OPENERS_RE.sub("", _LEADING_RE.sub("", before))
    return (not before and at - line <= 200) or (bool(before) and before[-1] in ".!?:")


def as_written(phrase: str, text: str, min_share: float = 0.5, max_uses: int = 200) -> str:
    """``phrase`` (lower case, from c-TF-IDF vocabularies) with each word spelt as ``text`` (a persona's
    joined texts) writes it inside sentences, when one spelling other than the vocabulary's holds more than
    ``min_share`` of its uses (a tie keeps the vocabulary's): "atm" → "ATM", "notting hill" → "Notting Hill",
    "iphone" → "iPhone", "havent" → "haven't" (terms drop apostrophes; a curly one is written straight); "bill"
    stays. Uses that open a text or a sentence, @handles and #hashtags are not counted; the first
    ``max_uses`` counted uses decide."""
    def spelt(m: re.Match) -> str:
        word, forms, n = m.group(0), Counter(), 0
        pattern = _APOS.join(re.escape(c) for c in word)  # "havent" finds "haven't" and "haven’t"
        for h in re.finditer(rf"(?<![\w@#'’]){pattern}(?![\w'’])", text, flags=re.IGNORECASE):
            if not _sentence_start(text, h.start()):
                forms[h.group(0).replace("’", "'")] += 1
                n += 1
                if n >= max_uses:
                    break
        if not n:
            return word
        form, count = forms.most_common(1)[0]
        return form if form != word and count > min_share * n else word
    return re.sub(r"[A-Za-z]+", spelt, phrase) if text else phrase


MAX_GAP = 2  # stop words the vocabulary dropped between two words of an n-gram that a quote may put back
_SEP = r"[^\w\n.!?]+"  # what stands between two words of one phrase: spaces, commas, quotes; not a sentence end


# A phrase cut from a question keeps its question word when most of its uses follow it: the vocabulary drops
# "how" as a stop word, so "how long is delivery" came back as "long is delivery". English's question words, a
# closed class of the grammar (not a list fitted to one data set); "how" before "long" in 80 % of uses and more.
QUESTION_WORDS = frozenset({"how", "what", "why", "when", "where", "which", "who"})
QUESTION_SHARE = 0.8
# the adverb particles of English phrasal verbs: a name that ends on "topping" where the members write
# "topping up" keeps the particle, as a question word is kept ("Fee for topping up", "Unable to log in")
PARTICLES = frozenset({"up", "out", "off", "in", "on", "down", "back", "over", "away"})
PARTICLE_SHARE = 0.5  # more than half of the phrase's uses (a plurality of one particle, as wordings are chosen)
_PREVIOUS_RE = re.compile(r"(?<![\w'’])([A-Za-z]+)[^\w\n.!?]+\Z")  # the word just before a position, same sentence


def _word(word: str) -> str:
    return _APOS.join(re.escape(c) for c in word)


def as_phrased(term: str, text: str, max_uses: int = 200, min_count: int = 2) -> str:
    """An n-gram of the c-TF-IDF vocabulary (stop words dropped: "app work", "havent received") as the members'
    texts most often write it, with the stop words put back ("app doesn't work"), each word spelt by
    ``as_written``: what a description quotes is then a phrase someone wrote. Up to ``MAX_GAP`` stop words
    (``ml.profile.terms.STOP_WORDS``, apostrophes dropped as the terms drop them) may stand between two words,
    inside one sentence; the first ``max_uses`` matches are counted and the commonest wording written at least
    ``min_count`` times wins (a tie: the shorter; one member's typo is no wording). A single word, or an n-gram
    no wording of which is written so often, is only spelt (``as_written``). A wording that follows the same
    question word in ``QUESTION_SHARE`` of its uses or more keeps it ("long is delivery" → "how long is
    delivery")."""
    words = term.split()
    if not text:
        return term
    if len(words) < 2:
        return as_written(_with_particle(term, text, max_uses, min_count), text)
    gap = rf"((?:{_SEP}[\w'’]+){{0,{MAX_GAP}}}?)"
    body = _word(words[0]) + "".join(f"{gap}{_SEP}{_word(w)}" for w in words[1:])
    forms: Counter = Counter()
    asked: dict[str, Counter] = {}  # form → the question word just before it, or "" (``QUESTION_WORDS``)
    for n, m in enumerate(re.finditer(rf"(?<![\w@#'’]){body}(?![\w'’])", text, flags=re.IGNORECASE)):
        if n >= max_uses:
            break
        fills = [re.findall(r"[\w'’]+", g or "") for g in m.groups()]
        if all(re.sub(r"['’]", "", t.lower()) in STOP_WORDS for fill in fills for t in fill):
            tokens = [words[0]] + [t for w, fill in zip(words[1:], fills, strict=True) for t in [*fill, w]]
            form = " ".join(t.lower().replace("’", "'") for t in tokens)
            forms[form] += 1
            before = _PREVIOUS_RE.search(text, max(0, m.start() - 40), m.start())  # a window, not the whole text
            asked.setdefault(form, Counter())[before.group(1).lower() if before else ""] += 1
    forms = Counter({f: c for f, c in forms.items() if c >= min_count})
    if not forms:
        return as_written(_with_particle(term, text, max_uses, min_count), text)
    best = min(forms, key=lambda f: (-forms[f], len(f.split()), f))
    word, count = asked[best].most_common(1)[0]
    if word in QUESTION_WORDS and count >= QUESTION_SHARE * forms[best]:  # "long is delivery": "how long is delivery"
        best = f"{word} {best}"
    return as_written(_with_particle(best, text, max_uses, min_count), text)


def _with_particle(form: str, text: str, max_uses: int, min_count: int) -> str:
    """``form`` with the particle (``PARTICLES``) that follows it in most of its uses (``PARTICLE_SHARE``), in
    the same sentence: the phrase is then a phrasal verb ("topping" → "topping up", "log" → "log in"); else
    ``form`` as it is."""
    if not form.split() or form.split()[-1].lower() in PARTICLES:
        return form
    body = f"{_SEP}".join(_word(w) for w in form.split())
    after: Counter = Counter()
    uses = 0
    pattern = rf"(?<![\w@#'’]){body}(?![\w'’])(?:{_SEP}([A-Za-z]+)(?![\w'’]))?"
    for uses, m in enumerate(re.finditer(pattern, text, flags=re.IGNORECASE), start=1):
        after[(m.group(1) or "").lower()] += 1
        if uses >= max_uses:
            break
    particle, count = max(((w, c) for w, c in after.items() if w in PARTICLES), key=lambda wc: wc[1],
                          default=("", 0))
    return f"{form} {particle}" if count >= min_count and count > PARTICLE_SHARE * uses else form
