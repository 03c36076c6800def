"""A recommendation's citations: the signals it rests on and the members it quotes, each once, in order
(``cite``); whether a signal reference names something in the profile (``resolve_citation``) and what it says in
words (``explain``, the strategy's ``cited_signals``)."""

from __future__ import annotations

from datetime import date

from ml.events.profile import busiest_stretch, event_label
from ml.ingest.timebasis import day_clock
from ml.profile.activity import format_hours
from ml.profile.describe import counted, days_with_shares, half_up_percent
from ml.profile.tone import rest_share

#: what a tone citation adds to the shares: the reading the default tone rests on
TONE_SUFFIX = {"like_others": "; its tone reads like the other personas'", "less_negative": "; fewer than the others'"}


def cite(signals=(), evidence=()) -> dict:
    return {"signals": list(dict.fromkeys(signals)), "evidence": list(dict.fromkeys(evidence))}


def fingerprint_of(profile: dict) -> dict[str, dict]:
    return {f["feature"]: f for f in profile.get("fingerprint", []) if f.get("std_diff") is not None}


def resolve_citation(profile: dict, ref: str) -> bool:
    """True when signal reference ``ref`` names something that exists in ``profile``."""
    kind, _, value = ref.partition(":")
    act = profile.get("activity") or {}
    if kind == "term":
        return value in {t["term"] for t in profile.get("top_terms", [])}
    if kind == "ngram":
        return value in {t["term"] for t in profile.get("top_ngrams", [])}
    if kind == "feature":
        return value in fingerprint_of(profile)
    if kind == "activity":
        return value == "has_timestamps" or bool(act.get(value))
    if kind == "separator":
        return value in {s["signal"] for s in (profile.get("separators") or {}).get("signals", [])}
    if kind == "separators":
        return value == "accuracy" and (profile.get("separators") or {}).get("accuracy") is not None
    if kind == "profile":
        return value in ("size", "share")
    if kind == "tone":
        reading = (profile.get("tone") or {}).get("reading")
        return (value == "negative" and reads_negative(profile)) or (value, reading) in (
            ("like_others", "like everyone"), ("less_negative", "less negative"))
    if kind == "outcome":  # an event persona's outcome category (ml.events.outcomes.persona_outcome)
        return value in ((profile.get("outcome") or {}).get("rates") or {})
    return False


def reads_negative(profile: dict) -> bool:
    """True when the persona's texts read more negative than the other personas' (``ml.profile.tone``)."""
    return (profile.get("tone") or {}).get("reading") == "more negative"


def explain(profile: dict, ref: str) -> str:
    """Signal reference ``ref`` in words (\"distinctive term “refund”\", a fingerprint sentence, …)."""
    kind, _, value = ref.partition(":")
    if kind in ("term", "ngram"):
        if profile.get("kind") == "events":  # an event run's terms are its events
            return f"event “{event_label(value)}”"
        return f"distinctive {'term' if kind == 'term' else 'phrase'} “{value}”"
    if kind == "feature":
        return fingerprint_of(profile)[value]["sentence"]
    act = profile.get("activity") or {}
    if ref == "activity:peak_hours":
        return f"busiest hours {format_hours(act['peak_hours'], act.get('time_basis'))}"
    if ref == "activity:peak_weekdays":
        return "busiest days " + days_with_shares(act, of=counted(act), clock=day_clock(act.get("time_basis")))
    if ref == "activity:by_day":
        return busiest_stretch(act["by_day"], act.get("resolution")).removeprefix("Its ").rstrip(".")
    if ref == "activity:busiest_date":
        day = date.fromisoformat(act["busiest_date"])
        return (f"{half_up_percent(act.get('busiest_date_share') or 0)}% of its members wrote on {day.day} {day:%b %Y}"
                + (f" (everyone: {half_up_percent(act['population_busiest_date_share'])}%)"
                   if act.get("population_busiest_date_share") is not None else ""))
    if ref == "activity:has_timestamps":
        return "data has timestamps" if act.get("has_timestamps") else "data has no timestamps"
    if kind == "separator":
        return f"separating signal {value}"
    if ref == "separators:accuracy":
        return f"surrogate balanced accuracy {100 * profile['separators']['accuracy']:.0f}%"
    if kind == "tone":
        tone = profile["tone"]
        rest = rest_share(tone)
        scorer = "VADER's word list" if str(tone.get("method", "")).startswith("VADER") else tone.get("method")
        return (f"{100 * tone['negative_share']:.0f}% of its members use negative words (the other personas' "
                f"members: {100 * rest:.0f}%; read by {scorer})" + TONE_SUFFIX.get(value, ""))
    if kind == "outcome":
        o = profile["outcome"]
        return (f"{o['column']} {o.get('labels', {}).get(value, value)}: {100 * o['rates'].get(value, 0.0):.1f}% of its "
                f"users ({o['n']:,}); the other personas' users: {100 * o['rest'].get(value, 0.0):.1f}% "
                f"({o['rest_n']:,})")
    noun = "users" if profile.get("kind") == "events" else "members"
    return f"{profile['size']:,} {noun}, {100 * profile['share']:.1f}% of all"
