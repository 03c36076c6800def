"""A persona's profile, for both run kinds: what ``personas.json`` holds (with ``member_ids``), what the
store keeps (without) and what ``GET /runs/{id}/personas/{pid}`` answers (with ``run_id``).

``ConversationPersona`` comes from ``ml.profile.build_profiles`` plus the family link set by
``ml.runtime.pipeline``; ``EventPersona`` from ``ml.events.profile.build_event_profiles``. Their common
fields live in ``_PersonaBase``; ``kind`` tells them apart (``kind_of`` for profiles stored before it).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, TypeAdapter, model_validator
from pydantic.config import ExtraValues

from ml.profile.dates import date_bound_reason, one_day_burst
from ml.runtime.contracts.base import Contract, Term, by_kind, with_kind


class WeekdayDates(Contract):
    """The dates one weekday falls on (ml.profile.activity: ``population_weekday_dates``, ``weekday_dates``)."""

    dates: int = Field(ge=0, description="How many calendar dates of this weekday are covered (in the run's clock).")
    busiest_date: str | None = Field(None, description="The date with the most members (ISO), None without one.")
    busiest_share: float = Field(0.0, ge=0, le=1, description="That date's share of this weekday's members.")
    date_bound: Literal["few_dates", "one_date"] | None = Field(None, description=(
        "Why this weekday's share is its dates rather than a weekly habit: \"few_dates\" (seen on 1 or 2 dates), "
        "\"one_date\" (one date holds more than half of its members); None: a habit, or never seen. Derived from "
        "the fields above by ml.profile.dates.date_bound_reason, the rule descriptions and strategies follow, "
        "so clients need not copy it; filled in for runs stored before it was recorded."))

    @model_validator(mode="after")
    def _derive_bound(self) -> WeekdayDates:
        """``date_bound`` always follows ``dates`` and ``busiest_share`` (a stored or sent value is recomputed)."""
        object.__setattr__(self, "date_bound", date_bound_reason({"dates": self.dates,
                                                                  "busiest_share": self.busiest_share}))
        return self


class Activity(Contract):
    """When a persona writes, beside the population (ml.profile.activity.ActivityProfiler.profile)."""

    has_timestamps: bool
    hourly: list[float] | None = None
    weekday: list[float] | None = None
    population_hourly: list[float] | None = None
    population_weekday: list[float] | None = None
    population_weekday_dates: list[WeekdayDates] | None = Field(None, min_length=7, max_length=7, description=(
        "For each weekday (0 = Monday) the calendar dates the whole data covers it on. A weekday seen on 1 or 2 "
        "dates, or one date above half of its members, is its dates rather than a habit: descriptions say so, "
        "strategies do not recommend it. None: unknown (no timestamps, or a run before 2026-12-05)."))
    busiest_date: str | None = Field(None, description="The date most of its members wrote on (ISO), in the run's clock.")
    busiest_date_share: float | None = Field(None, ge=0, le=1, description=(
        "Its members' share on that date; above one half the persona is a one-day burst, not a weekly pattern."))
    population_busiest_date_share: float | None = Field(None, ge=0, le=1, description="Everyone's share on that date.")
    one_day_burst: bool = Field(False, description=(
        "More than half of its members wrote on its busiest date, and more than of everyone: its hours and "
        "weekday are that date's, not a routine (ml.profile.dates.one_day_burst; derived from the fields above, "
        "also for runs stored before it was recorded)."))
    weekday_dates: list[WeekdayDates] | None = Field(None, min_length=7, max_length=7, description=(
        "The same for this persona's own members: a persona whose Tuesday members wrote on one date is a "
        "one-day burst, not a Tuesday habit."))
    peak_hours: list[int] = Field(default_factory=list)
    peak_weekdays: list[int] = Field(default_factory=list, description=(
        "At most two weekdays (0 = Monday), busiest first, each holding more than 1/7 of the persona's "
        "timestamped members (the busiest always does unless all days are equal). Runs before "
        "2026-12-02 listed the two busiest in day order."))
    population_peak_hours: list[int] = Field(default_factory=list)
    hourly_difference: float | None = None
    weekday_difference: float | None = None
    peak_lift: float | None = None
    timestamped_members: int | None = None
    time_basis: str | None = Field(None, description='The clock of the hours: "UTC", "local", a fixed offset such as "UTC-08:00", an IANA zone.')
    note: str | None = None

    @model_validator(mode="after")
    def _derive_burst(self) -> Activity:
        """``one_day_burst`` always follows the busiest date's shares (a stored or sent value is recomputed)."""
        object.__setattr__(self, "one_day_burst", one_day_burst({
            "busiest_date": self.busiest_date, "busiest_date_share": self.busiest_date_share,
            "population_busiest_date_share": self.population_busiest_date_share,
            "timestamped_members": self.timestamped_members}))
        return self


