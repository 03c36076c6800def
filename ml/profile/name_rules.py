"""Person names found by rules, before and beside the name model (``ml.profile.pii``): a name after a cue
("my name is …", "spoke to …", "Mr …"), a census first name addressed in a greeting or closing a sentence
("Thanks Becky!", "No costume, Becky."), a census first name with an initial ("Kim Y"), a self-introduction ("It's Clare", "Rocky here"), a staff member named
after a role noun ("the driver Suresh"), and a capitalised word after a greeting closed by a comma that no
dictionary knows ("Hi Agour,"), and two or three capitalised words no dictionary knows after a contact cue ("Check with Sanket
Thakur"). Brand words ("Chipotle" for @ChipotleTweets), days and months are never names.
Nothing here imports spaCy: these rules also mask the few example texts the run's own process shows.
"""

from __future__ import annotations

import re

from ml.profile.first_names import common_surnames
from ml.profile.name_gate import NOT_NAMES as _NOT_NAMES
from ml.profile.name_gate import dictionary_word, has_dictionary
from ml.profile.name_gate import lower_first_names as _lower_first_names
from ml.profile.name_gate import stop_words as _stop_words

_UP = "A-ZÀ-ÖØ-Þ"
_CAP = rf"[{_UP}][\w'’-]*"  # a capitalised word (Latin-1 capitals: José, Élodie, D’Alia)
_PARTICLE = r"(?:de|del|della|di|da|du|van|von|der|den|la|le|bin|al|ter)"
# a title-case word ("Mary", "O’Brien", "McDonald"), not one in capitals: "THANK YOU SO MUCH" holds no name
_TITLE = rf"[{_UP}](?:[a-zß-öø-ÿ]|['’][{_UP}])[\w'’-]*"
# a final initial ("Lin S", "Kim Y."), never the pronoun "I" nor the article "A" ("thanks United I understand")
_FULL_NAME = rf"{_TITLE}(?:\s+(?:{_PARTICLE}\s+){{0,2}}(?:{_TITLE}|(?!(?:I|A)\b)[{_UP}]\.?(?!\w))){{1,3}}"
# cues that introduce a name: one capitalised word is enough after "my name is"; after weaker cues
# ("thanks", "spoke to", "ask for", "under") a full name of two or more capitalised words is required
NAME_CUE_RE = re.compile(
    rf"(?i:\b(?:my\s+name\s+is|my\s+name's|name\s*:|(?:last|first|full|sur|family)\s*name(?:\s+is)?:?"
    rf"|(?:his|her|their)\s+name\s+(?:is|was)|signed,?|regards,?|sincerely,?"
    rf"|mr\.?|mrs\.?|ms\.?|miss|dr\.?)"
    rf")\s+((?-i:{_CAP}(?:\s+(?:{_PARTICLE}\s+){{0,2}}{_CAP}){{0,3}}))"
    rf"|(?i:\b(?:thanks|thank\s+you|spoke\s+(?:to|with)|talked\s+to|ask\s+for|under|agent|rep|"
    rf"representative|manager|supervisor|i'm|i\s+am)),?\s+((?-i:{_FULL_NAME}))"
)
# a single first name addressed in a greeting or at the end of a sentence ("Thanks Becky!", "Hi Sam,", "No
# costume, Becky."): kept only when it is a US census first name and not the start of a brand's handle
_ADDRESSED_NAME_RE = re.compile(
    r"(?i:\b(?:thanks|thank\s+you|thx|hey|hi|hello|dear|cheers|bye))[ \t]*[,!]?[ \t]+([A-Z][a-z]{1,20})\b(?![ \t]+[A-Z])"
    r"|,[ \t]*([A-Z][a-z]{1,20})[ \t]*(?=[!.?]|$)"
    # a self-introduction: "It's Clare with no i", "this is Rocky", "Rocky here on flight AA2254"
    # (the name then ends the clause or goes on "with", "from", "here", "again": "It's Grace period" stays)
    r"|(?i:\b(?:this\s+is|it'?s|it’s|it\s+is))[ \t]+([A-Z][a-z]{1,20})\b(?!['’]s)"
    r"(?=[ \t]*(?:[,.!?;:)]|$|(?i:with|from|here|again|speaking)\b))"
    r"|(?:^|(?<=[.!?:]\s)|(?<=[.!?:]\s\s))([A-Z][a-z]{1,20})[ \t]+here\b"
)
# a staff member named after their role ("the driver Suresh", "agent Mike was great"): any capitalised word that
# is not an ordinary dictionary word, a stop word or a brand's (the census list misses many names)
# (a badge number may stand between: "account manager #22 Brent")
_ROLE_NAME_RE = re.compile(
    r"(?i:\b(?:driver|agent|rep|representative|manager|supervisor|captain|pilot|attendant|cashier|waiter|"
    r"waitress|officer|technician|engineer|associate|employee|courier|advisor|adviser))"
    r"(?:[ \t]+\#[ \t]?\d{1,6})?[ \t]+([A-Z][a-z]{1,20})\b(?![ \t]+[A-Z])(?!['’]s)"
)
# a first name shouted after thanks or a greeting ("THANK YOU LAUREN", "thanks LAUREN!"): all capitals, so the
# name model and the title-case rules above miss it; kept only when a census first name no dictionary knows
_SHOUTED_NAME_RE = re.compile(r"(?i:\b(?:thanks|thank\s+you|thx|hey|hi|hello|dear|cheers))[ \t]*[,!]?[ \t]+"
                              r"([A-Z]{3,20})\b(?![a-z])")
