"""Behaviour words in persona names ("Late-night", "Brief", "Polite"): which feature gives which word, when the
effect is large enough to say it, and how a name carries it ("Polite: freeze my card").

A word leads a name only when the persona's strongest highlighted behaviour feature has |std_diff| of at least
``BEHAVIOR_MIN_EFFECT`` (the measurement behind it is in docs/profiles.md), for a word that states a level, the
persona's mean reaches it (``LITERAL_FLOOR``), and for a word that says the persona does something, most of its
members do it at all (``MOST``). ``name_note`` says what the word rests on.
"""

from __future__ import annotations

import numpy as np

from ml.profile.name_clash import content_stems
from ml.profile.spelling import capitalized

# feature → (adjective when higher, adjective when lower)
BEHAVIOR_WORDS = {
    "night_share": ("Late-night", "Daytime"),
    "business_hours_share": ("Office-hours", "After-hours"),
    "weekend_share": ("Weekend", "Weekday"),
    "exclaim_log": ("Exclamatory", None),
    "upper_ratio": ("All-caps", None),
    "repeated_punct": ("Emphatic", None),
    "politeness": ("Polite", None),
    "words_log": ("Long-form", "Brief"),
    "chars_log": ("Long-form", "Brief"),
    "emoji_log": ("Emoji-rich", None),
    "has_url": ("Link-sharing", None),
    "hashtags_log": ("Hashtag-heavy", None),
    "thread_depth_log": ("Deep-thread", None),
    "thread_size_log": ("Long-thread", None),
    "author_msg_count_log": ("Frequent", "One-off"),
    # authors who come back on other days: a help-desk audit read "Frequent" on a persona whose strongest effect was
    # spans 26× everyone's (4.7 vs 0.18 days), a word for its third (1.9× the messages). Not "Returning", which a
    # retail help desk reads as returning goods ("Returning: refund & exchange")
    "author_span_days_log": ("Repeat-contact", None),
    "digit_ratio": ("Number-quoting", None),  # "Detail-quoting" until 2026-12-07: jargon to a help-desk reviewer
    "question_log": ("Questioning", None),
    "first_person_ratio": ("First-person", None),  # "Personal" read as personal details
    "mentions_log": ("Multi-mention", None),
}

BEHAVIOR_MIN_EFFECT = 1.0  # |std_diff| (persona mean − population mean, in population stds)
# a word that states a level, not a difference, holds only when the persona's mean reaches it: "All-caps"
# says capitals are most of the letters, not that the persona writes more of them than others do (bank
# queries quoting "ATM", "PIN" or "USD" write 11–18 % of their letters in capitals against 5 %, std_diff 1–2.4);
# "Multi-mention" says a member mentions two accounts or more (mean log1p(mentions) ≥ log 3), not 1.5
# "Repeat-contact" says authors come back on another day: a typical span of a day or more (mean log1p(days) ≥ log 2),
# not 3 hours against everyone's 1; and most of its members' authors span a day or more (``MOST`` on the fingerprint's
# ``any_share``, counted from a day: ml.profile.fingerprint.PRESENCE_FROM)
LITERAL_FLOOR = {"upper_ratio": 0.5, "mentions_log": float(np.log1p(2)), "author_span_days_log": float(np.log1p(1))}
# a word said of a count or a length ("Long-form", "Brief", "Frequent") needs the persona's typical value to be
# half as much again as everyone's, or two thirds of it or less: a spread of emoji strings of 4.4 characters made
# 0.7 characters a "large" effect (1 std) and "Long-form" of them, and the issue that asked for these words named
# "Long-form" for 1.2× more words as what a reader rejects. A convention, as the 1.0 std above.
RATIO_FLOOR = 1.5
# a word that says the persona does something ("Polite", "Number-quoting", "Link-sharing", "Late-night") needs most
# of its members to do it at all (the fingerprint entry's ``any_share``, a share of members): an explorer review of
# Banking77 read "Detail-quoting: cash from an ATM" where 10.5 % of its 76 members wrote a digit (1.4 % elsewhere:
# a large effect, a minority) and "Polite: delete my account" where 28 % said please or thanks. "Most" is the word's
# own meaning, not a fitted value.
MOST = 0.5


