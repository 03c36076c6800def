"""Whether a lineage's name still describes the persona that continues it.

``name_still_fits(name, profile)``: a persona matched to a base persona continues its lineage and, by default,
its name (links, dashboards and people's habits survive a re-run). The name is kept only while it stays true
of the new fit, by the rules the namer applies to a fresh name (``ml.profile.naming``):

- a behaviour word ("Polite: …") holds only when the new persona's fingerprint still shows that effect, in
  that direction, at ``BEHAVIOR_MIN_EFFECT`` or more (and the word's ``LITERAL_FLOOR``);
- at least half of the phrase's content stems are among the new persona's top terms and phrases: the words
  the name is made of are still what sets the persona apart. Stems in the top terms of more than half of the
  run's personas ("flight" in an airline dump: ``common_stems``) say nothing about one persona and are left
  out of both counts. A persona without terms is not judged on its words, and event runs are not judged at all
  (``ml.lineage.compare``: their names are event labels and the namer's own words, "Heavy … users").

Otherwise the persona is published under the name this run gave it, and keeps the lineage's id; so is one
whose kept name another persona of the run already has (``distinct_names``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ml.profile.name_clash import content_stems
from ml.profile.naming import BEHAVIOR_MIN_EFFECT, BEHAVIOR_WORDS, literal_ok, split_behavior

PHRASE_SHARE = 0.5  # of the kept name's content stems that the new persona's top terms and phrases must hold


def behaviour_holds(word: str, fingerprint: list[dict], min_effect: float = BEHAVIOR_MIN_EFFECT) -> bool:
    """True when a feature whose adjective (for its direction) is ``word`` reaches ``min_effect`` in
    ``fingerprint`` (a profile's fingerprint entries) and its literal floor."""
    for f in fingerprint:
        words = BEHAVIOR_WORDS.get(f.get("feature"))
        diff = f.get("std_diff")
        if not words or diff is None or abs(diff) < min_effect or not literal_ok(f):
            continue
        if (words[0] if diff > 0 else words[1]) == word:
            return True
    return False


def _term_stems(profile: dict[str, Any]) -> set[str] | None:
    """Content stems of the profile's top terms and phrases; None when it has none."""
    terms = [t.get("term", "") if isinstance(t, dict) else str(t)
             for key in ("top_terms", "top_ngrams") for t in profile.get(key) or []]
    return content_stems(" ".join(terms)) if terms else None


def common_stems(profiles) -> frozenset[str]:
    """Stems in the top terms and phrases of more than half of ``profiles`` (a run's persona profiles)."""
    counts: Counter = Counter()
    n = 0
    for profile in profiles:
        stems = _term_stems(profile)
        if stems is not None:
            counts.update(stems)
            n += 1
    return frozenset(s for s, c in counts.items() if c > n / 2)


def name_still_fits(name: str, profile: dict[str, Any], common: frozenset[str] = frozenset()) -> bool:
    """Whether ``name`` (a base persona's) still describes the new persona of ``profile``; ``common``: the run's
    ``common_stems`` (module docstring)."""
    word, phrase = split_behavior(name)
    if word is not None and not behaviour_holds(word, profile.get("fingerprint") or []):
        return False
    stems, terms = content_stems(phrase) - common, _term_stems(profile)
    if not stems or terms is None:
        return True
    return len(stems & terms) >= PHRASE_SHARE * len(stems)


def distinct_names(personas: list) -> list:
    """``NewPersona`` records whose published names are unique: a kept name that equals another persona's name
    (ignoring case) goes back to this run's own name, which the namer made unique (``renamed_from`` says so)."""
    while True:  # a name given back can clash with another kept one: again until none does
        seen = Counter(p.name.lower() for p in personas)
        clash = [i for i, p in enumerate(personas) if seen[p.name.lower()] > 1 and p.name != p.own_name]
        if not clash:
            return personas
        personas = [p.model_copy(update={"name": p.own_name, "renamed_from": p.name}) if i in clash else p
                    for i, p in enumerate(personas)]