# a census first name with a surname's initial ("Mariah D and Kim Y were great", "Lilly M in SJU"): the way staff
# are named in thanks and complaints; the name model misses many of them. Not the pronoun "I" nor the article
# "A", and not a gate, seat or model ("B4", "S9": a letter or digit right after the initial)
# (its full stop goes with it inside a sentence: "Rhonda C. at Atlanta airport" → "[name] at Atlanta airport")
_INITIAL_NAME_RE = re.compile(rf"\b([A-Z][a-z]{{1,20}})[ \t]+(?!(?:I|A)\b)[{_UP}](?![\w'’@])(?:\.(?=[ \t]+[a-z]))?")
# a first name written in capitals anywhere ("LAUREN OMG BEST AIRLINE EVER" became a persona's second term): kept
# only when a census first name that no dictionary knows, as the shouted rule above, without its greeting
# (four letters or more: three capitals are an airport, "MIA", "SAL", "DEL")
_CAPS_WORD_RE = re.compile(r"(?<![\w@#^*\[])([A-Z]{4,20})(?![\w'’])")
# "my name is charles martin": up to three lower-case words after a self-introduction, up to a stop word
LOWER_NAME_CUE_RE = re.compile(r"(?i:\b(?:my\s+name\s+is|my\s+name's|name\s*:))\s+"
                                r"((?-i:[a-zß-öø-ÿ][a-zß-öø-ÿ'’-]+(?:\s+[a-zß-öø-ÿ][a-zß-öø-ÿ'’-]+){0,2}))")


def lower_cued_name(m: re.Match) -> str:
    stop, end = _stop_words(), None
    for w in re.finditer(r"\S+", m.group(1)):
        if w.group().lower() in stop:
            break
        end = w.end()
    if end is None:
        return m.group()
    a = m.start(1) - m.start()
    return m.group()[:a] + "[name]" + m.group()[a + end:]


_CALENDAR = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
                       "february", "march", "april", "may", "june", "july", "august", "september", "october",
                       "november", "december", "christmas", "xmas", "easter", "thanksgiving", "halloween"})
# voice assistants are greeted like people ("Hey Siri,")
_ASSISTANTS = frozenset({"siri", "alexa", "cortana", "bixby", "google"})


# two or three capitalised words after a contact cue ("Check with Sanket Thakur.", "spoke with Oluwaseun Adeyemi",
# "helped by Priya Raghunathan"): names the census list and the name model miss (a support review saw "Sanket Thakur"
# with a reference number in evidence). Every word must be one no dictionary knows and no brand's, so "check with
# Wells Fargo", "contact Customer Service" and "called American Express" stay
_CONTACT_NAME_RE = re.compile(
    r"(?i:\b(?:(?:check(?:ed)?|speak|spoke|spoken|talk(?:ed)?|chat(?:ted)?)[ \t]+(?:with|to)|"
    r"(?:helped|assisted|served|handled)[ \t]+by|named|ask(?:ed)?[ \t]+for|contact(?:ed)?))[ \t]+"
    r"([A-Z][a-z]{1,20}(?:[ \t]+[A-Z][a-z]{1,20}){1,2})\b"
)


