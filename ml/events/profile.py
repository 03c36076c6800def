"""Persona profiles for event runs, in the shape of the conversation profiles (CONTRACTS §4).

``build_event_profiles(inputs: ProfileInputs, config) -> list[dict]``. Per persona: ``id``, ``size``,
``share``, ``core_size`` (users not flagged mixed), ``reassigned_count`` (users flagged mixed), ``name``,
``description``, ``top_events`` (``[{event, weight, lift, sentence}]``: weight = the event's share of the
persona's NMF component H; lift = the persona's mean count per user ÷ everyone's), ``top_terms`` (the same
events as ``[{term, weight}]`` so the strategy generator and term views work unchanged),
``top_ngrams`` (empty), ``activity`` (hours and weekdays when the data has times of day, else a day-offset
curve), ``fingerprint`` (one entry per event plus overall volume: persona vs population, standardized
difference, sentence), ``highlights``, ``evidence`` (example users: id and their top events, nothing
else) and ``separators`` (``ml.profile.separators.SurrogateSeparator`` over the event columns).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.events.config import EventProfileConfig
from ml.events.days import DayActivity, busiest_stretch
from ml.events.examples import done_more, examples, larger_part, said_separators, typical_users
from ml.events.naming import EventNamer
from ml.profile.activity import ActivityProfiler, format_hours
from ml.profile.describe import counted, days_clause, separability_sentence
from ml.profile.fingerprint import fmt_num, fmt_pct
from ml.profile.name_clash import unique_names
from ml.profile.separators import SurrogateSeparator

VOLUME = "total_events"


@dataclass
class ProfileInputs:
    users: np.ndarray          # (n,) user ids
    events: list[str]          # (m,) kept event names
    counts: np.ndarray         # (n, m) raw counts in the window
    X: np.ndarray              # (n, m) weighted matrix the model was fitted on
    components: np.ndarray     # (k, m) H
    membership: np.ndarray     # (n, k) W rows scaled to sum to 1
    labels: np.ndarray         # (n,)
    mixed: np.ndarray          # (n,) bool
    rows: pd.DataFrame         # kept event rows: user, event, count, day, hour, weekday
    resolution: str            # hour | day | offset | none
    time_basis: str | None = None  # the clock of hours and days (ml.ingest.timebasis): "UTC", "UTC+01:00", a zone…


def event_label(event: str) -> str:
    """An event name as people read it: columns that ``--event-col a,b`` joined with "|" are shown as
    "Assignment · Submission form viewed", with no closing full stop (Moodle's names end with one). The event
    names themselves (``top_events[].event``, ``top_terms``) stay as the data writes them."""
    return " · ".join(part.strip().rstrip(".").strip() for part in str(event).split("|")) or str(event)


REST_NAMES = 10  # other events a member text names at most, then "+N more" (its length at 1M users)


def mix_text(counts_row: np.ndarray, events: list[str], n: int = 3, also=(), rest: bool = False,
             labels: list[str] | None = None) -> str:
    """"forumng 45%, quiz 20%, homepage 15% (of 230 events)": a user's top events by share of their counts, and
    how many there were (an events review read "event_navigate 100%" for users of 5 and of 20 events alike, in a
    persona named "Light"). ``also``: event indices shown with their share too where the user did them (a
    persona's own events: a "quiz attempt" persona's evidence showed no quiz event, its four at 1 % each tied with
    the third shown); ``rest``: the other events the user did, named without shares (a member search for "quiz
    attempt" found 1 of a persona's 12 users who had such events), at most ``REST_NAMES`` of them, most done first.
    ``labels``: ``event_label`` of each event, when the caller has them (one per run, not one per user)."""
    total = counts_row.sum()
    if total <= 0:
        return "no activity"
    name = (lambda j: labels[j]) if labels is not None else (lambda j: event_label(events[j]))
    ranked = np.argsort(-counts_row, kind="stable")
    order = [int(j) for j in ranked[:n] if counts_row[j] > 0]
    order += [int(j) for j in also if counts_row[j] > 0 and int(j) not in order]
    share = (lambda j: f"{100 * counts_row[j] / total:.0f}%" if counts_row[j] / total >= 0.005 else "<1%")  # not "0%"
    mix = ", ".join(f"{name(j)} {share(j)}" for j in order)
    others = [int(j) for j in ranked if rest and counts_row[j] > 0 and int(j) not in order]
    cut = f" +{len(others) - REST_NAMES} more" if len(others) > REST_NAMES else ""
    more = f"; also {', '.join(name(j) for j in others[:REST_NAMES])}{cut}" if others else ""
    return f"{mix}{more} (of {total:,.0f} event{'' if round(total) == 1 else 's'})"


ALMOST_NONE = 0.1  # a persona's mean per user under this share of the average reads "almost no", not "N× fewer"


def lift_sentence(event: str, persona_mean: float, population_mean: float, quote: bool = True,
                  shares: tuple[float, float] | None = None) -> str:
    """"1.1× more “Course viewed” than average (8.1 vs 7.3 per user)"; event names are quoted (they are often
    sentences: "… more “The user has accepted the statement of the submission” than average"), not ``quote``.
    Within 5 % of the average: "about as many … as average". ``shares``: the event's share of the persona's
    events and of everyone's, said after the counts ("; 21% of their events, against 30% of everyone's"): a
    persona of heavy users does most events more often than average while giving some of them a smaller part
    of its events, which is what the fingerprint's bars, the personas and the name rest on; when the two point
    different ways the sentence says so ("…, but a smaller part of their events (21%, …)")."""
    event = event_label(event)
    if population_mean <= 0:
        return f"{event}: {fmt_num(persona_mean)} per user (nobody else)"
    lift = persona_mean / population_mean
    quoted = f"“{event}”" if quote else event
    if 1 / 1.05 < lift < 1.05:
        head = f"about as many {quoted} as average"
    elif lift >= 1:
        head = f"{lift:.1f}× more {quoted} than average"
    elif 0 < lift <= ALMOST_NONE:  # "293.1× fewer" on 0.03 per user against 8.9 read as precision (an events review)
        head = f"almost no {quoted}"
    elif lift > 0:
        head = f"{1 / lift:.1f}× fewer {quoted} than average"
    else:
        head = f"no {quoted} at all"
    counts = f"{fmt_num(persona_mean)} vs {fmt_num(population_mean)} per user"
    if not shares:
        return f"{head} ({counts})"
    against = f"{fmt_pct(shares[0])}, against {fmt_pct(shares[1])} of everyone's"
    part = f"{fmt_pct(shares[0])} of their events, against {fmt_pct(shares[1])} of everyone's"
    larger, smaller = larger_part(*shares), larger_part(shares[1], shares[0])  # never "a smaller part (4%, against 4%)"
    same = 1 / 1.05 < lift < 1.05
    if (lift >= 1.05 and smaller) or (lift <= 1 / 1.05 and larger) or (same and (larger or smaller)):
        return f"{head} ({counts}), but a {'larger' if larger else 'smaller'} part of their events ({against})"
    return f"{head} ({counts}; {part})"


CAP_QUANTILE = 0.99  # counts above the doers' 99th percentile count as it in a persona's mean per user


@dataclass
class UserMeasures:
    """What the sentences, bars and names read per user, once per run (``user_measures``):
    ``capped`` (n, m) counts, each capped at the ``CAP_QUANTILE`` of the users who did the event, and ``total`` (n,)
    events, capped at everyone's (KDD's busiest
    learner, 1,059 discussion events in a "Light" persona of 154, made it "1.9× more “event_discussion” than
    average"; capped, 5.3 against 5.5 per user); ``shares`` (n, m) each user's share of their own events (every
    user counts once, so no heavy user sets a persona's mix)."""

    capped: np.ndarray
    total: np.ndarray
    shares: np.ndarray


def _caps(counts: np.ndarray) -> np.ndarray:
    """Each column's ``CAP_QUANTILE`` over the users who did the event (with the zeros of everyone else, an event
    fewer than 1 % of users log would be capped at 0 and read "0 per user")."""
    caps = np.zeros(counts.shape[1])
    for j in range(counts.shape[1]):
        done = counts[:, j][counts[:, j] > 0]
        caps[j] = np.quantile(done, CAP_QUANTILE) if done.size else 0.0
    return caps


def user_measures(counts: np.ndarray) -> UserMeasures:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum(axis=1)
    caps = _caps(counts)
    shares = np.divide(counts, total[:, None], out=np.zeros_like(counts), where=total[:, None] > 0)
    cap_total = float(np.quantile(total, CAP_QUANTILE)) if len(total) else 0.0
    return UserMeasures(np.minimum(counts, caps), np.minimum(total, cap_total), shares)


def _fingerprint(inp: ProfileInputs, mask: np.ndarray, um: UserMeasures) -> list[dict]:
    """One entry per event: the bar (``std_diff``) is the persona's mean share of its users' events against
    everyone's, in standard deviations of the users' shares (``persona_mean``/``population_mean`` and
    ``persona_share``/``population_share``: the share the sentence states); the counts per user are capped
    (``UserMeasures``). Plus ``total_events``: log events per user for the bar, capped counts for the sentence."""
    raw_total = inp.counts.sum(axis=1)
    cols = [(e, um.shares[:, j], um.capped[:, j], inp.counts[:, j], "event") for j, e in enumerate(inp.events)]
    cols.append((VOLUME, np.log1p(raw_total), um.total, raw_total, "activity"))
    out = []
    for name, measure, capped, raw, group in cols:
        mu, sd = float(measure.mean()), float(measure.std())
        pm = float(measure[mask].mean())
        p_raw, q_raw = float(capped[mask].mean()), float(capped.mean())
        shares = (pm, mu) if group == "event" else None
        sentence = lift_sentence("events in total" if name == VOLUME else name, p_raw, q_raw, quote=name != VOLUME,
                                 shares=shares)
        std_diff = (pm - mu) / sd if sd > 1e-12 else None
        entry = {"feature": name, "group": group, "persona_mean": pm, "population_mean": mu, "std_diff": std_diff,
                 "coverage": float((raw[mask] > 0).mean()), "persona_count_mean": p_raw,
                 "population_count_mean": q_raw, "sentence": sentence,
                 "_said": std_diff is not None and _says_the_same_way(std_diff, p_raw, q_raw, shares)}
        if shares:
            entry.update(persona_share=pm, population_share=mu)
        out.append(entry)
    return out


def _says_the_same_way(std_diff: float, p_raw: float, q_raw: float, shares: tuple[float, float] | None) -> bool:
    """Whether the sentence's counts or shares point the way the bar does (beyond the 5 % said "about as many"):
    Moodle's "Course viewed" had a bar below everyone's (−0.67) and the highlight "1.2× more “Course viewed”",
    shares equal (37 %): the weighting, not anything said, made it differ, so it is no highlight."""
    up = std_diff > 0
    def way(a: float, b: float) -> bool:
        return a >= 1.05 * b if up else a <= b / 1.05
    return way(p_raw, q_raw) or (shares is not None and way(*shares))


def _highlights(fp: list[dict], n: int, min_effect: float) -> list[dict]:
    ok = [f for f in fp if f["std_diff"] is not None and abs(f["std_diff"]) >= min_effect and f["_said"]]
    return sorted(ok, key=lambda f: -abs(f["std_diff"]))[:n]


def _pooled(rows: pd.DataFrame) -> str | None:
    """"12 groups" / "31 files" when the rows come from several cohorts (``--group-col``, else one file each, as KDD
    Cup's courses), whose dates a by-day chart pools; None for one."""
    for column, noun in (("group", "groups"), ("file", "files")):
        n = int(rows[column].nunique()) if column in rows else 0
        if n > 1:
            return f"{n} {noun}"
    return None


def _activity(inp: ProfileInputs, label_of: dict, cfg: EventProfileConfig):
    hourly = None
    if inp.resolution == "hour":
        # ActivityProfiler counts rows: one row per event, repeated by its count (capped for memory)
        rows = inp.rows.loc[inp.rows.index.repeat(inp.rows["count"].clip(upper=50).astype(int))]
        frame = pd.DataFrame({"local_hour": rows["hour"].to_numpy(), "local_weekday": rows["weekday"].to_numpy(),
                              "local_date": rows["day"].to_numpy()})  # days since 1970-01-01 (ml.events.timecol)
        hourly = ActivityProfiler(cfg.n_peak_hours, time_basis=inp.time_basis).fit(
            frame, rows["user"].map(label_of).to_numpy())
    calendar = inp.resolution in ("hour", "day")
    year_known = bool(calendar and inp.rows["weekday"].notna().any())  # a yearless date has no weekday
    pooled = _pooled(inp.rows)
    daily = DayActivity(cfg.day_bin, calendar, year_known).fit(inp.rows, label_of) \
        if inp.resolution in ("hour", "day", "offset") else None

    def profile(pid) -> dict:
        if hourly is not None:
            out = hourly.profile(pid)
        else:
            out = ActivityProfiler(cfg.n_peak_hours).fit(pd.DataFrame(index=range(1)), [pid]).profile(pid)
            out["note"] = {"day": "The data has dates but no times of day: activity is shown by day.",
                           "offset": "The data has day offsets (no dates or times of day): activity is "
                                     "shown by day from the start."}.get(inp.resolution, out["note"])
        if hourly is not None and inp.rows["weekday"].isna().all():
            out["note"] = "Times have no year, so weekdays are unknown; hours are shown."
            out["weekday"] = out["population_weekday"] = None
            out["weekday_difference"] = None
        out["resolution"] = inp.resolution
        out["unit"] = "events"
        out["by_day"] = daily.profile(pid) if daily is not None else None
        if out["by_day"] is not None and pooled and calendar:  # KDD: 31 course files, each its own 30 days
            out["by_day"]["pooled"] = pooled
        return out
    return profile


def _describe(p: dict, min_effect: float = 0.5, led: list[dict] | None = None) -> str:
    """The persona's description; ``led``: the events its component weighs most (``{event, weight}``; default: its
    top events)."""
    parts = [(f"{p['size']:,} users ({100 * p['share']:.1f}% of all kept users; {p['core_size']:,} clear, "
             f"{p['reassigned_count']:,} flagged as mixed between personas).")]
    led = led or p["top_events"]
    if led:
        parts.append("Its pattern (the events its component weighs most) is led by " + ", ".join(
            event_label(t["event"]) for t in led[:4]) + ".")
    counts = {f["feature"]: f.get("persona_share", f["persona_count_mean"]) for f in p["fingerprint"]
              if f["group"] == "event"}  # each user's share of their events, as the sentences say it
    total = sum(counts.values())
    if total > 0:  # what its users actually do most, which the typical users below show
        most = sorted(counts, key=lambda e: -counts[e])[:3]
        parts.append("Most of its users' events are " + ", ".join(
            f"{event_label(e)} ({fmt_pct(counts[e] / total)})" for e in most) + ".")
    if p["highlights"]:
        parts.append("Compared with everyone it shows " + "; ".join(p["highlights"][:3]) + ".")
    act = p["activity"]
    if act.get("has_timestamps") and act.get("peak_hours"):
        s = f"It is busiest at {format_hours(act['peak_hours'], act.get('time_basis'))}"  # the clock, as the chart
        parts.append(s + days_clause(act, of=counted(act)) + ".")
    elif act.get("by_day") and act["by_day"]["peak_day"] is not None:
        parts.append(busiest_stretch(act["by_day"], act.get("resolution")))
    sep = p.get("separators") or {}
    if is_baseline(p["fingerprint"], min_effect):  # KDD's 86 % persona, Moodle's 67 % one
        parts.append(f"No event sets its users apart from everyone's by {min_effect:g} standard deviations or more: "
                     "read it as the run's baseline, the users the other personas are not, rather than a distinct "
                     "segment.")
    elif sep.get("accuracy") is not None:  # the classifier reads the event mix the personas were cut from
        parts.append(_separation(p, sep["accuracy"]))
    return " ".join(parts)


MIXED_NOTE = 0.25  # share of a persona's users flagged as mixed from which "It stands apart" is not said


def mixed_note(share: float | None) -> str:
    """The run's mixed share read for the CLI where it is ``MIXED_NOTE`` or more (the explorer's Quality panel says
    the same, ``mixedReading`` in frontend/components/QualityMetrics.tsx): OULAD BBB 2014J's two personas left 35 %
    of the users within the margin of both, with nothing beside the figure to say what that means."""
    if share is None or share < MIXED_NOTE:
        return ""
    return (" (a quarter or more: these users' event mixes sit nearly as close to a second persona as to their own, "
            "so read the personas as tendencies, not firm groups; the members export marks each user clear or mixed)")


def _separation(p: dict, accuracy: float) -> str:
    """How well a classifier tells the persona's users apart, read with its mixed users: an events review read "It
    stands apart: … correctly 100% of the time" on a persona 64 % of whose users were flagged as mixed between
    personas (the classifier reads the event mix the personas were cut from, so its figure is high by design)."""
    mixed = p["reassigned_count"] / p["size"] if p.get("size") else 0.0
    if mixed < MIXED_NOTE:
        return (separability_sentence(accuracy, "users") + " It reads the event mix the personas were cut from, so a "
                "high figure is expected there.")
    return (f"A simple classifier tells its users apart from other personas' users correctly {100 * accuracy:.0f}% of "
            "the time, but it reads the event mix the personas were cut from, so a high figure is expected there; "
            f"{100 * mixed:.0f}% of its users are flagged as mixed between personas: read it by its "
            f"{p['core_size']:,} clear users.")


def is_baseline(fingerprint: list[dict], min_effect: float = 0.5) -> bool:
    """No event and not the volume differs from everyone's by ``min_effect`` standard deviations or more: the
    run's baseline, named "Typical users (…)" and described as such."""
    return not any(f.get("std_diff") is not None and abs(f["std_diff"]) >= min_effect for f in fingerprint)


def _above(inp: ProfileInputs, mask: np.ndarray, um: UserMeasures, min_effect: float = 0.5) -> dict[str, bool]:
    """Event → what a name may say: the persona's users give it more of their events than everyone does (the share
    each event's sentence states, each user counted once) by ``min_effect`` standard deviations of the users'
    shares or more; when no event does, at least everyone's share. Not the count per user, which a light persona
    has below average for every event, nor the weighted matrix's mean, which named KDD's "access" for a persona
    that gives it 31 % of its events against everyone's 38 %; and not a bare "at least everyone's", which named
    KDD's "wiki" for a persona giving it 1.24 % of its events against everyone's 1.02 % (an events review)."""
    if not mask.any() or not len(inp.events):
        return {}
    mine, everyone = um.shares[mask].mean(axis=0), um.shares.mean(axis=0)
    weak = mine >= everyone
    strong = weak & (mine - everyone >= min_effect * um.shares.std(axis=0))
    return dict(zip(inp.events, (strong if strong.any() else weak).tolist()))


def build_event_profiles(inp: ProfileInputs, config: EventProfileConfig | None = None,
                         random_state: int = 0) -> list[dict]:
    """One JSON-ready dict per persona, sorted by id (see the module docstring)."""
    cfg = config or EventProfileConfig()
    n = len(inp.users)
    labels = np.asarray(inp.labels)
    label_of = dict(zip(inp.users, labels))
    activity = _activity(inp, label_of, cfg)
    sep = SurrogateSeparator(random_state=random_state).fit(
        np.zeros((n, 0)), [], inp.X, list(inp.events), labels)
    profiles, volumes = [], {}
    um = user_measures(inp.counts)
    for pid in range(inp.components.shape[0]):
        mask = labels == pid
        if not mask.any():
            continue
        h = inp.components[pid]
        weights = h / h.sum() if h.sum() > 0 else h
        fp = _fingerprint(inp, mask, um)
        by_event = {f["feature"]: f for f in fp}
        led = [j for j in np.argsort(-weights, kind="stable") if weights[j] > 0]  # the component's events
        top, component = [], []
        for j in led[: cfg.n_top_events]:  # what the namer reads (its own rules keep what the persona does more)
            component.append({"event": inp.events[j], "weight": round(float(weights[j]), 4)})
        for j in done_more(led, inp.events, by_event)[: cfg.n_top_events]:
            f = by_event[inp.events[j]]
            lift = f["persona_count_mean"] / f["population_count_mean"] if f["population_count_mean"] else None
            top.append({"event": inp.events[j], "weight": round(float(weights[j]), 4),
                        "lift": None if lift is None else round(float(lift), 3), "sentence": f["sentence"]})
        hl = _highlights(fp, cfg.n_highlights, cfg.min_effect)
        for f in fp:
            del f["_said"]
        own = [inp.events.index(t["event"]) for t in top[:3]]  # the persona's own events, shown where done
        evidence = examples(inp, typical_users(inp, mask, pid, um.shares), pid, own, cfg.n_evidence)
        profiles.append({
            "id": int(pid), "size": int(mask.sum()), "share": float(mask.sum() / n),
            "core_size": int((mask & ~inp.mixed).sum()), "reassigned_count": int((mask & inp.mixed).sum()),
            "top_events": top, "top_terms": [{"term": t["event"], "weight": t["weight"]} for t in top],
            "top_ngrams": [], "activity": activity(pid), "fingerprint": fp,
            "highlights": [f["sentence"] for f in hl], "highlight_features": [f["feature"] for f in hl],
            "evidence": evidence, "separators": said_separators(sep.signals(pid, len(inp.events)), by_event, 8),
            "_led": component,
        })
        volumes[int(pid)] = by_event[VOLUME]
    namer = EventNamer().fit(list(inp.events))
    named = {p["id"]: namer.name(p["_led"], volumes[p["id"]], _above(inp, labels == p["id"], um, cfg.min_effect),
                                 baseline=is_baseline(p["fingerprint"], cfg.min_effect)) for p in profiles}
    names = unique_names({pid: name for pid, (name, _) in named.items()},
                         {pid: rest for pid, (_, rest) in named.items()})
    for p in profiles:
        p["name"] = names[p["id"]]
        p["description"] = _describe(p, cfg.min_effect, p.pop("_led"))
    return profiles