class ActivityByDay(Contract):
    """Share of a persona's events per bin of ``bin_days`` days (ml.events.profile.DayActivity)."""

    bin_days: int
    start_day: float
    persona: list[float]
    population: list[float]
    peak_day: float | None = None
    difference: float | None = None
    start_date: str | None = Field(None, description="ISO date the first bin starts on, when the days are dates "
                                                     "(None for day offsets and runs made before 2026-12-05).")
    peak_date: str | None = Field(None, description="ISO date the persona's busiest bin starts on (dates only).")
    year_known: bool | None = Field(None, description="False when the dates were written without a year (shown "
                                                      "without one); None for day offsets.")
    pooled: str | None = Field(None, description="What these bins pool when the data holds several of them, each "
                                                 "with its own dates: \"31 files\" (KDD Cup's courses), \"12 "
                                                 "groups\" (--group-col); None for one.")


class EventActivity(Activity):
    resolution: str = Field(description="hour, day, offset or none: the finest time the event data carries.")
    unit: Literal["events"] = "events"
    by_day: ActivityByDay | None = None


class FingerprintItem(Contract):
    """One behavioral feature: persona vs population (ml.profile.fingerprint)."""

    feature: str
    group: str
    persona_mean: float | None = None
    population_mean: float | None = None
    std_diff: float | None = Field(None, description="Standardised difference to the population.")
    coverage: float | None = None
    any_share: float | None = Field(None, description="Share of the persona's members (with a value) who show the "
                                                      "behaviour at all (value above zero; the author's span: a day "
                                                      "or more), for the features a member shows or not "
                                                      "(ml.profile.fingerprint.PRESENCE_FEATURES); None for the others "
                                                      "and runs before 2026-12-06.")
    t_stat: float | None = Field(None, description="(persona mean − population mean) over its standard error, from the "
                                                   "wider of the two spreads; a behaviour is said in words only at "
                                                   "|t_stat| ≥ 2 (None: runs before 2026-12-05, event runs).")
    sentence: str = ""


class EventFingerprintItem(FingerprintItem):
    """An event run's entry (ml.events.profile): for an event, ``persona_mean``/``population_mean`` are the mean
    share of the event in each user's events (the bar), for ``total_events`` the mean log events per user."""

    persona_count_mean: float | None = Field(None, description="Mean count per user, each count capped at the 99th "
                                                              "percentile of the users who did the event (so one "
                                                              "user cannot set it).")
    population_count_mean: float | None = Field(None, description="The same over every user.")
    persona_share: float | None = Field(None, description="Mean share of this event in its users' events (each "
                                                          "user counted once); None for total_events and for runs "
                                                          "made before 2026-12-05.")
    population_share: float | None = Field(None, description="The same over every user.")


class Evidence(Contract):
    """A representative member, its text masked for display."""

    member_id: str
    text: str
    similarity: float | None = None


class EventCount(Contract):
    event: str
    count: float


class EventEvidence(Evidence):
    top_events: list[EventCount] = Field(default_factory=list)


class SeparatorSignal(Contract):
    signal: str
    kind: str = Field(description="term or feature (event runs: feature = an event column).")
    importance: float
    direction: str | None = None


class Tone(Contract):
    """Whether the persona's members write more negatively than the other personas' (ml.profile.tone):
    a comparison within the run's data, never a claim that a persona is happy."""

    negative_share: float = Field(description="Share of its scored members whose text reads negative.")
    rest_negative_share: float | None = Field(None, description="The same over the other personas' members.")
    population_negative_share: float = Field(description="The same over all members.")
    std_diff: float = Field(description="(negative_share - rest) / sqrt(p (1 - p)), p the population share.")
    p_value: float = Field(description="Pooled two-proportion z-test against the other personas' scored members.")
    q_value: float | None = Field(None, description="p_value adjusted for testing every persona of the run "
                                                   "(Benjamini-Hochberg); the reading rests on it. None before "
                                                   "2026-12-05.")
    scored_members: int = Field(description="Members scored (at most profile.tone_sample_per_persona).")
    reading: Literal["more negative", "less negative", "like everyone"] = Field(description=(
        "more/less negative when |std_diff| >= profile.min_effect and q_value < 0.05 (p_value before 2026-12-05)."))
    method: str = Field(description="The scorer and its threshold.")
    profane_share: float | None = Field(None, description="Share of its scored members whose text holds a profane "
                                                          "word (ml.profile.terms.is_profane); None before 2026-12-04.")
    rest_profane_share: float | None = Field(None, description="The same over the other personas' members.")
    swears_more: bool = Field(False, description="profane_share above the others' by the tone's rule (std_diff >= "
                                                 "profile.min_effect, its q < 0.05; p before 2026-12-05).")


