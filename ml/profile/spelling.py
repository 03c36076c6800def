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


def as_written(phrase: str, text: str, max_uses: int = 200) -> str:
    """``phrase`` (lower case, from c-TF-IDF vocabularies) with each word spelt as ``text`` (a persona's
    joined texts) writes it inside sentences, when one spelling other than the vocabulary's holds more than half of
    its uses, or, for a word of up to three letters, is written more often than the vocabulary's and three times or
    more ("DM" 6, "dm" 5, "Dms" 1 is "DM", where the majority rule left "Dm" once capitalised; "REFUND" 3, "Refund"
    2, "refund" 1 stays "refund"; a tie keeps the vocabulary's): "atm" → "ATM", "notting hill" → "Notting Hill",
    "iphone" → "iPhone", "havent" → "haven't" (terms drop apostrophes; a curly one is written straight); "bill"
    stays. Uses that open a text or a sentence and @handles are not counted, nor #hashtags unless the word is
    written as one only ("destinationdragons" → "DestinationDragons"); the first ``max_uses`` counted uses decide.
    A word's apostrophe keeps it one word ("don't" is not "don" and a "t" spelt apart)."""
    def spelt(m: re.Match) -> str:
        word = m.group(0)
        # "havent" finds "haven't" and "haven’t"
        pattern = _APOS.join(re.escape(c) for c in word.replace("'", "").replace("’", ""))
        forms, n = _uses(rf"(?<![\w@#'’]){pattern}(?![\w'’])", text, max_uses, in_sentence=True)
        if not n:  # written as a hashtag only
            forms, n = _uses(rf"(?<=#){pattern}(?![\w'’])", text, max_uses, in_sentence=False)
        if not n:
            return word
        form, count = forms.most_common(1)[0]
        # a majority of the uses; an acronym of up to three letters ("DM" 6, "dm" 5, "Dms" 1) by a plurality of three
        # uses or more (a verification found a sub-persona named "PAY & world" from two shouted tweets)
        wins = count > n / 2 or (len(word) <= 3 and count > forms.get(word, 0) and count >= 3)
        return form if form != word and wins else word
    return re.sub(r"[A-Za-z]+(?:['’][A-Za-z]+)*", spelt, phrase) if text else phrase


def _uses(pattern: str, text: str, max_uses: int, in_sentence: bool) -> tuple[Counter, int]:
    """The spellings of the first ``max_uses`` matches of ``pattern`` in ``text`` (with ``in_sentence``: those that
    do not open a sentence), and how many were counted."""
    forms, n = Counter(), 0
    for h in re.finditer(pattern, text, flags=re.IGNORECASE):
        if not in_sentence or not _sentence_start(text, h.start()):
            forms[h.group(0).replace("’", "'")] += 1
            n += 1
            if n >= max_uses:
                break
    return forms, n


CONJUNCTIONS = frozenset({"and", "or", "but", "nor"})  # "card and the payment" is two things, as "&" says
#: words that open another clause: between two words of an n-gram they write two statements, not one phrase ("my card
#: worked but the money disappeared" wrote the Banking77 name "Card but the money"); "and"/"or" may join two
#: nouns of one phrase ("Visa and Mastercard")
CLAUSE_WORDS = frozenset({"but", "because", "although", "though", "whereas", "unless"})  # not "so", "since",
# "until": "flight so late", "waiting since monday", "wait until tomorrow" are one phrase
MAX_GAP = 2  # stop words the vocabulary dropped between two words of an n-gram that a quote may put back
# what stands between two words of one phrase: spaces, commas, quotes; not a sentence end, nor an apostrophe (a word's
# own, as in "isn't": a separator that could also be a gap word's made long runs of quotes cubic to search)
_SEP = r"[^\w\n.!?'’]+"


