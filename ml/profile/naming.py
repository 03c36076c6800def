"""Readable, unique persona names from distinctive terms and behavior.

A name is ``"<Behavior> <term> & <term> <noun>"``, e.g. "Late-night delivery & refund chasers":

- behavior: the adjective of the strongest highlighted feature that has one (``BEHAVIOR_WORDS``),
  omitted when nothing stands out;
- terms: the persona's top two c-TF-IDF terms (or one when only one exists);
- noun: from the interaction/style signal that stands out ("askers" when it asks more questions, ...),
  else "talkers".

``unique_names`` makes names unique across a run: a clash gets the next distinctive term not yet used
in its name, and only as a last resort the persona id.
"""

from __future__ import annotations

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
    "digit_ratio": ("Detail-quoting", None),
    "question_log": ("Questioning", None),
    "first_person_ratio": ("Personal", None),
    "mentions_log": ("Multi-mention", None),
}
# feature → noun when higher
NOUNS = {
    "followup_share": "chasers",
    "is_reply": "responders",
    "thread_depth_log": "chasers",
    "question_log": "askers",
    "politeness": "thankers",
    "exclaim_log": "venters",
    "upper_ratio": "venters",
    "repeated_punct": "venters",
    "has_url": "sharers",
    "author_msg_count_log": "regulars",
}


def _behavior(highlighted: list[dict]) -> str | None:
    for f in highlighted:
        words = BEHAVIOR_WORDS.get(f["feature"])
        if words:
            word = words[0] if f["std_diff"] > 0 else words[1]
            if word:
                return word
    return None


def _noun(highlighted: list[dict], behavior: str | None) -> str:
    for f in highlighted:
        noun = NOUNS.get(f["feature"])
        if noun and f["std_diff"] > 0 and not (behavior and behavior.lower().startswith(noun[:4])):
            return noun
    return "talkers"


def persona_name(terms: list[str], highlighted: list[dict]) -> str:
    """Name from the persona's top terms and its highlighted fingerprint entries (strongest first)."""
    behavior = _behavior(highlighted)
    noun = _noun(highlighted, behavior)
    core = " & ".join(terms[:2]) if terms else "general"
    name = f"{behavior} {core} {noun}" if behavior else f"{core.capitalize()} {noun}"
    return name[0].upper() + name[1:]


def unique_names(names: list[str], terms: list[list[str]], ids: list) -> list[str]:
    """Make ``names`` unique; clashes get an extra distinguishing term, else ``(#id)``."""
    out = list(names)
    taken: set[str] = set()
    for i, name in enumerate(out):
        if name.lower() in {n.lower() for n in out[:i]} or name.lower() in taken:
            for t in terms[i][2:]:
                cand = f"{name} ({t})"
                if cand.lower() not in taken and cand.lower() not in {n.lower() for n in out}:
                    name = cand
                    break
            else:
                name = f"{name} (#{ids[i]})"
        out[i] = name
        taken.add(name.lower())
    return out