class Separators(Contract):
    """How well a simple classifier tells this persona apart (ml.profile.separators)."""

    accuracy: float | None = None
    overall_accuracy: float | None = None
    method: str | None = None
    signals: list[SeparatorSignal] = Field(default_factory=list)


class TopEvent(Contract):
    event: str
    weight: float = Field(description="The event's share of the persona's NMF component.")
    lift: float | None = Field(None, description="Persona's mean count per user ÷ everyone's.")
    sentence: str = ""


class SubPersona(Contract):
    """A sub-persona (level 2, ``ml.cluster.subpersonas``): a finer cluster of HDBSCAN's tree inside one
    persona; its members are a part of the parent's, never another persona's."""

    id: int = Field(description="Unique in the run (0.. by persona id, then by decreasing size).")
    parent_id: int = Field(description="The persona it splits.")
    level: Literal[2] = 2
    name: str = Field(description="Its three most distinctive terms among its siblings.")
    size: int
    share: float = Field(description="Of all members of the run.")
    share_of_parent: float = Field(description="Of its persona's members.")
    top_terms: list[Term] = Field(default_factory=list, description="c-TF-IDF among the persona's sub-personas.")
    evidence: list[Evidence] = Field(default_factory=list, description="At most one snippet, masked; none when "
                                                                       "withheld.")
    evidence_withheld: bool = Field(False, description="Fewer distinct authors than profile.min_evidence_authors.")
    one_voice: str | None = Field(None, description="Said when one author accounts for more than a third of its "
                                                    "members (ml.profile.describe.one_voice_sentence); None "
                                                    "otherwise, where authors are unknown, and for runs made before.")
    name_share: float | None = Field(None, description="Share of its members whose text holds the words of its "
                                                       "name, as a persona's (ml.profile.name_share); None for runs "
                                                       "made before 2026-12-06.")


class _PersonaBase(Contract):
    id: int
    name: str = ""
    description: str = ""
    size: int
    share: float
    core_size: int | None = None
    reassigned_count: int | None = None
    top_terms: list[Term] = Field(default_factory=list, description="Most distinctive first.")
    top_ngrams: list[Term] = Field(default_factory=list)
    fingerprint: list[FingerprintItem] = Field(default_factory=list)
    highlights: list[str] = Field(default_factory=list, description="Plain-word sentences.")
    highlight_features: list[str] = Field(default_factory=list, description="The features of `highlights`.")
    evidence: list[Evidence] = Field(default_factory=list)
    separators: Separators | None = None
    lineage_id: str | None = Field(None, description="Stable across runs of a series: kept from the baseline's "
                                                    "persona when this one continues it (docs/drift.md).")
    fit_name: str | None = Field(None, description="This run's own name for the persona where a series published its "
                                                   "lineage's name in `name` instead; None otherwise and for runs "
                                                   "made before 2026-12-07. A later comparison reads it as the "
                                                   "run's own name.")


class NamePart(Contract):
    """One part of a persona's name and how many of its members write it (ml.profile.name_share.part_shares)."""

    part: str
    share: float = Field(ge=0, le=1)


