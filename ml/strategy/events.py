"""What a strategy says differently for an event run's persona (users and their events, ``kind: events``).

A support dump's wording does not fit learners or product users: "thank them for staying with it" for a persona
whose users log a tenth of everyone's events (most of whom the outcome file says dropped out), a "repeat contact
rate" to measure, "no timestamps" under a chart of activity by date. Here:

- ``light(profile)``: the persona's users log at most ``LIGHT`` × everyone's events (``total_events`` in its
  fingerprint; the event namer's "Light" threshold); its retention and win-back messages and angle speak of
  re-engaging them (``REENGAGE``, ``LIGHT_ANGLE``), citing that feature;
- ``EVENT_KPIS``: per goal, measures of activity (events and active users per period), not of contacts;
- timing with dates but no times of day: ``ml.strategy.timing``.
"""

from __future__ import annotations

from ml.events.naming import EventNamer

LIGHT = EventNamer().light  # persona mean events per user ≤ this × everyone's: "Light … users"
VOLUME = "total_events"

REENGAGE = ["On “{label}”: remind them where they left off and make the next step one click away",
            "On “{label}”: show what users who kept going did next",
            "On “{label}”: ask in one question what stopped them"]
LIGHT_ANGLE = {
    "retention": "reach them while they still come, around {themes}, before they drift away",
    "win_back": "make coming back one step, starting from {themes}",
}
EVENT_KPIS = {
    "acquisition": [("activation_rate", "share of new users who take up this persona's pattern within two weeks"),
                    ("cost_per_acquisition", "spend per new user like these")],
    "retention": [("active_next_period", "share of these users with any event in the next 7-day period"),
                  ("events_per_user", "events per user per week, against everyone's")],
    "win_back": [("reactivation_rate", "share of lapsed users with any event within 30 days of the message"),
                 ("events_after_return", "events per returning user in their first week back")],
    "support_deflection": [("self_service_completion", "share who finish the step without contacting support"),
                           ("support_contacts", "support contacts per 100 users of this persona")],
    "upsell": [("upgrade_rate", "share who take the paid upgrade"),
               ("revenue_per_user", "average revenue per user of this persona")],
}


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
