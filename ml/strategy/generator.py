"""Evidence-linked marketing strategy from a persona profile: deterministic rules over measured signals.

``generate_strategy(profile, goal, channels=None)`` → a JSON-ready dict valid against
``ml/strategy/schema.json``. Every recommendation carries ``citations = {signals, evidence}``:

- signal references: ``term:<t>`` / ``ngram:<t>`` (in ``top_terms`` / ``top_ngrams``),
  ``feature:<name>`` (a fingerprint entry with a standardized difference), ``activity:peak_hours``,
  ``activity:peak_weekdays``, ``activity:has_timestamps``, ``separator:<signal>``,
  ``separators:accuracy``, ``profile:size``, ``tone:negative`` (the persona writes more negatively than
  everyone, ``ml.profile.tone``), ``tone:like_others`` / ``tone:less_negative`` (it reads like them / less
  negative: the basis of the default tone);
- evidence references: ``member_id`` of a snippet in ``profile["evidence"]``.

``resolve_citation(profile, ref)`` says whether a signal reference exists in the profile;
``cited_signals`` in the output explains every reference used. Timing comes from the measured activity
peaks, tone from the style features; nothing is invented. Frustration is spoken of (the tone, the
retention and win-back angles, the promotion risk) only when the persona's texts read more negative than
everyone's (``profile["tone"]``); exclamation marks and capitals alone say emphasis, not anger. An optional LLM (``ml.strategy.llm``) may
rewrite sentences afterwards; citations, hours and numbers stay as computed.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from ml.events.profile import event_label
from ml.profile.activity import date_bound_days, format_hours
from ml.profile.behavior_words import literal_ok
from ml.profile.dates import one_day_burst
from ml.profile.fingerprint import SAID_EFFECT, said
from ml.profile.name_clash import content_stems
from ml.strategy.cite import cite as _cite
from ml.strategy.cite import explain as _explain
from ml.strategy.cite import fingerprint_of as _fp
from ml.strategy.cite import reads_negative
from ml.strategy.events import VOLUME, doing_more, event_tone, light
from ml.strategy.llm import TextRewriter, facts_kept, rewriter_from_env
from ml.strategy.risks import (
    evidence_readings,
    names_a_problem,
    negative_evidence,
    problem_evidence,
    risks,
    suggested_goal,
)
from ml.strategy.timing import timing
from ml.strategy.topics import names_a_topic
from ml.strategy.wording import (
    ACKNOWLEDGE,
    CALM_OFFERS,
    EVENT_CHANNELS,
    EVENT_KPIS,
    EVENT_MESSAGES,
    EVENT_OFFERS,
    FEATURE_CHANNELS,
    FRUSTRATED,
    GOAL_CHANNELS,
    GOAL_TEXT,
    KEY_MESSAGES,
    KPIS,
    LIGHT_ANGLE,
    OFFERS,
    OPEN_MESSAGES,
    OPEN_OFFERS,
    OPEN_TEXT,
    REENGAGE,
    TONE,
)

GOALS = ("acquisition", "retention", "win_back", "support_deflection", "upsell")
DEFAULT_CHANNELS = ("social", "email", "help_center", "in_app", "chat", "sms")
KNOWN_CHANNELS = frozenset(DEFAULT_CHANNELS) | frozenset(EVENT_CHANNELS)  # lower case: a request's "EMAIL" is "email"
SCHEMA_VERSION = 1
WEEKEND = [5, 6]  # Saturday and Sunday (weekday 0 = Monday), the days weekend_share counts



class StrategyError(ValueError):
    """Bad goal or profile for strategy generation (one-line message)."""


def _holds(text: str, term: str) -> bool:
    """True when ``text`` holds every word of ``term`` (a word may go on: "call" is in "calls"). Terms and n-grams
    are written without stop words ("calls amazon" for "calls to Amazon"), so the words are looked for, not the
    phrase."""
    return all(re.search(rf"(?<![\w]){re.escape(w)}", text, flags=re.IGNORECASE) for w in term.split())


def _evidence_for(profile: dict, term: str, limit: int = 2) -> list[str]:
    """The evidence snippets (member ids) that hold ``term``: none when no snippet does, so a recommendation
    never quotes a member who did not say what it rests on."""
    hits = [e["member_id"] for e in profile.get("evidence", []) if _holds(e["text"], term)]
    return hits[:limit]


def _standouts(profile: dict, min_effect: float = SAID_EFFECT) -> list[dict]:
    """The behaviours large enough to act on (``ml.profile.fingerprint.SAID_EFFECT``, as the highlights), largest
    first, ``said`` as the highlights are (measured on enough of the members, beyond its standard error): a 4 %
    against 5 % share of capitals is no reason to "match how they write", nor a wait between messages that 4 of 63
    members have, nor one member's "pls" in 22. Nor a weekend share when a Saturday or Sunday of the data (or of the
    persona) is a date or two (``ml.profile.activity.date_bound_days``): "Plan for how they behave: this persona posts
    63% of messages on Saturday or Sunday" stood above the timing's "the data's Saturdays and Sundays are only 1 date
    each" (an explorer review of 5,000 airline tweets over eight days)."""
    feats = [f for f in _fp(profile).values() if said(f, min_effect)]
    if date_bound_days(profile.get("activity") or {}, WEEKEND):  # its weekend is a date or two, not a habit
        feats = [f for f in feats if f["feature"] != "weekend_share"]
    return sorted(feats, key=lambda f: -abs(f["std_diff"]))


