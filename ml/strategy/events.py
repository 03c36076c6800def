"""What a strategy says differently for an event run's persona (users and their events, ``kind: events``).

A support dump's wording does not fit learners or product users: "thank them for staying with it" for a persona
whose users log a tenth of everyone's events (most of whom the outcome file says dropped out), a "repeat contact
rate" to measure, "no timestamps" under a chart of activity by date. Here:

- ``light(profile)``: the persona's users log at most ``LIGHT`` × everyone's events (``total_events`` in its
  fingerprint; the event namer's "Light" threshold); its retention and win-back messages and angle speak of
  re-engaging them (``REENGAGE``, ``LIGHT_ANGLE``: their words are in ``ml.strategy.wording``), citing that feature;
- ``EVENT_KPIS`` (``ml.strategy.wording``): per goal, measures of activity (events and active users per period),
  not of contacts;
- timing with dates but no times of day: ``ml.strategy.timing``.
"""

from __future__ import annotations

from ml.events.naming import EventNamer

LIGHT = EventNamer().light  # persona mean events per user ≤ this × everyone's: "Light … users"
VOLUME = "total_events"



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