class ConversationPersona(_PersonaBase):
    kind: Literal["conversations"] = "conversations"
    name_note: str | None = Field(None, description="What the name's behaviour word rests on (\"“Brief” in the name: "
                                                    "this persona uses 0.4× fewer words …\"); None when the name has "
                                                    "none, and for runs made before 2026-12-04.")
    name_share: float | None = Field(None, ge=0, le=1, description=(
        "Share of its members whose text holds the words of a part of its name (ml.profile.name_share): "
        "how much of the persona its name describes; None for runs made before 2026-12-05 and where a "
        "series kept an earlier run's name."))
    name_parts: list[NamePart] | None = Field(None, description=(
        "For a name of two parts or more (\"Refund & contacted the seller\"): each part and the share of its members "
        "whose text holds it; None for a name of one part, runs before the thirty-seventh session and where a series "
        "kept an earlier run's name."))
    activity: Activity | None = None
    tone: Tone | None = Field(None, description="None for runs made before 2026-12-02.")
    distinct_authors: int | None = Field(None, description="None where authors are unknown.")
    top_author_members: int | None = Field(None, ge=0, description=(
        "How many of its members its most frequent author accounts for; above a third of the persona the "
        "description and the page say it is as much one customer's thread as a segment. None where authors "
        "are unknown, and for runs made before 2026-12-05."))
    top_author_messages: int | None = Field(None, ge=0, description=(
        "The messages of its most prolific author, of message_count (members may hold several: --unit author, "
        "conversation). None where authors are unknown, and for runs made before 2026-12-05."))
    message_count: int | None = Field(None, ge=0, description="The messages its members hold (see top_author_messages).")
    one_voice: str | None = Field(None, description=(
        "Said when one author is a third of the persona's members or of its messages: \"One author writes 55 of its "
        "115 messages (48%): read it as much as one customer's voice as a segment.\" None otherwise, and for runs "
        "made before 2026-12-05 (ml.profile.describe.one_voice_sentence)."))
    evidence_withheld: bool = False
    evidence_withheld_reason: str | None = None
    brand_handles: list[str] = Field(default_factory=list, description="Accounts left unmasked.")
    parent_id: int | None = Field(None, description="The persona's family (GET /runs/{id}/families); "
                                                    "None for runs made before families existed.")
    level: int | None = Field(None, description="1 for a persona (0 is a family).")
    sub_personas: list[SubPersona] = Field(
        default_factory=list, description="Level 2, largest first; empty when the persona does not split, "
                                          "for runs made before sub-personas and with hierarchy.subpersonas off.")


class EventPersona(_PersonaBase):
    kind: Literal["events"] = "events"
    activity: EventActivity | None = None
    fingerprint: list[EventFingerprintItem] = Field(default_factory=list)
    evidence: list[EventEvidence] = Field(default_factory=list)
    top_events: list[TopEvent] = Field(default_factory=list)


class _Members(Contract):
    member_ids: list[str] = Field(default_factory=list, description="Every member of the persona.")


class ConversationPersonaRecord(ConversationPersona, _Members):
    """A conversation persona as ``personas.json`` holds it."""


class EventPersonaRecord(EventPersona, _Members):
    """An event persona as ``personas.json`` holds it."""


class _Served(Contract):
    run_id: str


class ConversationPersonaDetail(ConversationPersona, _Served):
    """``GET /runs/{id}/personas/{pid}`` for a conversation run."""


class EventPersonaDetail(EventPersona, _Served):
    """``GET /runs/{id}/personas/{pid}`` for an event run."""


PersonaProfile = by_kind(ConversationPersona, EventPersona)
PersonaRecord = by_kind(ConversationPersonaRecord, EventPersonaRecord)
PersonaDetail = by_kind(ConversationPersonaDetail, EventPersonaDetail)
_ADAPTERS = {name: TypeAdapter(t) for name, t in
             (("profile", PersonaProfile), ("record", PersonaRecord), ("detail", PersonaDetail))}


def parse_persona(document: dict[str, Any], shape: str = "profile", extra: ExtraValues | None = None) -> Any:
    """A stored persona (any version) as its contract model. ``shape``: ``profile`` (as the store keeps it),
    ``record`` (``personas.json``, with ``member_ids``) or ``detail`` (the API answer, with ``run_id``). ``extra``:
    ``"ignore"`` drops fields the contract does not know (``STORED``: the API reading a run a newer pipeline
    wrote); by default they are an error (the pipeline checking what it writes)."""
    return _ADAPTERS[shape].validate_python(with_kind(document), extra=extra)


__all__ = [
    "Activity", "ActivityByDay", "ConversationPersona", "ConversationPersonaDetail", "ConversationPersonaRecord",
    "EventActivity", "EventCount", "EventEvidence", "EventFingerprintItem", "EventPersona", "EventPersonaDetail",
    "EventPersonaRecord", "Evidence", "FingerprintItem", "NamePart", "PersonaDetail", "PersonaProfile",
    "PersonaRecord", "SeparatorSignal", "Separators", "SubPersona", "Tone", "TopEvent", "parse_persona",
]
