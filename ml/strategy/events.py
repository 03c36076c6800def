"""What a strategy says differently for an event run's persona (users and their events, ``kind: events``).

A support dump's wording does not fit learners or product users: "thank them for staying with it" for a persona
whose users log a tenth of everyone's events (most of whom the outcome file says dropped out), a "repeat contact
rate" to measure, "no timestamps" under a chart of activity by date. Here:

- ``light(profile)``: the persona's users log at most ``LIGHT`` × everyone's events (``total_events`` in its
  fingerprint; the event namer's "Light" threshold); its retention and win-back messages and angle speak of
  re-engaging them (``REENGAGE``, ``LIGHT_ANGLE``: their words are in ``ml.strategy.wording``), citing that feature;
- ``EVENT_KPIS`` (``ml.strategy.wording``): per goal, measures of activity (events and active users per period),
  not of contacts;
- timing with dates but no times of day: ``ml.strategy.timing``;
- ``doing_more(profile)``: the events the persona gives at least everyone's share of its events (what its name may
  say, ``ml.events.profile._above``): the strategy's themes, so no offer is built on an event it does less
  ("Invite them to hear “access” news first" for a persona giving "access" 31 % of its events against 38 %);
- ``event_tone(profile)``: light users get short, one-step asks, heavy ones (``HEAVY`` × everyone's events) detail;
  the others a plain tone. A conversation persona's tone reads its writing; an event persona has none.
"""

from __future__ import annotations

from ml.events.config import EventProfileConfig
from ml.events.naming import EventNamer
from ml.strategy.cite import cite

LIGHT = EventNamer().light  # persona mean events per user ≤ this × everyone's: "Light … users"
HEAVY = EventNamer().heavy  # … ≥ this: "Heavy … users"
VOLUME = "total_events"
MIN_EFFECT = EventProfileConfig().min_effect  # standard deviations of the users' shares: what a name may say



def volume_ratio(profile: dict) -> float | None:
    """The persona's mean events per user over everyone's (``total_events``), or None."""
    for f in profile.get("fingerprint") or []:
        mine, everyone = f.get("persona_count_mean"), f.get("population_count_mean")
        if f.get("feature") == VOLUME and mine is not None and (everyone or 0) > 0:
            return float(mine) / float(everyone)
    return None


def light(profile: dict) -> bool:
    """An event persona whose users log at most ``LIGHT`` × everyone's events."""
    ratio = volume_ratio(profile)
    return profile.get("kind") == "events" and ratio is not None and ratio <= LIGHT


def doing_more(profile: dict) -> set[str]:
    """The events a name may say (``ml.events.profile._above``): those whose share of the persona's users' events
    exceeds their share of everyone's by ``MIN_EFFECT`` standard deviations (the fingerprint's ``std_diff``), else
    those at least at everyone's share (``persona_share`` and ``population_share``, each user counted once). A bare
    "at least everyone's" built KDD's "Light navigate users" a theme on "wiki", 1.24 % of their events against
    1.02 %, 4.3× fewer per user (an events review). For profiles made before 2026-12-05, from the fingerprint's
    mean counts per user: an event's mean over the mean of ``total_events`` is its pooled share."""
    fp = {f.get("feature"): f for f in profile.get("fingerprint") or []}
    if any(f.get("persona_share") is not None for f in fp.values()):
        weak = {name for name, f in fp.items() if f.get("persona_share") is not None
                and f["persona_share"] >= (f.get("population_share") or 0)}
        strong = {name for name in weak if (fp[name].get("std_diff") or 0) >= MIN_EFFECT}
        return strong or weak
    vol = fp.get(VOLUME) or {}
    mine_total, all_total = vol.get("persona_count_mean"), vol.get("population_count_mean")
    if not mine_total or not all_total:
        return set()
    return {name for name, f in fp.items() if f.get("group") == "event" and f.get("persona_count_mean") is not None
            and (f.get("population_count_mean") or 0) > 0
            and f["persona_count_mean"] / mine_total >= f["population_count_mean"] / all_total}


def event_tone(profile: dict) -> dict:
    """The tone section of an event persona (see the module docstring)."""
    ratio = volume_ratio(profile)
    if ratio is not None and ratio <= LIGHT:
        traits = ["encouraging", "one short step per message"]
    elif ratio is not None and ratio >= HEAVY:
        traits = ["direct and detailed: they know the product"]
    else:
        traits = ["plain and friendly"]
    refs = [f"feature:{VOLUME}"] if ratio is not None else ["profile:size"]
    return {"text": "Tone: " + "; ".join(traits) + ".", "traits": traits, "citations": cite(refs)}
