"""Whether a lineage's name still describes the persona that continues it.

``name_still_fits(name, profile)``: a persona matched to a base persona continues its lineage and, by default,
its name (links, dashboards and people's habits survive a re-run). The name is kept only while it stays true
of the new fit, by the rules the namer applies to a fresh name (``ml.profile.naming``):

- a behaviour word ("Polite: …") holds only when the new persona's fingerprint still shows that effect, in
  that direction, at ``BEHAVIOR_MIN_EFFECT`` or more (and the word's ``LITERAL_FLOOR``), and a clock word
  ("Late-night", "Weekend") only where the new run's clock and dates allow a fresh name one (``clock_word_ok``);
- at least half of the phrase's content stems are among the new persona's top terms and phrases: the words
  the name is made of are still what sets the persona apart. Stems in the top terms of more than half of the
  run's personas ("flight" in an airline dump: ``common_stems``) say nothing about one persona and are left
  out of both counts. A persona without terms is not judged on its words. Event runs are judged by
  ``event_name_still_fits`` (their names are event labels and the namer's own words, "Heavy … users": the opening
  word must be the one this run's name has, and half the event words among the persona's top events).

- where the members' texts are at hand (``name_still_describes``), the name's words are in at least half as many
  of the new persona's members as the words of the name this run gave it (``name_share``): "Ticket & Cancelled
  Flighted" was kept on a persona of bookings and changes because "ticket" was still a top term, while 14 % of its
  members held the name's words and 4 % "Cancelled Flighted" (a re-runs review, thirty-eighth session); and each
  part of the name is written by at least as large a share of its members as of the whole run
  (``parts_set_apart``: "Flight & delayed" was kept on a persona none of whose members wrote "delayed").

Otherwise the persona is published under the name this run gave it, and keeps the lineage's id; so is one
whose kept name another persona of the run already has (``distinct_names``). A name stays with its lineage: when
this run's own name for a persona is the name a baseline persona of another lineage had, it gets a qualifier
from the persona's top terms ("Cancelled Flightled (rebooked)"; ``names_keep_their_lineages``), so a name never
seems to move from one persona to another between two runs of a series.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ml.ingest.timebasis import CLOCK_FEATURES, clock_words_allowed
from ml.profile.activity import date_bound
from ml.profile.behavior_words import (
    BEHAVIOR_MIN_EFFECT,
    BEHAVIOR_WORDS,
    literal_ok,
    most_show,
    split_behavior,
)
from ml.profile.fingerprint import said
from ml.profile.name_clash import content_stems

PHRASE_SHARE = 0.5  # of the kept name's content stems that the new persona's top terms and phrases must hold


def behaviour_holds(word: str, fingerprint: list[dict], min_effect: float = BEHAVIOR_MIN_EFFECT) -> bool:
    """True when a feature whose adjective (for its direction) is ``word`` reaches ``min_effect`` in
    ``fingerprint`` (a profile's fingerprint entries), its literal floor, most members showing it where it is a
    behaviour shown or not (``most_show``), and is said at all (``said``: enough members measured, beyond its
    standard error), as for a fresh name."""
    for f in fingerprint:
        words = BEHAVIOR_WORDS.get(f.get("feature"))
        diff = f.get("std_diff")
        if not words or diff is None or not said(f, min_effect) or not literal_ok(f) or (diff > 0 and not most_show(f)):
            continue
        if (words[0] if diff > 0 else words[1]) == word:
            return True
    return False


def clock_word_ok(word: str, activity: dict[str, Any]) -> bool:
    """False for a clock word ("Late-night", "Weekend", …) on a clock that is not the customers' own, and for
    "Weekend" / "Weekday" when the data's Saturdays or Sundays are their dates (``ml.profile.activity.date_bound``):
    the rules ``ml.profile.build`` applies to a fresh name. True for any other word."""
    features = {f for f, words in BEHAVIOR_WORDS.items() if word in words}
    if not features & set(CLOCK_FEATURES):
        return True
    if not clock_words_allowed(activity.get("time_basis")):
        return False
    weekend = activity.get("population_weekday_dates") or []
    return "weekend_share" not in features or not any(date_bound(e) for e in weekend[5:])


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
    if word is not None and not (behaviour_holds(word, profile.get("fingerprint") or [])
                                 and clock_word_ok(word, profile.get("activity") or {})):
        return False
    stems, terms = content_stems(phrase) - common, _term_stems(profile)
    if not stems or terms is None:
        return True
    return len(stems & terms) >= PHRASE_SHARE * len(stems)


EVENT_CLAIMS = ("Typical", "Heavy", "Light")  # the event namer's opening words (ml.events.naming.EventNamer.name)


def event_claim(name: str) -> str | None:
    """The volume or baseline word an event persona's name opens with ("Typical users (…)", "Heavy … users"), else
    None."""
    first = name.split(" ", 1)[0]
    return first if first in EVENT_CLAIMS else None


def event_name_still_fits(name: str, own: str, profile: dict[str, Any]) -> bool:
    """Whether a kept event persona's ``name`` still describes it: it opens with the word this run's own name for
    it (``own``) opens with ("Typical", "Heavy", "Light" or none: those words are claims about the users' volume that
    the namer makes afresh each run) and at least ``PHRASE_SHARE`` of its event words are among the persona's top
    events. An events review kept "Typical users (homepage & oucontent)" on a persona that logged 6.3× fewer events
    than average, which this run called "Light homepage users", beside another "Typical users (…)"."""
    if event_claim(name) != event_claim(own):
        return False
    stems, terms = content_stems(name) - content_stems(" ".join((*EVENT_CLAIMS, "users"))), _term_stems(profile)
    if not stems or terms is None:
        return True
    return len(stems & terms) >= PHRASE_SHARE * len(stems)


DESCRIBES_RATIO = 0.5  # of the fit's own name's share of members that a kept name's words must reach


def name_still_describes(name: str, profile: dict[str, Any], texts: list[str], run_texts: list[str] = (),
                         ratio: float = 1.5) -> bool:
    """Whether a kept ``name``'s words are in at least ``DESCRIBES_RATIO`` as many of ``texts`` (the new persona's
    members) as the words of its own name (``profile["name_share"]``), and not in so few that the explorer would
    mark it (under ``FEW_NAME_SHARE``) where its own name would not be (an explorer review, 2026-12-06: "Change
    my PIN" kept through a merge of three personas, then marked "name in 23%" on its own page); and, with
    ``run_texts`` (a sample of the whole run's members), whether each part of it still sets the persona apart
    (``parts_set_apart``, within ``ratio``). True where nothing can be measured."""
    from ml.profile.name_share import FEW_NAME_SHARE, name_figures

    if not texts or name == (profile.get("fit_name") or profile.get("name")):  # the fit's own name describes it
        return True
    share, parts = name_figures(name, texts)
    if share is None:
        return True
    if run_texts and not parts_set_apart(name, share, parts, run_texts, ratio):
        return False
    own = profile.get("name_share")
    return own is None or (share >= DESCRIBES_RATIO * own and (share >= FEW_NAME_SHARE or own < FEW_NAME_SHARE))


def parts_set_apart(name: str, share: float, parts: list[dict] | None, run_texts: list[str],
                    ratio: float = 1.5) -> bool:
    """Whether no part of ``name`` is written by a clearly smaller share of the persona's members (``share`` for a
    name of one part, else ``parts``: ``name_figures``) than of the whole run (``run_texts``): under the run's share
    divided by ``ratio`` (the lineage's ``growth_ratio``, within which a share counts as unchanged; a word at the
    run's rate, "flight" in an airline dump, is not judged on sampling noise). The words that set a persona apart
    are what its name is made of. A re-runs review of the airline tweets split by date: "Flight
    & delayed" was kept on a persona none of whose 56 members wrote "delayed" (7 % of the run did), "Flight &
    Cancelled" on one where 1.9 % wrote "cancelled" against 7.7 % of the run; "flight", in 30 % of every persona,
    carried both names past the other rules. Every other kept name of that series wrote each part 1.03 to 36 times
    as often as the run."""
    from ml.profile.name_share import name_figures

    run_share, run_parts = name_figures(name, run_texts)
    mine = [share] if parts is None else [p["share"] for p in parts]
    theirs = [run_share] if run_parts is None else [p["share"] for p in run_parts]
    return all(t is None or m >= t / ratio for m, t in zip(mine, theirs, strict=False))


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


def _qualifier(name: str, profile: dict[str, Any], taken: set[str]) -> str | None:
    """The first of the profile's top terms (as written) that adds a word to ``name`` and makes it unused."""
    stems = content_stems(name)
    for t in profile.get("top_terms") or []:
        word = (t.get("written") or t.get("term")) if isinstance(t, dict) else str(t)
        if word and content_stems(word) and not content_stems(word) & stems \
                and f"{name} ({word})".lower() not in taken:
            return word
    return None


def names_keep_their_lineages(personas: list, base_names: dict[str, str], profiles: dict) -> list:
    """``NewPersona`` records whose published name a baseline persona of another lineage had (``base_names``:
    lineage id → the baseline's name) get a qualifier from their top terms (``profiles``: persona id → profile);
    a persona that continues, or is a piece of, that lineage keeps the name as it is."""
    owners: dict[str, set[str]] = {}
    for lineage, name in base_names.items():
        owners.setdefault(name.lower(), set()).add(lineage)
    taken = {p.name.lower() for p in personas}
    out = []
    for p in personas:
        mine = {p.lineage_id, *p.parent_lineage_ids}
        other = owners.get(p.name.lower(), set()) - mine
        if other and not owners.get(p.name.lower(), set()) & mine:
            word = _qualifier(p.name, profiles.get(p.id) or {}, taken)
            if word is not None:
                p = p.model_copy(update={"name": f"{p.name} ({word})"})
                taken.add(p.name.lower())
        out.append(p)
    return out