def _themes(profile: dict) -> list[tuple[str, str]]:
    """(reference, label) for the top n-grams and terms, n-grams first, without overlaps (a shared word stem): of each
    kind's first five that name a topic, three, those that an evidence snippet holds first (a theme its cited
    members say, not a word pair of one member such as "itenerary birthday"); at most four in all. A single word
    names a topic only as a noun or a name where its members use it (``ml.strategy.topics``: not "worst", "fly",
    "online")."""
    said = [e["text"] for e in profile.get("evidence", [])]
    events = profile.get("kind") == "events"
    out, used = [], set()
    more = doing_more(profile) if events else set()
    for key, kind in (("top_ngrams", "ngram"), ("top_terms", "term")):
        top = [t for t in profile.get(key, []) if t["term"] in more] or profile.get(key, []) if more \
            else profile.get(key, [])
        top = sorted(_topics(top, said, events),
                     key=lambda t: not any(_holds(text, t["term"]) for text in said))  # stable
        taken = 0
        for t in top:
            if taken == 3:
                break
            # by stem: "bags" after "lost bag", "customers" after "customer service" say one theme twice
            words = {t["term"]} if events else (
                content_stems(t["term"]) or set(t["term"].split()))  # an event's name is one identifier
            if words & used:
                continue
            used |= words
            taken += 1
            # as people read it: an event as "Assignment · Submission form viewed", a term as its members write it
            shown = event_label(t["term"]) if events else t.get("written") or t["term"]
            out.append((f"{kind}:{t['term']}", shown))
    return out[:4]


def _topics(top: list[dict], said: list[str], events: bool, n: int = 5) -> list[dict]:
    """The first ``n`` of ``top`` that name a topic (``names_a_topic``; every event does)."""
    if events:
        return top[:n]
    out = []
    for t in top:
        if len(out) == n:
            break
        if names_a_topic(t.get("written") or t["term"], said):
            out.append(t)
    return out


def _rewrite(doc: dict, rewriter: TextRewriter) -> None:
    slots = [(doc["positioning"], "text"), (doc["timing"], "text"), (doc["tone"], "text")]
    for key, field in (("key_messages", "text"), ("channels", "rationale"), ("offers", "text"),
                       ("kpis", "text"), ("risks", "text")):
        slots += [(item, field) for item in doc[key]]
    old = [obj[field] for obj, field in slots]
    try:
        new = rewriter.rewrite(old, f"persona “{doc['persona_name']}”, goal {doc['goal']}")
    except Exception as exc:  # noqa: BLE001 - any provider failure keeps the rule-based wording
        doc["generated_by"]["llm_error"] = f"{type(exc).__name__}: {exc}"[:300]
        return
    kept = 0
    for (obj, field), a, b in zip(slots, old, new):
        if b.strip() and facts_kept(a, b):
            obj[field] = b.strip()
            kept += 1
    doc["generated_by"]["llm"] = rewriter.name
    doc["generated_by"]["llm_rewritten"] = kept


