"""Names unique within a run (``unique_names``): the persona, family and sub-persona namers and the event namer
all end with it."""

from __future__ import annotations

import re

from ml.profile.stems import stem

_WORD_RE = re.compile(r"[a-z]+(?:-[a-z]+)*")  # as ml.profile.naming reads words: a hyphenated compound is one


def unique_names(names: dict[int, str], rest: dict[int, list[str]]) -> dict[int, str]:
    """Make ``names`` unique: two names clash when they are equal ignoring case or hold the same words once
    stemmed, in any order ("Exchange rate" / "Exchange rates", "Late flight" / "Flight late"; not "Card working" /
    "Card not working", "Log in" / "Log out": stop words count here); a clash gets the next unused candidate that
    adds new stems (``rest``), and only as a last resort the persona id."""
    from ml.profile.naming import content_stems  # naming imports this module

    def key(name: str):
        return frozenset(stem(w) for w in _WORD_RE.findall(name.lower())) or name.lower()

    out, taken = {}, set()
    for pid, name in names.items():
        if name.lower() in taken or key(name) in taken:
            stems = content_stems(name)
            for cand in rest.get(pid, []):
                new = f"{name} ({cand})"
                if not content_stems(cand) & stems and new.lower() not in taken and key(new) not in taken:
                    name = new
                    break
            else:
                name = f"{name} (#{pid})"
        out[pid] = name
        taken |= {name.lower(), key(name)}
    return out