# A phrase cut from a question keeps its question word when most of its uses follow it: the vocabulary drops
# "how" as a stop word, so "how long is delivery" came back as "long is delivery". English's question words, a
# closed class of the grammar (not a list fitted to one data set); "how" before "long" in 80 % of uses and more.
QUESTION_WORDS = frozenset({"how", "what", "why", "when", "where", "which", "who"})
# cardinals from two up, stop words the vocabulary drops between two words: a wording leaves them out ("hold for
# two hours" named the airline persona "Hold for two hours", whose members wrote 2, 3, 5 or 8 hours; 7 % of them
# held the name's words, 38 % wrote "hold"); a plural noun follows them, so the rest reads ("hold for hours")
CARDINALS = frozenset({"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
                       "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "hundred", "thousand"})
QUESTION_SHARE = 0.8
# the adverb particles of English phrasal verbs: a name that ends on "topping" where the members write
# "topping up" keeps the particle, as a question word is kept ("Fee for topping up", "Unable to log in")
PARTICLES = frozenset({"up", "out", "off", "in", "on", "down", "back", "over", "away"})
PARTICLE_SHARE = 0.5  # more than half of the phrase's uses (a plurality of one particle, as wordings are chosen)
_PREVIOUS_RE = re.compile(r"(?<![\w'’])([A-Za-z]+)[^\w\n.!?]+\Z")  # the word just before a position, same sentence


def _word(word: str) -> str:
    """A pattern of ``word`` as members write it: an apostrophe may be left out, and a hyphen may be a space or
    nothing ("top-up", "top up", "topup": one word in the vocabulary's compounds, three in the members' texts)."""
    return _APOS.join(r"[- ]?" if c == "-" else re.escape(c) for c in word)  # never a line break: texts are joined by them


def as_phrased(term: str, text: str, max_uses: int = 200, min_count: int = 2) -> str:
    """An n-gram of the c-TF-IDF vocabulary (stop words dropped: "app work", "havent received") as the members'
    texts most often write it, with the stop words put back ("app doesn't work"), each word spelt by
    ``as_written``: what a description quotes is then a phrase someone wrote. Up to ``MAX_GAP`` stop words
    (``ml.profile.terms.STOP_WORDS``, apostrophes dropped as the terms drop them) may stand between two words,
    inside one sentence; the first ``max_uses`` matches are counted and the commonest wording written at least
    ``min_count`` times wins (a tie: the shorter; one member's typo is no wording). A single word, or an n-gram
    no wording of which is written so often, is only spelt (``as_written``), unless the n-gram itself is never written
    as it reads: then the shortest wording written once is taken (the stop words of an n-gram include words such as
    "call": "phone call to book" and "phone to book" made "phone book"). A wording (or a single word) that follows
    the same question word in ``QUESTION_SHARE`` of its uses or more keeps it ("long is delivery" → "how long is
    delivery", "long" → "how long"). Counts (``CARDINALS``, and numbers) are not put back: "hold for two hours",
    "hold for three hours" and "hold for 45 hours" are the wording "hold for hours"."""
    words = term.split()
    if not text:
        return term
    if len(words) < 2:
        return as_written(_with_question(_with_negation(_with_particle(term, text, max_uses, min_count), text, max_uses,
                                                        min_count), text, max_uses), text)
    gap = rf"((?:{_SEP}[\w'’]+){{0,{MAX_GAP}}}?)"
    body = _word(words[0]) + "".join(f"{gap}{_SEP}{_word(w)}" for w in words[1:])
    forms: Counter = Counter()
    asked: dict[str, Counter] = {}  # form → the question word just before it, or "" (``QUESTION_WORDS``)
    for n, m in enumerate(re.finditer(rf"(?<![\w@#'’]){body}(?![\w'’])", text, flags=re.IGNORECASE)):
        if n >= max_uses:
            break
        fills = [re.findall(r"[\w'’]+", g or "") for g in m.groups()]
        # no clause word ("card but the money"); a number between is the vocabulary's gap too and, as a count,
        # not put back ("on hold for 45 minutes" is the wording "hold for minutes": without it, a review saw the
        # persona name "Hold minutes", an n-gram nobody wrote)
        if all(_droppable(t) for fill in fills for t in fill):
            tokens = [words[0]] + [t for w, fill in zip(words[1:], fills, strict=True)
                                   for t in [*(f for f in fill if f.lower() not in CARDINALS and not f.isdigit()), w]]
            form = " ".join(t.lower().replace("’", "'") for t in tokens)
            forms[form] += 1
            before = _PREVIOUS_RE.search(text, max(0, m.start() - 40), m.start())  # a window, not the whole text
            asked.setdefault(form, Counter())[before.group(1).lower() if before else ""] += 1
    negated = _negated_wording(forms)  # most uses negate it: "website is not working", not "website working"
    written = forms
    forms = Counter({f: c for f, c in forms.items() if c >= min_count})
    if not forms and written and term.lower() not in written:
        # no wording written twice, and the n-gram itself never written: the shortest wording someone wrote, not
        # the n-gram nobody did (a qualifier read "(phone book)" from "phone call to book" and "phone to book")
        forms = Counter({min(written, key=lambda f: (len(f.split()), -written[f], f)): 1})
    if not forms and negated is None:
        return as_written(_with_negation(_with_particle(term, text, max_uses, min_count), text, max_uses, min_count),
                          text)
    best = min(forms, key=lambda f: (-forms[f], len(f.split()), f)) if forms else negated
    if negated is not None and not any(is_negator(w) for w in best.split()):
        best = negated
    word, count = asked[best].most_common(1)[0]
    if word in QUESTION_WORDS and count >= QUESTION_SHARE * asked[best].total():  # "how long is delivery"
        best = f"{word} {best}"
    return as_written(_with_negation(_with_particle(best, text, max_uses, min_count), text, max_uses, min_count), text)


def _negated_wording(forms: Counter) -> str | None:
    """The commonest wording with a negator among the put-back words, when more than ``NEGATION_SHARE`` of all the
    wordings' uses have one ("website is not working", "website isn't working" against "website working"); one
    member's wording is enough here, since the negation, not the wording, is what most write. Else None."""
    negated = Counter({f: c for f, c in forms.items() if any(is_negator(w) for w in f.split())})
    if not negated or negated.total() <= NEGATION_SHARE * forms.total():
        return None
    return min(negated, key=lambda f: (-negated[f], len(f.split()), f))


# English's negators, a closed class of the grammar, and every "n't" contraction ("isn't", "doesnt": terms drop
# apostrophes): a single word that most of its uses negate is written negated ("working" → "not working"), so a
# name never says the opposite of what the members write ("Contactless & working")
NEGATORS = frozenset({"not", "no", "never", "cannot"})
NEGATION_SHARE = 0.5  # more than half of the word's uses (a majority, as for particles)
_NEGATOR_RE = re.compile(r"(?<![\w'’])([A-Za-z]+(?:['’][A-Za-z]+)?)[^\w\n.!?'’]+\Z")  # the word just before


_CONTRACTIONS = frozenset({"isn't", "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't", "can't", "couldn't",
                           "won't", "wouldn't", "shouldn't", "hasn't", "haven't", "hadn't", "mustn't", "needn't"})


# the helper verbs that a bare verb's "not" needs ("does not work", not "not work"; a review, 2026-12-05)
_AUXILIARIES = frozenset({"do", "does", "did", "will", "would", "can", "could", "should", "may", "might", "must"})


def _negator_form(word: str) -> str:
    """One spelling per negator, so that "didnt" and "didn't" count as one: the apostrophe put back."""
    w = word.lower().replace("’", "'")
    return w[:-2] + "n't" if w.endswith("nt") and w[:-2] + "n't" in _CONTRACTIONS else w


def is_negator(word: str) -> bool:
    """A negator: "not", "never", any "n't" contraction, and the contractions without their apostrophe ("isnt")."""
    w = word.lower().replace("’", "'")
    return w in NEGATORS or w.endswith("n't") or (w.endswith("nt") and w[:-2] + "n't" in _CONTRACTIONS)


def _words_before(form: str, text: str, max_uses: int, previous: re.Pattern) -> tuple[Counter, int]:
    """(the word just before each use of ``form`` in ``text``, in the same sentence, lower-cased, as ``previous``
    reads it; "" where none; and the number of uses read, at most ``max_uses``)."""
    body = _SEP.join(_word(w) for w in form.split())
    before: Counter = Counter()
    uses = 0
    for uses, m in enumerate(re.finditer(rf"(?<![\w@#'’]){body}(?![\w'’])", text, flags=re.IGNORECASE), start=1):
        prev = previous.search(text, max(0, m.start() - 40), m.start())
        before[prev.group(1).lower().replace("’", "'") if prev else ""] += 1
        if uses >= max_uses:
            break
    return before, uses


def _with_negation(form: str, text: str, max_uses: int, min_count: int) -> str:
    """``form`` led by the negator (``NEGATORS``, "n't") that stands just before it, in the same sentence, in more
    than ``NEGATION_SHARE`` of its uses (the commonest one, written at least ``min_count`` times): "working" →
    "not working" where the members write "not working" and "isn't working"; else ``form``."""
    words = form.split()
    if not words or is_negator(words[0]):
        return form
    counts, uses = _words_before(form, text, max_uses, _NEGATOR_RE)
    before: Counter = Counter()
    for w, c in counts.items():
        if w and is_negator(w):
            before[_negator_form(w)] += c
    if not before or before.total() <= NEGATION_SHARE * uses:
        return form
    negator, count = before.most_common(1)[0]
    if count < min_count:
        return form
    if negator in ("not", "never"):  # "does not work": the helper verb most of them write before it
        helpers, _ = _words_before(f"{negator} {form}", text, max_uses, _PREVIOUS_RE)
        helper, n = helpers.most_common(1)[0] if helpers else ("", 0)
        if helper in _AUXILIARIES and n > NEGATION_SHARE * count:
            return f"{helper} {negator} {form}"
    return f"{negator} {form}"


def _with_question(form: str, text: str, max_uses: int) -> str:
    """A single word led by the question word (``QUESTION_WORDS``) that stands just before it in ``QUESTION_SHARE`` of
    its uses or more: "long" → "how long" (a Banking77 family was "Transfer money & long"), as an n-gram keeps its
    question word; else ``form``."""
    if len(form.split()) != 1 or form.lower() in QUESTION_WORDS:
        return form
    before, uses = _words_before(form, text, max_uses, _PREVIOUS_RE)
    word, count = before.most_common(1)[0] if before else ("", 0)
    return f"{word} {form}" if word in QUESTION_WORDS and count >= QUESTION_SHARE * uses else form


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


# Two name parts ("transfer" & "failed") become one phrase ("Transfer failed", "Contactless not working") when
# more than half of the members who use both write them together, in one order, with at most ``MAX_GAP``
# stop words between: the name then says what they write, negation included, not two words side by side.
JOIN_SHARE = 0.5


def as_one_phrase(first: str, second: str, texts: list[str], min_count: int = 2) -> str | None:
    """``first`` and ``second`` (terms of the vocabulary, stop words dropped) as one phrase the way ``texts``
    (a group's member texts) write them, in the order more of them use, through ``as_phrased``; None when no more
    than ``JOIN_SHARE`` of the texts that hold both words write them as one phrase (stop words between them, no
    conjunction: "card and the payment" is two things), or fewer than ``min_count`` do, or when no more than
    ``JOIN_SHARE`` of the texts that hold the rarer part hold the other too: the parts are then two things the
    members write apart. On the airline tweets "airline" (164 of a persona's 1,017 members) and "fly" (94) became
    "Fly your airline", which 10 of them wrote: 14 of the 94 hold both, though 10 of those 14 write the phrase."""
    a, b = first.split(), second.split()
    if not a or not b:
        return None
    present = [re.compile(rf"(?<![\w@#'’]){_word(w)}(?![\w'’])", re.IGNORECASE) for w in a + b]
    gap = rf"(?:{_SEP}[\w'’]+){{0,{MAX_GAP}}}?"
    orders = [a + b, b + a]
    phrases = [re.compile(rf"(?<![\w@#'’]){_word(o[0])}" + "".join(rf"({gap}){_SEP}{_word(w)}" for w in o[1:])
                          + r"(?![\w'’])", re.IGNORECASE) for o in orders]
    both, written, holding = 0, [0, 0], [0, 0]  # holding: texts with every word of the first / second part
    for text in texts:
        found = [bool(p.search(text)) for p in present]
        holding[0] += all(found[:len(a)])
        holding[1] += all(found[len(a):])
        if not all(found):
            continue
        both += 1
        for k, pattern in enumerate(phrases):
            if any(_one_phrase(m.groups()) for m in pattern.finditer(text)):
                written[k] += 1
                break
    k = int(written[1] > written[0])
    if sum(written) < min_count or written[k] < min_count or sum(written) <= JOIN_SHARE * both \
            or both <= JOIN_SHARE * min(holding):  # most who write the rarer part write the other too
        return None
    phrase = as_phrased(" ".join(orders[k]), "\n".join(texts))
    # as_phrased writes the commonest wording of all uses, which may join them with "and": then they are two things
    return None if set(re.findall(r"[a-z]+", phrase.lower())) & CONJUNCTIONS - set(a + b) else phrase


def written_as_phrase(term: str, text: str, min_count: int = 2) -> bool:
    """Whether at least ``min_count`` of ``text``'s lines (a group's member texts joined by newlines) write the
    n-gram ``term`` as one phrase: its words in order, inside one sentence, with at most ``MAX_GAP`` stop words or
    numbers between them (what the vocabulary drops; ``as_phrased`` puts the stop words back). "flights to Nashville" and "Visa and Mastercard" write "flights
    nashville" and "visa mastercard"; "no flights. #Nashville" does not (the vocabulary's n-grams run across
    sentences), nor "flights for the snow in Nashville" (more than two words between, or not stop words). A
    single word is always written."""
    words = term.split()
    if len(words) < 2:
        return True
    gap = rf"(?:{_SEP}[\w'’]+){{0,{MAX_GAP}}}?"
    pattern = re.compile(rf"(?<![\w@#'’]){_word(words[0])}" + "".join(rf"({gap}){_SEP}{_word(w)}" for w in words[1:])
                         + r"(?![\w'’])", re.IGNORECASE)
    found, pos = 0, 0
    while found < min_count and (m := pattern.search(text, pos)):
        if all(_droppable(t) for g in m.groups() for t in re.findall(r"[\w'’]+", g or "")):
            found += 1  # one per text: go on at the next text (the texts are joined by newlines)
            end = text.find("\n", m.end())
            pos = len(text) if end < 0 else end + 1
        else:
            pos = m.start() + 1  # a wider match may hide a closer one after it ("card card declined")
    return found >= min_count


def _droppable(token: str) -> bool:
    """A word the vocabulary drops between two words of an n-gram that keeps them one phrase: a stop word but a
    word that opens another clause (``CLAUSE_WORDS``: "card but the money" is two statements), or a number
    ("flight 1234 late")."""
    word = re.sub(r"['’]", "", token.lower())
    return token.isdigit() or (word in STOP_WORDS and word not in CLAUSE_WORDS)


def _gap_word(token: str) -> bool:
    """A word that may stand between two words of one phrase as written: ``_droppable`` and not a number."""
    return _droppable(token) and not token.isdigit()


def _one_phrase(fills: tuple) -> bool:
    """True when the words between a match's terms are ``_gap_word`` s and none is a conjunction."""
    tokens = [t for fill in fills for t in re.findall(r"[\w'’]+", fill or "")]
    return all(_gap_word(t) and re.sub(r"['’]", "", t.lower()) not in CONJUNCTIONS for t in tokens)
