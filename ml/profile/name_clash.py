"""Names unique within a run (``unique_names``): the persona, family and sub-persona namers and the event namer
all end with it; ``content_stems``, the words a name is compared by."""

from __future__ import annotations

import re
from collections.abc import Callable

from ml.profile.name_gate import verb_lemma
from ml.profile.stems import stem
from ml.profile.terms import STOP_WORDS

WORD_RE = re.compile(r"[a-z]+(?:-[a-z]+)*")  # a hyphenated compound is one word, as in the terms


def content_stems(text: str, unique: bool = True):
    """Snowball stems of the content words of ``text`` (stop words and non-letters left out), irregular verb forms
    by their base ("sent" as "send": a name "Sent & send" says one word twice)."""
    stems = [stem(verb_lemma(w)) for w in WORD_RE.findall(text.lower()) if w not in STOP_WORDS and len(w) > 1]
    return set(stems) if unique else stems


def name_key(name: str):
    """What two names are compared by (``unique_names``): their stems, in any order; a name of no word itself."""
    return frozenset(stem(w) for w in WORD_RE.findall(name.lower())) or name.lower()


def not_the_parents(name: str, parent: str, rest: list[str], phrase: Callable[[str], str] | None = None) -> str:
    """``name`` of a part (a sub-persona) unless it says what its ``parent``'s name says (``name_key``); then the
    first of ``rest`` (its next candidates) that adds a stem the parent's name lacks, written as ``phrase(candidate)``
    says (default: as it is), capitalised; else ``name``. The airline tweets' "Fly your airline" had a sub-persona of
    618 of its 1,017 members of the same name."""
    if name_key(name) != name_key(parent):
        return name
    known = content_stems(parent)
    for cand in rest:
        if content_stems(cand) - known:
            cand = phrase(cand) if phrase else cand
            return cand[:1].upper() + cand[1:]
    return name


def unique_names(names: dict[int, str], rest: dict[int, list[str]],
                 phrase: Callable[[int, str], str] | None = None,
                 topic: Callable[[str], str] | None = None) -> dict[int, str]:
    """Make ``names`` unique: two names clash when they are equal ignoring case or hold the same words once
    stemmed, in any order ("Exchange rate" / "Exchange rates", "Late flight" / "Flight late"; not "Card working" /
    "Card not working", "Log in" / "Log out": stop words count here); a clash gets the next unused candidate that
    adds new stems (``rest``), written as ``phrase(pid, candidate)`` says (default: as it is), and only as a last
    resort the persona id. ``topic``: the part of a name that says what it is about, compared in place of the whole
    name (persona names: without the behaviour word, so "Frequent: customer service" clashes with "Customer
    service" and gets its qualifier)."""
    def key(name: str):
        return name_key(topic(name) if topic else name)

    out, taken = {}, set()
    for pid, name in names.items():
        if name.lower() in taken or key(name) in taken:  # name.lower(): a name of no word ("#1") by itself
            stems = content_stems(name)
            for cand in rest.get(pid, []):
                new = f"{name} ({phrase(pid, cand) if phrase else cand})"
                if not content_stems(cand) & stems and new.lower() not in taken and key(new) not in taken:
                    name = new
                    break
            else:
                name = f"{name} (#{pid})"
        out[pid] = name
        taken |= {name.lower(), key(name)}
    return out
