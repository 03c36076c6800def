"""What a strategy warns of, and what it knows of its reader: the risks section, the evidence that states a
problem or reads negative, and the goal suggested when none is asked (``ml.strategy.generator`` composes them).

- ``risks(b)``: the risks of a strategy basis (a more negative tone or a problem before promotion, a small share,
  a one-day burst, mostly reassigned members, weak separation, no timestamps, no authors, and never by protected
  traits);
- ``problem_evidence(profile)`` / ``negative_evidence(profile)``: the evidence snippets that state a problem
  (when most do) / that VADER reads negative;
- ``authors_unknown(profile)``, ``suggested_goal(profile)``: support deflection where the data names no authors.
"""

from __future__ import annotations

import math
import re

from ml.profile.dates import one_day_burst
from ml.profile.describe import LOOSE_SEPARATION, one_voice_sentence
from ml.profile.spelling import is_negator
from ml.profile.tone import negative_flags, two_proportions
from ml.strategy.cite import cite as _cite


def mostly_reassigned(profile: dict) -> bool:
    """More than half of a persona's members were reassigned from noise (event runs: flagged as mixed): a loose
    grouping, which its risks, the report and (``mostlyForced`` in frontend/lib/runs.ts) its page caution about."""
    n = profile.get("reassigned_count")
    return bool(n) and n > (profile.get("size") or 0) / 2


def has_negator(text: str) -> bool:
    """A negator among ``text``'s words ("not working", "never arrived", "don't recognize")."""
    return any(is_negator(w) for w in re.findall(r"[\w'’]+", text))


def names_a_problem(label: str) -> bool:
    """A theme whose own words name a problem: a negator ("not working", "never arrived", "don't recognize") or
    wording VADER reads negative ("transfer failed", "wrong exchange rate"; ``ml.profile.tone``)."""
    return has_negator(label) or bool(negative_flags([label])[0])


def evidence_readings(profile: dict) -> tuple[list[str], list[str]]:
    """The evidence snippets (member ids) that read negative (VADER, the tone's own rule) and those that state a
    problem (that, or a negator), each snippet scored once; the two lists ``negative_evidence`` and
    ``problem_evidence`` read."""
    shown = [e for e in profile.get("evidence", []) if isinstance(e.get("text"), str)]
    flags = negative_flags([e["text"] for e in shown]) if shown else []
    negative = [e["member_id"] for e, bad in zip(shown, flags, strict=True) if bad]
    problem = [e["member_id"] for e, bad in zip(shown, flags, strict=True) if bad or has_negator(e["text"])]
    return negative, problem


def problem_evidence(readings: tuple[list[str], list[str]], shown: int) -> list[str]:
    """The evidence snippets (member ids) that state a problem, a negator or wording VADER reads negative ("Some
    cash was withdrawn in the app, but I did not do it"), when at least half of the ``shown`` snippets (and two)
    do; else none. VADER reads such reports neutral (the Banking77 persona of unrecognised withdrawals: 8 %
    negative), so the tone alone let retention advice "thank them for staying" and upsell "offer a trial of the
    upgrade at the moment “stolen” comes up"; a persona whose quoted members report a problem gets the problem
    wording. ``readings``: ``evidence_readings``."""
    hits = readings[1]
    return hits if len(hits) >= max(2, shown / 2) else []


def negative_evidence(readings: tuple[list[str], list[str]]) -> list[str]:
    """The evidence snippets (member ids) that read negative by the tone's own rule: a frustrated tone cites
    what shows the frustration, never a snippet VADER scores positive; none when no snippet reads negative."""
    return readings[0]


# a persona under this share of the members is a small segment (a convention: at 5 %, every persona of a run
# with 79 of them carried the risk, the largest (3.7 %) included, and it told the reader nothing)
SMALL_SHARE = 0.01


