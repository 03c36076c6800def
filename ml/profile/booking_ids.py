"""Booking references and loyalty member numbers in member texts (``ml.profile.pii``'s ``[booking]``).

A booking's record locator is 5-8 letters and digits after "confirmation", "reservation", "PNR", … (airline
tweets: "confirmation # G8CVWJ", "Conf #ggqzqd", "reservation number F3KxB8"); with the traveller's surname it opens
the booking, so it is masked. A loyalty programme's member number ("frequent flyer # …", "mileage plus …") names
one member's account and is masked when it holds a digit. An all-digit number after a booking word stays readable,
as order numbers do (docs/privacy.md), and a word is no locator ("confirmation number", "reservation is", "booking
Expedia"): a booking code holds a digit, or is written in one case and is neither a dictionary word nor a stop word.
A second cue word before the code is read through ("booking reference ABC123", "AAdvantage member 12345678"); a
number before "points" or "miles" is a balance, not a member number.

A record locator also stands alone (``LOCATOR_RE``: "@Delta Yes, GEX8LD", "Booking ref [booking] and QMAS91 second
one is my son's", "@SouthwestAir F5R3ZZ"): six capitals and digits with at least one digit and three letters,
except the shapes of a US aircraft registration ("N598JB") and of an ICAO flight number or aircraft type
("UAL212", "ERJ145"), which name no one. On the airline tweets, the TWCS slice and Banking77 (29,644 texts) the
rule finds 57 codes: the 41 locators (16 of them with no cue word) and 16 registrations and flight or type codes,
which it keeps.
"""

from __future__ import annotations

import re

_BOOKING_CUE = r"confirmation|conf|reservation|booking|record\s+locator|locator|pnr"
_LOYALTY_CUE = (r"frequent\s+fl[iy]er|ff|loyalty|rewards?|member(?:ship)?|mileage\s*plus|skymiles|aadvantage|swrr|rr|"
                r"dividend\s+miles|trueblue|rapid\s+rewards")
BOOKING_RE = re.compile(
    rf"(?i)\b(?:(?P<booking>{_BOOKING_CUE})|(?P<loyalty>{_LOYALTY_CUE}))\b\s*(?:(?:number|no\.?|num|nr|code|id|"
    rf"is|was|:|#)\s*){{0,3}}#?\s*(?:(?:{_BOOKING_CUE}|{_LOYALTY_CUE}|reference|ref)\b\s*(?:(?:number|no\.?|#|:)\s*)?)?"
    r"(?P<code>[A-Za-z0-9]{5,12})\b(?!\s*(?:points|pts|miles)\b)"
)


def _word_like(code: str) -> bool:
    """A word, not a code: a dictionary word or a stop word ("number", "please", "which"; ``name_gate``'s lists,
    read from the model's files: neither spaCy nor scikit-learn is imported in the run's process)."""
    from ml.profile.name_gate import dictionary_word, stop_words

    return code.lower() in stop_words() or dictionary_word(code.lower())


def booking(m: re.Match) -> str:
    """``BOOKING_RE``'s match with its code masked as ``[booking]`` when it is one (see the module docstring)."""
    code = m.group("code")
    digits, letters = any(c.isdigit() for c in code), any(c.isalpha() for c in code)
    if m.group("booking"):  # letters alone: written in one case ("ABCDEF", "ggqzqd"), not a name ("Expedia")
        one_case = code.isupper() or code.islower()
        locator = len(code) <= 8 and ((digits and letters) or (letters and one_case and not _word_like(code)))
    else:  # a member number: digits in it
        locator = digits
    return m.group(0)[: m.start("code") - m.start()] + "[booking]" if locator else m.group(0)


LOCATOR_RE = re.compile(r"(?<![\w@#/.\-\[])(?=[A-Z]*\d)(?=(?:\d*[A-Z]){3})[A-Z0-9]{6}\b(?![-/.]\w)")
_NOT_LOCATOR_RE = re.compile(r"N\d{1,5}[A-Z]{0,2}|[A-Z]{3}\d{3}")  # a registration; an ICAO flight or type


def locator(m: re.Match) -> str:
    """``LOCATOR_RE``'s match as ``[booking]`` unless it has a registration's or flight code's shape."""
    return m.group(0) if _NOT_LOCATOR_RE.fullmatch(m.group(0)) else "[booking]"