def _unlisted_name(word: str, brands: set[str]) -> bool:
    """A capitalised word after a strong cue (a role noun, a greeting closed by a comma) that may be a name the
    census list lacks: not an ordinary dictionary word, a stop word, an assistant's or a brand's. Without the
    dictionary (the model's lemma tables missing) no such word is taken: every word would be."""
    w = word.lower()
    if not has_dictionary():
        return False
    return not (w in _NOT_NAMES or w in _ASSISTANTS or w in _stop_words() or dictionary_word(w)
                or brand_word(word, brands))


def addressed_names(text: str, brands: set[str]) -> str:
    """``_ADDRESSED_NAME_RE`` matches whose word is a census first name and no brand word → ``[name]``."""
    def one(m: re.Match) -> str:
        g = next(k for k in range(1, 5) if m.group(k))
        word = m.group(g)
        listed = word.lower() in _lower_first_names() and word.lower() not in _ASSISTANTS \
            and not brand_word(word, brands) \
            and not (g > 2 and word.lower() in _CALENDAR)  # "it's Sunday", "it's May": a day, not someone
        # "Hello Duke,", "Thanks Anjali!": a word no list knows, greeted, then a comma or the end of the sentence
        greeted = g == 1 and text[m.end():m.end() + 1] in ("", ",", "!", ".", "?", "\n") and _unlisted_name(word, brands)
        if not (listed or greeted):
            return m.group()
        if g == 2 and re.search(r"[A-Z][\w'’-]*$", text[:m.start()]):
            return m.group()  # "Paris, France.": a place after a capitalised word, not someone addressed
        a, b = m.start(g) - m.start(), m.end(g) - m.start()
        return m.group()[:a] + "[name]" + m.group()[b:]

    def role(m: re.Match) -> str:  # "rep Carol": after a role noun a census name is one, dictionary word or not
        if not (_unlisted_name(m.group(1), brands) or census_first(m.group(1), brands)):
            return m.group()
        return m.group()[: m.start(1) - m.start()] + "[name]"

    def shouted(m: re.Match) -> str:
        word = m.group(1)
        if not (census_first(word, brands) and has_dictionary() and not dictionary_word(word.lower())):
            return m.group()
        return m.group()[: m.start(1) - m.start()] + "[name]"

    def initial(m: re.Match) -> str:  # a census name no dictionary knows: "Kim Y", not "Will B" nor "Grace A"
        word = m.group(1)
        return "[name]" if census_first(word, brands) and has_dictionary() and not dictionary_word(word.lower()) else m.group()

    def caps(m: re.Match) -> str:
        word = m.group(1)
        return "[name]" if census_first(word, brands) and has_dictionary() and not dictionary_word(word.lower()) else m.group()

    def contact(m: re.Match) -> str:  # its first two or three words no dictionary knows: "Sanket Thakur", not
        words = m.group(1).split()      # "Wells Fargo"; "Sanket Thakur Today" is the name and a word after it
        n = next((k for k, w in enumerate(words) if not _unlisted_name(w, brands)), len(words))
        if n < 2:
            return m.group()
        cut = m.group(1).index(words[n - 1]) + len(words[n - 1])  # the end of the name's last word
        return m.group()[: m.start(1) - m.start()] + "[name]" + m.group(1)[cut:]

    text = _CONTACT_NAME_RE.sub(contact, text)
    text = _INITIAL_NAME_RE.sub(initial, _ADDRESSED_NAME_RE.sub(one, text))
    return _CAPS_WORD_RE.sub(caps, _SHOUTED_NAME_RE.sub(shouted, _ROLE_NAME_RE.sub(role, text)))