@dataclass(frozen=True)
class _Basis:
    """What every section of a strategy cites: the persona's themes, stand-out features and evidence."""

    profile: dict
    goal: str
    themes: list
    theme_refs: list
    theme_words: str
    standouts: list
    stand_refs: list
    evidence: list
    activity: dict
    negative: bool
    light: bool  # an event persona of light users (``ml.strategy.events``)
    problem: list  # evidence snippets (member ids) that state a problem, when most of them do (``ml.strategy.risks.problem_evidence``)
    negative_ev: list  # evidence snippets that read negative (``ml.strategy.risks.negative_evidence``)
    open: bool  # its tone reads like everyone's and its quotes state no problem: the open wording (``wording``)


def _check(profile: dict, goal: str, channels: list[str] | None) -> None:
    if goal not in GOALS:
        raise StrategyError(f"unknown goal {goal!r}: use one of {', '.join(GOALS)}")
    for key in ("id", "name", "size", "share", "top_terms", "activity", "fingerprint", "evidence"):
        if key not in profile:
            raise StrategyError(f"profile has no '{key}' field: pass a profile built by ml.profile.build_profiles")
    if channels is not None and (not isinstance(channels, list) or not all(isinstance(c, str) and c.strip()
                                                                           for c in channels)):
        raise StrategyError("channels must be a list of non-empty channel names, e.g. ['email', 'social']")


def _basis(profile: dict, goal: str) -> _Basis:
    found = _themes(profile)
    themes = found or [("profile:size", "their everyday business")]
    standouts = _standouts(profile)
    readings = evidence_readings(profile)  # each snippet scored once
    shown = sum(isinstance(e.get("text"), str) for e in profile.get("evidence", []))
    problem, negative = problem_evidence(readings, shown), reads_negative(profile)
    return _Basis(
        profile=profile, goal=goal, themes=themes, theme_refs=[r for r, _ in themes],
        theme_words=", ".join(f"“{label}”" for _, label in themes[:3]) if found else themes[0][1],
        standouts=standouts, stand_refs=[f"feature:{f['feature']}" for f in standouts[:3]],
        evidence=[e["member_id"] for e in profile["evidence"]], activity=profile["activity"] or {},
        negative=negative, light=light(profile), problem=problem, negative_ev=negative_evidence(readings),
        open=not (negative or problem) and (profile.get("tone") or {}).get("reading") == "like everyone",
    )


def _key_messages(b: _Basis) -> list[dict]:
    """One message per theme: the goal's problem wording when the persona reads negative or the theme names a
    problem ("On “not working”: say plainly what is being fixed and by when"), else the calm one."""
    out = []
    problem, calm = KEY_MESSAGES[b.goal]
    calm = OPEN_MESSAGES.get(b.goal, calm) if b.open else calm
    reengage = b.light and b.goal in LIGHT_ANGLE  # light users, to keep or bring back
    events = b.profile.get("kind") == "events"
    for k, (ref, label) in enumerate(b.themes[:3]):
        ev = _evidence_for(b.profile, label)
        messages = (REENGAGE if reengage else EVENT_MESSAGES[b.goal] if events
                    else problem if b.negative or b.problem or names_a_problem(label) else calm)
        refs = [ref] + (["tone:negative"] if b.negative else []) + ([f"feature:{VOLUME}"] if reengage else [])
        out.append({"id": f"m{len(out) + 1}", "text": messages[k].format(label=label) + ".", "citations": _cite(refs, ev)})
    volume = [f for f in b.standouts if f["feature"] == VOLUME] if b.light else []
    # a level-stating style ("capitals") only where it is the members' own way of writing: bank queries quoting
    # "PIN" and "ATM" write 14 % of letters in capitals, which is no style to match (``literal_ok``)
    shown = volume or [f for f in b.standouts if f.get("group") != "style" or literal_ok(f)]
    for f in shown[:1]:  # a light persona's standout is how little its users do
        text = (f"Build on what they do: this persona does {f['sentence']}" if b.profile.get("kind") == "events"
                else f"Match how they write: this persona {f['sentence']}" if f.get("group") == "style"
                else f"Plan for how they behave: this persona {f['sentence']}")  # a thread or timing habit
        out.append({"id": f"m{len(out) + 1}", "text": text + ".",
                    "citations": _cite([f"feature:{f['feature']}"], b.evidence[:1])})
    return out