def risks(b) -> list[dict]:
    profile, risks = b.profile, []
    events = profile.get("kind") == "events"
    noun = "users" if events else "members"
    if b.negative and b.goal in ("acquisition", "upsell"):
        risks.append({"text": "This persona uses negative words more often than the others; promotion before its "
                              "issue is solved may backfire.", "citations": _cite(["tone:negative"])})
    elif b.problem and b.goal in ("acquisition", "upsell"):
        risks.append({"text": f"Most of its quoted members report a problem ({len(b.problem)} of "
                              f"{len(b.evidence)} snippets); promotion before it is solved may backfire.",
                      "citations": _cite(b.theme_refs[:1], b.problem[:2])})
    if said := outcome_difference(profile):
        risks.append(said)
    if profile["share"] < SMALL_SHARE:
        risks.append({"text": f"Small segment ({profile['size']:,} {noun}, {100 * profile['share']:.1f}% of all): "
                              "weigh the effort against the reach, and test on a sample before scaling.",
                      "citations": _cite(["profile:size"])})
    if voice := one_voice_sentence(profile):  # a plan for one customer's thread is no segment's (a support review)
        risks.append({"text": f"{voice.split(':', 1)[0]}: a plan for this persona reaches few people; check that "
                              "others write like this before acting on it.", "citations": _cite(["profile:size"])})
    if one_day_burst(b.activity):
        risks.append({"text": "Most of its members wrote on one date: a campaign, an outage or a promotion rather "
                              "than a lasting segment; check that it comes back before planning for it.",
                      "citations": _cite(["activity:busiest_date"])})
    if mostly_reassigned(profile):
        how = ("are flagged as mixed between personas (their event mix is split between patterns)"
               if events else "were attached to it from the noise, not found in its dense core")
        risks.append({"text": f"Most of its {noun} ({profile['reassigned_count']:,} of {profile['size']:,}) {how}: "
                              "messages will also reach people the core does not describe.",
                      "citations": _cite(["profile:size"])})
    sep = profile.get("separators") or {}
    if sep.get("accuracy") is not None and sep["accuracy"] < LOOSE_SEPARATION:
        risks.append({"text": f"The persona is only loosely separated from others (balanced accuracy "
                              f"{100 * sep['accuracy']:.0f}%); messages will also reach neighbouring personas.",
                      "citations": _cite(["separators:accuracy"])})
    if not b.activity.get("has_timestamps"):
        by_day = (b.activity.get("by_day") or {}).get("peak_day") is not None  # a chart by date to show
        risks.append({"text": "No time of day in the data: send times must be learned by testing." if by_day
                      else "No dates or times in the data: timing must be learned by testing.",
                      "citations": _cite(["activity:by_day" if by_day else "activity:has_timestamps"])})
    if authors_unknown(profile) and b.goal != "support_deflection":
        risks.append({"text": "The data names no authors: this persona is a kind of message, not a list of people. "
                              "Reach it where these messages arrive, or link them to customers before measuring "
                              "people (the KPIs below need that link).", "citations": _cite(["profile:size"])})
    risks.append({"text": "Target by behaviour and topic only, never by age, gender, ethnicity, religion, "
                          "health, income or family (none are inferred).",
                  "citations": _cite(["profile:size"])})
    return risks


def authors_unknown(profile: dict) -> bool:
    """A conversation persona of a run whose data names no authors (``distinct_authors`` recorded as None): its
    members are messages nobody can be reached by, a kind of message rather than a list of people. False for
    event personas and for profiles stored before the field."""
    return profile.get("kind", "conversations") != "events" and "distinct_authors" in profile \
        and profile["distinct_authors"] is None


def suggested_goal(profile: dict) -> str:
    """The goal a strategy is built for when none is asked: support deflection where the authors are unknown
    (answering these messages is what can be done with them), retention otherwise."""
    return "support_deflection" if authors_unknown(profile) else "retention"


def outcome_difference(profile: dict) -> dict | None:
    """An event persona whose users' outcome (``profile["outcome"]``, ``ml.events.outcomes.persona_outcome``; the
    outcome file, never used to form the personas) differs from the other personas' users' in one category by a
    small effect or more (Cohen's h ≥ 0.2, as the tone's rule) at p < 0.05 (``two_proportions``): said as a risk
    with the numbers, so a goal is not planned as if it were not there (KDD's light persona, 89.5 % dropout
    against 76 % of the others, got "Retention: keep these people" and nothing else). None otherwise."""
    o = profile.get("outcome") or {}
    if not o.get("categories") or not o.get("n") or not o.get("rest_n"):
        return None

    def h(c: str) -> float:
        return 2 * math.asin(math.sqrt(o["rates"].get(c, 0.0))) - 2 * math.asin(math.sqrt(o["rest"].get(c, 0.0)))

    # the largest difference; of a tie (a yes / no outcome: one side's gain is the other's loss) the category the
    # persona holds more of, so KDD's light persona reads "1 for 89.5 %", not "0 for 10.5 %"
    cat = max(o["categories"], key=lambda c: (round(abs(h(c)), 9), h(c) > 0))
    mine, rest = o["rates"].get(cat, 0.0), o["rest"].get(cat, 0.0)
    if abs(h(cat)) < 0.2 or two_proportions(mine, o["n"], rest, o["rest_n"]) >= 0.05:
        return None
    label = o.get("labels", {}).get(cat, cat)
    return {"text": f"Its users' {o['column']} differs from the other personas' users': {label} for "
                    f"{100 * mine:.1f}% of them against {100 * rest:.1f}% (the outcome file, not used to form the "
                    "personas); plan the goal with it, and measure it as well as the activity.",
            "citations": _cite([f"outcome:{cat}"])}