# two people named together, one of them masked (the NER took one and missed the other: "[name] and Marisol
# Pimentel were very pleasant", "Clarence and [name]"); "Paris, France" is not joined by "and"
_JOINED_AFTER_RE = re.compile(rf"\[name\]([ \t]+(?:and|&)[ \t]+)({_TITLE})(?:([ \t]+)({_TITLE}))?")
_POSSESSIVE_RE = re.compile(r"['’]s$")
_JOINED_BEFORE_RE = re.compile(rf"(?<![\w'’\[-])({_TITLE})([ \t]+(?:and|&)[ \t]+\[name\])")


def joined_names(text: str, brands: set[str]) -> str:
    """A census first name (not a brand's word, a day or an assistant) joined by "and" / "&" to a masked name is a
    name too, and so is a capitalised word after it that no dictionary knows (its surname): an audit of the airline
    tweets found "[name] and Marisol Pimentel", "[name] and Kelsey Jennings", "[name] & Norma Sedholm" (full names
    of agents and travellers) and "Clarence and [name]" in the written texts."""
    if "[name]" not in text:
        return _lower_surname(text, brands)

    def bare(word: str) -> tuple[str, str]:  # "Mary's" → ("Mary", "'s"): the possessive stays after the mask
        base = _POSSESSIVE_RE.sub("", word)
        return base, word[len(base):]

    def after(m: re.Match) -> str:
        first, owns = bare(m.group(2))
        if not census_first(first, brands):
            return m.group()
        last, last_owns = bare(m.group(4)) if m.group(4) else (None, "")
        surname = last is not None and not owns and has_dictionary() and not dictionary_word(last.lower()) \
            and last.lower() not in _stop_words() and not brand_word(last, brands)
        if surname:
            return "[name]" + m.group(1) + "[name]" + last_owns
        return "[name]" + m.group(1) + "[name]" + owns + ("" if last is None else m.group(3) + m.group(4))

    def before(m: re.Match) -> str:
        first, owns = bare(m.group(1))
        return "[name]" + owns + m.group(2) if census_first(first, brands) else m.group()

    return _lower_surname(_JOINED_BEFORE_RE.sub(before, _JOINED_AFTER_RE.sub(after, text)), brands)


_NAME_THEN_LOWER_RE = re.compile(r"(\[name\]|(?<![\w@#^*\[])[A-Z][a-z]{1,20})[ \t]+([a-z][a-z'’-]{2,20})(?![\w'’-])")


def _lower_surname(text: str, brands: set[str] = frozenset()) -> str:
    """A masked name, or a capitalised census first name, followed by a lower-case census surname that no dictionary
    knows is one name: an airline review read "[name] bussey treated me", and "@AmericanAir Derrick bussey" kept
    both (the name model saw no name). A surname that is also a word ("young", "king") stays a word."""
    def one(m: re.Match) -> str:
        first, word = m.group(1), m.group(2)
        named = first == "[name]" or census_first(first, brands)
        surname = named and word in common_surnames() and has_dictionary() and not dictionary_word(word) \
            and word not in _stop_words()
        return "[name]" if surname else m.group()

    return _NAME_THEN_LOWER_RE.sub(one, text)


def cued_name(m: re.Match) -> str:
    g = 1 if m.group(1) else 2
    return m.group()[: m.start(g) - m.start()] + "[name]"


def census_first(word: str, brands: set[str]) -> bool:
    """A census first name that is no brand's word, no assistant's name and no day or month."""
    w = word.lower()
    return w in _lower_first_names() and w not in _ASSISTANTS and w not in _CALENDAR and not brand_word(word, brands)


def brand_word(word: str, brands: set[str]) -> bool:
    """"Chipotle", "Xbox", "Comcast": the start of a brand account's handle (chipotletweets, xboxsupport). A census
    first name is a brand word only as a whole handle or its part before "_" ("Wendy" for wendys_help is not, "Mark"
    for marksandspencer is not: "Thanks Mark!" stays a person's name; "Delta" for delta is)."""
    w = word.lower()
    if len(w) < 4:
        return False
    if w in _lower_first_names():
        return any(b == w or b.split("_", 1)[0] == w for b in brands)
    return any(b.startswith(w) for b in brands)