def _requested(channels: list[str]) -> list[str]:
    """The channels asked for, each once whatever its case, a known one in the generator's own spelling ("EMAIL" is
    "email", so the goal's and the features' preferences apply to it; an API review got "email" and "EMAIL" as two
    channels); others as written."""
    out: dict[str, str] = {}
    for c in channels:
        key = c.strip().lower()
        out.setdefault(key, key if key in KNOWN_CHANNELS else c.strip())
    return list(out.values())


def _channels(b: _Basis, channels: list[str] | None) -> list[dict]:
    """Goal preference + channels favoured by stand-out features."""
    default = EVENT_CHANNELS if b.profile.get("kind") == "events" else DEFAULT_CHANNELS
    pool = _requested(channels) if channels else list(default)
    order = GOAL_CHANNELS[b.goal]
    scored = []
    for c in pool:
        refs = [f"feature:{f['feature']}" for f in b.standouts if f["std_diff"] > 0
                and c in FEATURE_CHANNELS.get(f["feature"], [])]
        score = len(refs) * 2 + (len(order) - order.index(c) if c in order else 0)
        scored.append((score, c, refs))
    scored.sort(key=lambda s: -s[0])
    items = []
    for _score, c, refs in scored[: min(3, len(scored))]:
        goal = b.goal.replace("_", " ")
        said = [_fp(b.profile)[r.split(':', 1)[1]]["sentence"] for r in refs[:2]]
        # "a usual channel for retention, and this persona writes 1.2× longer …" ("Suits the goal retention; …" read
        # oddly); fingerprint sentences start in lower case
        why = ([f"a usual channel for {goal}, and this persona " + " and ".join(said)]
               if c in order[:3] and said else said)
        if not said:  # a default, not evidence: say so (the airline review read "Suits the goal retention." as a finding)
            why = [(f"a usual channel for {goal}, to carry the messages on {b.theme_words}; no behaviour of this "
                    "persona points to it")] if c in order[:3] else []
        if not why and not channels and items:
            continue  # no reason for it and nobody asked: an events review read SMS "a further channel" to students
        text = "; ".join(why) if why else (f"requested channel, used to carry the messages on {b.theme_words}"
                                           if channels else f"a further channel for the messages on {b.theme_words}")
        # a channel cites the behaviour that points to it, else the theme of the messages it carries (said so in
        # its rationale), and no channel quotes a member (a help-desk review read "no behaviour of this persona points
        # to it. Based on: distinctive phrase “phone number”" with one member's quote under all three channels)
        cited = refs[:2] if said else b.theme_refs[:3]  # the themes its rationale names
        items.append({"channel": c, "rationale": text[0].upper() + text[1:] + ".", "citations": _cite(cited)})
    return items


def _tone(b: _Basis) -> dict:
    if b.profile.get("kind") == "events":
        return event_tone(b.profile)
    traits, tone_refs = ([FRUSTRATED], ["tone:negative"]) if b.negative else ([ACKNOWLEDGE], []) if b.problem else ([], [])
    for f in b.standouts:
        words = TONE.get(f["feature"]) if literal_ok(f) else None  # 14 % capitals is not shouting
        trait = words and (words[0] if f["std_diff"] > 0 else words[1])
        if trait and trait not in traits:
            traits.append(trait)
            tone_refs.append(f"feature:{f['feature']}")
    if not traits:  # a default, not a finding: cite what was measured, and no quote that may say otherwise
        reading = (b.profile.get("tone") or {}).get("reading")
        ref = {"like everyone": "tone:like_others", "less negative": "tone:less_negative"}.get(reading, "profile:size")
        return {"text": "Tone: plain and friendly.", "traits": ["plain and friendly"], "citations": _cite([ref])}
    quoted = b.negative_ev if b.negative else b.problem if b.problem else b.evidence
    return {"text": "Tone: " + "; ".join(traits[:3]) + ".", "traits": traits[:3],
            "citations": _cite(tone_refs[:3], quoted[:2])}