def with_behavior(word: str | None, phrase: str) -> str:
    """The name: the phrase, led by the behaviour word and a colon when there is one. "Polite: freeze my card",
    "Late-night: Xbox store": the colon keeps the word apart from the phrase, which may be a verb phrase
    ("Polite freeze my card" reads as one). No word when it repeats a stem of the phrase ("Personal" before
    "personal details": the phrase says it already)."""
    if word and content_stems(word.replace("-", " ")) & content_stems(phrase):
        word = None
    return capitalized(f"{word}: {phrase}" if word else phrase)


# words of earlier versions, so names stored by them still split (a series' baseline name): old → current
LEGACY_WORDS = {"Personal": "First-person", "Detail-quoting": "Number-quoting", "Returning": "Repeat-contact"}


def split_behavior(name: str) -> tuple[str | None, str]:
    """``with_behavior`` undone: ``(behaviour word or None, phrase)``; a word of an earlier version
    (``LEGACY_WORDS``) comes back as today's."""
    head, sep, rest = name.partition(": ")
    words = {w for pair in BEHAVIOR_WORDS.values() for w in pair if w}
    if sep and head in LEGACY_WORDS:
        return LEGACY_WORDS[head], rest
    return (head, rest) if sep and head in words else (None, name)


def literal_ok(f: dict) -> bool:
    """False when fingerprint entry ``f``'s feature has a ``LITERAL_FLOOR`` that the persona's mean does not
    reach (a persona at 14 % capitals is not "All-caps", however far above the population's 5 %), or is a count
    or length (``*_log``) whose typical values differ by less than ``RATIO_FLOOR`` either way."""
    floor = LITERAL_FLOOR.get(f["feature"])
    if floor is not None and (f.get("persona_mean") is None or f["persona_mean"] < floor):
        return False
    if f["feature"].endswith("_log") and f.get("persona_mean") is not None and f.get("population_mean") is not None:
        a, b = np.expm1(f["persona_mean"]), np.expm1(f["population_mean"])  # the typical values (geometric means)
        if a > 0 and b > 0 and below_ratio_floor(a, b):
            return False
    return True


def below_ratio_floor(a: float, b: float) -> bool:
    """Whether typical values ``a`` and ``b`` (both above 0) differ by less than ``RATIO_FLOOR`` either way."""
    return 1 / RATIO_FLOOR < a / b < RATIO_FLOOR


def behavior_source(highlighted: list[dict], min_effect: float = BEHAVIOR_MIN_EFFECT) -> tuple[str, dict] | None:
    """``(adjective, fingerprint entry)`` of the strongest highlighted feature with |std_diff| >= ``min_effect``
    (and its ``LITERAL_FLOOR`` reached) that has a word for its direction, else None."""
    for f in sorted(highlighted, key=lambda f: -abs(f["std_diff"] or 0.0)):
        words = BEHAVIOR_WORDS.get(f["feature"])
        if words and f["std_diff"] is not None and abs(f["std_diff"]) >= min_effect and literal_ok(f):
            word = words[0] if f["std_diff"] > 0 else words[1]
            if word and (f["std_diff"] < 0 or most_show(f)):
                return word, f
    return None


def most_show(f: dict) -> bool:
    """Whether most of the persona's members show entry ``f``'s behaviour at all (``any_share`` ≥ ``MOST``); True
    where it is not measured (a feature that is a level, not a presence; runs before 2026-12-06)."""
    return f.get("any_share") is None or f["any_share"] >= MOST


def behavior_word(highlighted: list[dict], min_effect: float = BEHAVIOR_MIN_EFFECT) -> str | None:
    """The adjective of ``behavior_source``, else None."""
    source = behavior_source(highlighted, min_effect)
    return source[0] if source else None


def name_note(name: str, highlighted: list[dict], min_effect: float = BEHAVIOR_MIN_EFFECT) -> str | None:
    """What a name's behaviour word rests on, for people who read the name: "“Number-quoting” in the name: this
    persona uses digits for 12% of characters (population 3%)"; None for a name without one (or one whose
    word the highlights do not give, e.g. an LLM's)."""
    word, _ = split_behavior(name)
    source = behavior_source(highlighted, min_effect)
    if word is None or source is None or source[0] != word or not source[1].get("sentence"):
        return None
    return f"“{word}” in the name: this persona {source[1]['sentence']}"
