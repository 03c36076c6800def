"""How much of a persona its name describes: the share of its members whose text holds the words of a part of
its name ("Card not working & refund": every content word of "card not working", or of "refund").

A Customer Support on Twitter review presented "Fixed it thanks", written by 2 of its 96 members, whose evidence
was mostly failures ("Didn't work …"): on messy data the best phrase of a loose persona can describe few of it.
The figure is shown beside the name (the persona page, the report), not turned into a rule: it says how far to
trust the name, and a low one sends the reader to the evidence.

``name_share(name, texts)``: the share of ``texts`` (up to ``MAX_TEXTS`` of them, the first) holding a part;
a text holds a part when its words, stemmed, include every content stem of the part ("my card isn't working"
holds "card not working"); a hyphenated word is held however its members write it ("top-up", "top up",
"topup", "top-ups": the name's words are joined, and so are the text's hyphenated words and neighbouring words; a
review read "Top-up was reverted" described 1 % of its members where 7 of 75 wrote "top up … reverted");
the behaviour word ("Brief: …") and a clash qualifier in brackets are not part of what the name says.
Two readings keep the figure from calling a fair name unfair (an explorer review on Banking77, 2026-12-06:
"Contactless stopped working" read 6 % where all 34 members asked about contactless not working, "ATM ate my
card" 11 % where 82 % were swallowed cards): a negation is no word to look for, however it is written ("isn't"
as "not" already was: "Card isn't working" read 12 %, "Card not working" would have read 55 %), and a part of
three content words or more (numbers aside: "Hold for two hours" still needs the two) is held by a text
holding all of them but one ("contactless … not working",
"the ATM swallowed my card"). On that run (the Banking77 test set, 73 personas) the names marked under
``FEW_NAME_SHARE`` went from 12 to 5, those of personas whose commonest intent is 80 % of them or more from 6 to
2; the airline tweets' 27 names (parts of one or two words) read as before (``scripts/eval_name_share.py``).
"""

from __future__ import annotations

import re
from itertools import pairwise

from ml.profile.behavior_words import split_behavior
from ml.profile.name_clash import WORD_RE, content_stems
from ml.profile.stems import stem

NAME_PARTS = re.compile(r" & |, ")  # "Transfer, how long & beneficiary": the phrases a name joins
MAX_TEXTS = 5000
# what a contraction's negation leaves as a word ("isn't" → "isn"); "not", "no", "never", "cannot" are stop words
_NEGATION_STEMS = frozenset({"isn", "aren", "wasn", "weren", "doesn", "didn", "don", "won", "couldn", "wouldn",
                             "shouldn", "hasn", "haven", "hadn", "ain", "aint", "mustn", "needn", "shan"})
# under this share of its members holding its words a name describes few of them: the persona page, the overview
# (frontend/lib/runs.ts FEW_NAME_SHARE) and the report say so
FEW_NAME_SHARE = 0.25


def _topic_parts(name: str) -> list[str]:
    """The parts of ``name`` as written, without its behaviour word and a clash qualifier in brackets."""
    from ml.profile.naming import FEW_AUTHORS, NO_TOPIC

    topic = re.sub(r"\s*\([^)]*\)\s*$", "", split_behavior(name)[1])
    if topic.lower() in (NO_TOPIC, FEW_AUTHORS.lower()):  # says no topic: there are no words of it to look for
        return []
    return [part.strip() for part in NAME_PARTS.split(topic) if part.strip()]


def _worded(stems: set[str]) -> bool:
    """A part holds a word, not only numbers ("#1" is no name to look for)."""
    return any(not s.startswith("#") for s in stems)


def part_shares(name: str, texts: list[str]) -> list[dict] | None:
    """For a name of two parts or more ("Refund & contacted the seller"): each part as written and the share of
    ``texts`` (the first ``MAX_TEXTS``) holding it, ``[{"part", "share"}]``; None for a name of one part or no
    texts. ``name_share`` counts a member holding any part, so "Refund & contacted the seller" read 92 % where
    the second part described 12 % of the members (a review, 2026-12-05)."""
    return name_figures(name, texts)[1]