def _offers(b: _Basis) -> list[dict]:
    templates = (EVENT_OFFERS[b.goal] if b.profile.get("kind") == "events" else OFFERS[b.goal]
                 if b.negative or b.problem else OPEN_OFFERS[b.goal] if b.open and b.goal in OPEN_OFFERS
                 else CALM_OFFERS.get(b.goal, OFFERS[b.goal]))
    return [{"text": template.format(theme=f"“{label}”") + ".",
             "citations": _cite([ref], _evidence_for(b.profile, label))}
            for template, (ref, label) in zip(templates, b.themes + b.themes)]


def _kpis(b: _Basis) -> list[dict]:
    act = b.activity
    table = EVENT_KPIS if b.profile.get("kind") == "events" else KPIS
    kpis = [{"name": name, "text": f"{desc.capitalize()} (focus: {b.theme_words}).",
             "citations": _cite(b.theme_refs[:2])} for name, desc in table[b.goal]]
    # no replies for event users; no hours that are one date's burst (the timing recommends none: a review read the
    # KPI "median reply time during 20:00, 21:00 and 22:00 UTC" beside it)
    if act.get("has_timestamps") and act.get("peak_hours") and b.profile.get("kind") != "events" \
            and not one_day_burst(act):
        kpis.append({"name": "peak_hour_response_time",
                     "text": f"Median reply time during {format_hours(act['peak_hours'], act.get('time_basis'))}.",
                     "citations": _cite(["activity:peak_hours"])})
    return kpis


def generate_strategy(profile: dict, goal: str | None, channels: list[str] | None = None,
                      rewriter: TextRewriter | None | str = "env") -> dict:
    """Strategy document for ``profile`` and ``goal`` (one of ``GOALS``; None: ``suggested_goal``).

    ``channels``: optional list of channel names to choose from (default ``DEFAULT_CHANNELS``).
    ``rewriter``: ``"env"`` (default) uses ``rewriter_from_env()`` (off unless configured), None turns
    wording changes off, or pass any ``TextRewriter``.
    """
    goal = suggested_goal(profile) if goal is None else goal
    _check(profile, goal, channels)
    b = _basis(copy.deepcopy(profile), goal)
    objective, upset_angle, calm_angle = GOAL_TEXT[goal]
    angle = upset_angle if b.negative or b.problem or calm_angle is None else calm_angle
    if b.open and goal in OPEN_TEXT:  # like everyone, no problem quoted: ask rather than presume content people
        angle = OPEN_TEXT[goal]
    if b.light and goal in LIGHT_ANGLE:
        angle, calm_angle = LIGHT_ANGLE[goal], None  # cite the volume, not the tone
    doc = {
        "schema_version": SCHEMA_VERSION,
        "persona_id": int(b.profile["id"]),
        "persona_name": b.profile["name"],
        "goal": goal,
        "objective": objective,
        "generated_by": {"generator": "rules", "llm": None},
        "positioning": {"text": f"For “{b.profile['name']}”: {angle.format(themes=b.theme_words)}.",
                        "citations": _cite(b.theme_refs[:3] + (["tone:negative"] if b.negative and calm_angle
                                                               else [f"feature:{VOLUME}"] if b.light and goal in LIGHT_ANGLE
                                                               else ["tone:like_others"] if b.open and goal in OPEN_TEXT
                                                               else b.stand_refs[:1]),
                                      b.problem[:2] if b.problem and not b.negative else b.evidence[:2])},
        "key_messages": _key_messages(b),
        "channels": _channels(b, channels),
        "timing": timing(b.activity, b.standouts),
        "tone": _tone(b),
        "offers": _offers(b),
        "kpis": _kpis(b),
        "risks": risks(b),
    }
    refs = [r for item in iter_citations(doc) for r in item["signals"]]
    doc["cited_signals"] = {r: _explain(b.profile, r) for r in dict.fromkeys(refs)}
    if rewriter == "env":
        rewriter = rewriter_from_env()
    if rewriter is not None:
        _rewrite(doc, rewriter)
    return doc


def iter_citations(doc: dict):
    """Every ``citations`` object in a strategy document."""
    for key in ("positioning", "timing", "tone"):
        yield doc[key]["citations"]
    for key in ("key_messages", "channels", "offers", "kpis", "risks"):
        for item in doc[key]:
            yield item["citations"]
