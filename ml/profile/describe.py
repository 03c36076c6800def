"""One-paragraph persona description built only from measured facts of the profile dict."""

from __future__ import annotations

from datetime import date

from ml.ingest.timebasis import day_clock
from ml.profile.activity import DATES_ONLY_NOTE, WEEKDAYS, date_bound_by, date_bound_days, format_hours
from ml.profile.dates import MIN_WEEKDAY_DATES, one_day_burst
from ml.profile.tone import tone_sentence


def _quote_list(items: list[str]) -> str:
    items = [f"“{t}”" for t in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def counted(act: dict) -> str:
    """What an activity's weekday counts count: "its events" for an event persona (event rows), else "its members"
    (the strategy's timing said "24% of its members" of a Moodle persona's event rows; an events review)."""
    return f"its {act.get('unit') or 'events'}" if act.get("unit") == "events" else "its members"


def days_with_shares(act: dict, of: str = "its members", clock: str = "", days: list[int] | None = None) -> str:
    """"Tuesday (68% of its members; everyone: 69%)": the busy days with their shares beside the whole
    data's share of the same days, so a day busy for everyone (the dates a dump happens to cover) reads as
    such. Two days: "Monday and Tuesday (30% and 25% of its members; everyone: 20% and 18%)". ``of``: what
    the counts count ("its events" for event personas, whose activity counts event rows); ``clock`` follows
    the days (``ml.ingest.timebasis.day_clock``: "Tuesday in UTC (71% of its members; everyone: 53%)"); ``days``:
    those of the busy days to name (default all)."""
    days = act["peak_weekdays"] if days is None else days
    own, pop = act.get("weekday") or [], act.get("population_weekday") or []

    def shares(counts: list[int]) -> str:
        total = sum(counts) if counts else 0
        return " and ".join(f"{100 * counts[d] / total:.0f}%" if total else "?" for d in days)

    return (" and ".join(WEEKDAYS[d] for d in days)
            + f"{clock} ({shares(own)} of {of}; everyone: {shares(pop)})")


def days_above_everyone(act: dict) -> list[int]:
    """The persona's busy days (``peak_weekdays``) on which it is busier than everyone: a day that holds a larger
    share of its members than of all members. A busy day below that is the dates the data covers, not a habit."""
    own, pop = act.get("weekday") or [], act.get("population_weekday") or []
    own_total, pop_total = sum(own), sum(pop)
    if not own_total or not pop_total:
        return []
    return [d for d in act.get("peak_weekdays") or [] if own[d] / own_total > pop[d] / pop_total]


def _one_day_reason(day: int, who: str, entry: dict) -> str:
    """"the data's Mondays are only 2 dates" / "its Tuesdays are mostly one date (31 Oct 2017: 90%)"."""
    whose, days = ("the data's" if who == "data" else "its"), WEEKDAYS[day] + "s"
    if entry["dates"] < MIN_WEEKDAY_DATES:
        return f"{whose} {days} are only {entry['dates']} date{'s' if entry['dates'] != 1 else ''}"
    busiest = date.fromisoformat(entry["busiest_date"])
    return f"{whose} {days} are mostly one date ({busiest.day} {busiest:%b %Y}: {100 * entry['busiest_share']:.0f}%)"


def date_reason(act: dict, days: list[int], in_all: bool = True) -> str | None:
    """Why the weekdays ``days`` are dates rather than a habit, or None when none is: the data covers fewer than
    the 7 weekdays ("the data covers only 4 of the 7 weekdays"), or each bound day's reason
    (``ml.profile.activity.date_bound_by``): "the data's Sundays and Mondays are only 1 or 2 dates each (9 dates
    in all)", "the data's Tuesdays are mostly one date (31 Oct 2017: 99%; 43 dates in all)", "its Fridays are
    mostly one date (3 Nov 2017: 80%)". ``in_all``: say how many dates the data covers where its dates are the
    reason (False inside another bracket: the weekend highlight, ``ml.profile.build``)."""
    covered = sum(1 for c in act.get("population_weekday") or [] if c)
    if 0 < covered < 7:  # a dump of a few days: its weekdays are the dates it covers, not a habit
        return f"the data covers only {covered} of the 7 weekdays"
    bound = [(d, why) for d in days if (why := date_bound_by(act, d)) is not None]
    if not bound:
        return None
    per_day = act.get("population_weekday_dates") or []
    total = f"{sum(e['dates'] for e in per_day)} dates in all" if per_day and in_all else ""
    counts = [e["dates"] for _, (who, e) in bound if who == "data" and e["dates"] < MIN_WEEKDAY_DATES]
    if len(bound) > 1 and len(counts) == len(bound):  # "the data's Sundays and Mondays are only 1 or 2 dates each"
        low, high = min(counts), max(counts)
        count = f"{low} date{'s' if low != 1 else ''}" if low == high else f"{low} or {high} dates"
        names = " and ".join(WEEKDAYS[d] + "s" for d, _ in bound)
        return f"the data's {names} are only {count} each" + (f" ({total})" if total else "")
    reason = " and ".join(_one_day_reason(d, who, e) for d, (who, e) in bound)
    if any(who == "data" for _, (who, _) in bound) and total:
        reason = reason[:-1] + f"; {total})" if reason.endswith(")") else f"{reason} ({total})"
    return reason


def short_dump_caveat(act: dict, days: list[int]) -> str:
    """", though the data's Mondays are only 2 dates (9 dates in all): the day says as much about when the data was
    taken as about this persona" (``date_reason``); "" when ``days`` are a habit."""
    reason = date_reason(act, days)
    if reason is None:
        return ""
    several = len(days) > 1 and (reason.startswith("the data covers only") or len(date_bound_days(act, days)) > 1)
    said = "the days say" if several else "the day says"
    return f", though {reason}: {said} as much about when the data was taken as about this persona"


def burst_clause(act: dict) -> str | None:
    """"most of its members (86%) wrote on one date, 31 Oct 2017 (everyone: 59%)" when the persona is that
    date's burst (``ml.profile.activity.one_day_burst``); None otherwise or without dates."""
    if not one_day_burst(act):
        return None
    share, everyone = act["busiest_date_share"], act.get("population_busiest_date_share")
    day = date.fromisoformat(act["busiest_date"])
    return (f"most of its members ({half_up_percent(share)}%) wrote on one date, {day.day} {day:%b %Y}"
            + (f" (everyone: {half_up_percent(everyone)}%)" if everyone is not None else ""))


def half_up_percent(share: float) -> int:
    """A share in whole percent rounded half up, as the explorer's note rounds it (0.885 → 89, not Python's 88)."""
    return int(100 * share + 0.5 + 1e-9)


def days_clause(act: dict, of: str = "its members", clock: str = "") -> str:
    """", most often on Tuesday in UTC (…)" with its caveat, naming only the busy days on which the persona is busier
    than everyone (``days_above_everyone``); "" when there is none: "most often on Tuesday and Monday (19% and 17%;
    everyone: 18% and 21%)" said nothing about the persona (an explorer review, 2026-12-06)."""
    days = days_above_everyone(act)
    if not days:
        return ""
    lead = "most often" if days[0] == act["peak_weekdays"][0] else "more often than everyone"  # the busiest left out
    return f", {lead} on " + days_with_shares(act, of=of, clock=clock, days=days) + short_dump_caveat(act, days)


def _activity_sentence(act: dict) -> str:
    """Peak hours and days, each with its clock ("14:00 UTC", "Monday in UTC"; ``ml.ingest.timebasis``): a
    persona most of whose members wrote on one date is said to be that date's burst instead of a weekday
    (``burst_clause``); hours that are everyone's are said to be; the hours' difference in plain words."""
    basis = act.get("time_basis")
    hours, everyone = act["peak_hours"], act.get("population_peak_hours")
    if everyone and sorted(hours) == sorted(everyone):
        sentence = f"It is busiest at the same hours as everyone ({format_hours(hours, basis)})"
    else:
        sentence = f"It is busiest at {format_hours(hours, basis)}"
        if everyone:
            sentence += f" (everyone: {format_hours(everyone, basis)})"
    burst = burst_clause(act)
    sentence += f"; {burst}" if burst else days_clause(act, clock=day_clock(basis))
    if act.get("hourly_difference") is not None:
        sentence += (f"; {100 * act['hourly_difference']:.0f}% of its members would have to write at other hours "
                     "to match everyone's daily rhythm")
    return sentence + "."


QUOTED_TERMS, QUOTED_PHRASES = 5, 3  # top terms and n-grams the description quotes


def quoted_order(grams: list[str], ranked: list[str] | None) -> list[str]:
    """``grams`` (c-TF-IDF order) with those in ``ranked`` first, in its order: the phrases the namer scored
    as most about the persona ("direct message") before the ones it scored low ("did thanks": filler)."""
    if not ranked:
        return list(grams)
    at = {g: i for i, g in enumerate(ranked)}
    return sorted(grams, key=lambda g: (0, at[g]) if g in at else (1, 0))  # stable: the rest keep their order


def describe(profile: dict, spell=None, ranked=None, skip=None) -> str:
    """Paragraph from size, terms, n-grams, activity, highlights and separators (no invented facts).
    ``spell``: term → the wording the members use ("atm" → "ATM", ``ml.profile.spelling.as_phrased``); None
    quotes the terms as they are. ``ranked``: phrases best first (the namer's candidates, ``quoted_order``);
    the quoted n-grams follow it, None keeps their c-TF-IDF order. ``skip``: words and phrases not to quote (one
    author alone wrote them: ``PersonaNamer.narrow_``)."""
    spell = spell or (lambda term: term)
    parts = [(
        f"{profile['size']:,} members ({100 * profile['share']:.1f}% of all kept members; "
        f"{profile['core_size']:,} core, {profile['reassigned_count']:,} reassigned from noise)."
    )]
    if voice := one_voice_sentence(profile):
        parts.append(voice)
    terms = [spell(t["term"]) for t in profile.get("top_terms", []) if t["term"] not in (skip or ())][:QUOTED_TERMS]
    if terms:
        parts.append(f"Its most distinctive words are {_quote_list(terms)}.")
    grams = [spell(g) for g in quoted_order([g["term"] for g in profile.get("top_ngrams", [])
                                             if g["term"] not in (skip or ())], ranked)]
    grams = grams[:QUOTED_PHRASES]
    if grams:
        parts.append(f"Typical phrases: {_quote_list(grams)}.")
    act = profile.get("activity", {})
    if not act.get("has_timestamps"):
        dated = act.get("note") == DATES_ONLY_NOTE
        parts.append("The data's timestamps are dates without a time of day, so no activity pattern is shown."
                     if dated else "The data has no timestamps, so no activity pattern is shown.")
    elif act.get("peak_hours"):
        parts.append(_activity_sentence(act))
    hl = profile.get("highlights", [])[:3]
    if hl:
        parts.append("Compared with everyone, it " + "; it ".join(hl) + ".")
    if tone := tone_sentence(profile.get("tone")):
        parts.append(tone)
    sep = profile.get("separators", {})
    if sep.get("accuracy") is not None:
        parts.append(separability_sentence(sep["accuracy"], "members"))
    return " ".join(parts)


# one author's share of a persona's members above which it is said to be as much one customer's thread as a
# segment: a convention (a third: the largest single voice no longer one among many), not fitted
ONE_VOICE_SHARE = 1 / 3


def one_voice_sentence(profile: dict) -> str | None:
    """"One author accounts for 15 of its 31 members (48%): …" when one author holds more than ``ONE_VOICE_SHARE``
    of a persona of several members, else "One author writes 55 of its 115 messages (48%): …" when one author of
    several wrote more than that share of its messages (``--unit author``: every member is one author); None
    otherwise or where authors are unknown."""
    top, size = profile.get("top_author_members"), profile.get("size") or 0
    if top and size >= 2 and top > ONE_VOICE_SHARE * size:
        return (f"One author accounts for {top:,} of its {size:,} members ({100 * top / size:.0f}%): read it as much "
                "as one customer's thread as a segment.")
    most, total = profile.get("top_author_messages"), profile.get("message_count") or 0
    if most and (profile.get("distinct_authors") or 0) >= 2 and most > ONE_VOICE_SHARE * total:
        return (f"One author writes {most:,} of its {total:,} messages ({100 * most / total:.0f}%): read it as much "
                "as one customer's voice as a segment.")
    return None


# balanced accuracy of the one-vs-rest classifier (chance: 0.5) under which a persona is "loosely separated", as
# the strategy's risks say (ml.strategy.generator), and under which it hardly is
LOOSE_SEPARATION, WEAK_SEPARATION = 0.7, 0.6


def separability_sentence(accuracy: float, noun: str) -> str:
    """How well a simple classifier tells the persona from the rest, in words that say how much that is worth: a
    persona near chance reads as a loose grouping, not a distinct segment. The figure is the balanced accuracy on
    held-out ``noun``, said as what it is: how often it is right, its members and the others counted equally."""
    how = (f"a simple classifier tells its {noun} apart from other personas' {noun} correctly {100 * accuracy:.0f}% of "
           f"the time on {noun} it had not seen (both sides counted equally; 50% is chance)")
    if accuracy < WEAK_SEPARATION:
        return f"It hardly stands apart: {how}. Read it as a loose grouping, not a distinct segment."
    if accuracy < LOOSE_SEPARATION:
        return f"It stands apart only in part: {how}."
    return f"It stands apart: {how}."