def name_figures(name: str, texts: list[str]) -> tuple[float | None, list[dict] | None]:
    """``(name_share(name, texts), part_shares(name, texts))`` from one reading of each text."""
    parts = [(part, stems) for part, stems in ((p, _joined(p)) for p in _topic_parts(name)) if _worded(stems)]
    sample = texts[:MAX_TEXTS]
    if not parts or not sample:
        return None, None
    prefixes = _prefixes([stems for _, stems in parts])
    needs = [_needs(stems) for _, stems in parts]
    hits = [[numbers <= words and len(rest & words) >= need for numbers, rest, need in needs]
            for words in (_joined(text, prefixes) for text in sample)]  # stems, as the name's ("happi")
    share = round(sum(any(row) for row in hits) / len(sample), 4)
    if len(parts) < 2:
        return share, None
    return share, [{"part": part, "share": round(sum(row[k] for row in hits) / len(sample), 4)}
                   for k, (part, _) in enumerate(parts)]


def _needs(part: set[str]) -> tuple[set[str], set[str], int]:
    """What a text's stems must hold to hold a part: its numbers ("#2"), and of its words all, or all but one of
    three words or more."""
    numbers = {s for s in part if s.startswith("#")}
    rest = part - numbers
    return numbers, rest, len(rest) - 1 if len(rest) >= 3 else len(rest)


NUMBER_WORDS = {w: str(k) for k, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"])}
_NUMBER_RE = re.compile(r"(?<![\w.])(\d{1,3})(?![\w.,]\d)|\b(" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
# what a member's text holds that is no word of theirs: @handles ("@Uber_Support" held "uber"), placeholders of
# masked data ("[@user]" held "user"), links
_NOT_WORDS_RE = re.compile(r"@\w+|\[[^\]\s]{1,16}\]|https?://\S+|www\.\S+", re.IGNORECASE)


def _numbers(text: str) -> set[str]:
    """The numbers ``text`` writes, as "#2" for "two" or "2": a stop word for the terms, but "Hold for two hours"
    held "I was on hold for 3 hours" without them (a review, 2026-12-05)."""
    return {"#" + (m.group(1) or NUMBER_WORDS[m.group(2).lower()]).lstrip("0").rjust(1, "0")
            for m in _NUMBER_RE.finditer(text)}


def _joined(text: str, neighbours: frozenset[str] = frozenset()) -> set[str]:
    """``content_stems`` with each hyphenated word written joined ("top-up" → stem of "topup"); with
    ``neighbours`` (the first four letters of the name's longer stems, ``_prefixes``) also two neighbouring words
    joined where the joined word starts so ("top up" → stem of "topup"): only those can hold a name's word, and
    stemming every pair made the figure five times slower."""
    text = _NOT_WORDS_RE.sub(" ", text)
    words = WORD_RE.findall(text.lower())
    out = (set(content_stems(text)) - {stem(w) for w in words if "-" in w} - _NEGATION_STEMS) | _numbers(text)
    out |= {stem(w.replace("-", "")) for w in words if "-" in w}
    if neighbours:
        pairs = (a.replace("-", "") + b.replace("-", "") for a, b in pairwise(words))
        out |= {stem(j) for j in pairs if j[:4] in neighbours}
    return out


def _prefixes(parts: list[set[str]]) -> frozenset[str]:
    """The first four letters of the name's stems of five letters or more (a compound "topup" may be written
    "top up")."""
    return frozenset(s[:4] for part in parts for s in part if len(s) >= 5)


def name_share(name: str, texts: list[str]) -> float | None:
    """See the module docstring; None for a name with no content word or no texts."""
    return name_figures(name, texts)[0]
