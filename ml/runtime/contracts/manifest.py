"""The run manifest (``manifest.json``, ``GET /runs/{id}``) for both run kinds, and its sections.

``ConversationManifest`` (``ml.runtime.pipeline``) and ``EventManifest`` (``ml.events.pipeline``) share the
run-level fields of ``_ManifestBase``; ``Manifest`` is either, told apart by ``kind`` (``kind_of`` for
manifests written before conversation runs recorded it). Diagnostic reports whose shape belongs to one
stage (the ingest report, configs, package versions, the granularity and k-selection tables) are typed
as JSON objects and documented where they are made.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, TypeAdapter
from pydantic.config import ExtraValues

from ml.runtime.contracts.base import Contract, Term, by_kind, with_kind
from ml.runtime.contracts.hierarchy import Hierarchy

Report = dict[str, Any]


# -- sections shared by both kinds ---------------------------------------------------------------
class LabelScores(Contract):
    nmi: float | None = None
    ari: float | None = None
    acc: float | None = Field(None, description="one-to-one (Hungarian) accuracy: at most one persona per class counts")
    purity: float | None = Field(None, description="share of members whose persona's commonest label is theirs "
                                                   "(None before 2026-12-06)")
    majority: float | None = Field(None, description="the commonest label's share: what one guess for everyone "
                                                     "scores, the floor purity is read against")
    n_labelled: int | None = None


class LabelMetrics(Contract):
    """Agreement with an evaluation label column (never used for fitting)."""

    column: str | None = None
    with_noise: LabelScores
    reassigned: LabelScores
    n_classes: int | None = None


class Example(Contract):
    """A row quoted in a report (masked for display)."""

    message_id: str | None = None
    text: str | None = None


# -- conversation runs --------------------------------------------------------------------------
class ConversationSource(Contract):
    inputs: list[str] = Field(default_factory=list, description="Input files as given (the API serves names only).")
    load: Report = Field(default_factory=dict, description="The ingest report (ml.ingest.load.LoadReport.to_dict).")
    fingerprint: str | None = Field(None, description="sha256 of the inputs' bytes (ml.runtime.fingerprint), "
                                                    "written for a run of a series; None otherwise and before "
                                                    "2026-12-06.")


class FilterStage(Contract):
    """One of the quality filter's stages (ml.filtering.quality) or the agent stage."""

    stage: str
    enabled: bool | None = None
    input: int | None = None
    removed: int
    kept: int
    kept_share: float
    examples: list[Example] = Field(default_factory=list)


class ConversationCounts(Contract):
    input: int
    candidates: int | None = None
    kept_messages: int | None = None
    kept: int
    personas: int
    noise_before_reassign: int | None = None
    clusters_before_merge: int | None = None
    agent_messages_removed: int | None = None
    placed: int | None = Field(None, description="Members placed from their nearest sampled members, not fitted "
                                                "(a run above 1.5 x reduce.fit_sample_size members); None for runs "
                                                "made before it.")


class ConversationMetrics(Contract):
    noise_share: float | None = None
    n_personas: int | None = None
    silhouette: float | None = None
    dbcv: float | None = None
    stability_ari: float | None = None
    stability_personas: list[int] | None = Field(
        None, description="Personas found by the stability check's two refits (other seeds); compare them with "
                          "n_personas only where stability_rows is every member. None for runs made before it.")
    stability_rows: int | None = Field(None, description="Members the stability check refitted (a sample of at most "
                                                         "metrics.stability_sample).")
    labels: LabelMetrics | None = None


class Granularity(Contract):
    """How min_cluster_size was chosen (ml.cluster.density.PersonaClusterer.granularity_)."""

    rule: str
    why: str | None = None
    space: str | None = None
    chosen: int | None = None
    capped: bool | None = None
    cap: int | None = Field(None, description="The largest persona allowed when `capped` (in fitted members): half of "
                                              "them, halved again while a slice of the collapse held more than half "
                                              "the cap (runs since 2026-12-03; None otherwise).")
    bounded: bool | None = Field(None, description="rule 'share': the size stopped at cluster.largest_min_cluster_size "
                                                   "below the share of the fitted members (runs since 2026-12-02).")
    floor: int | None = Field(None, description="rule 'share': the least size the share could give, in fitted members: "
                                                "10, or a twentieth of a dump under 200 members, at least 5 (runs since "
                                                "2026-12-06; 10 before).")
    rescued: int | None = Field(None, description="Smaller dense clusters taken from the noise as personas (none when "
                                                  "the rescue did not run; runs made before these fields: in `why` only).")
    rescue_size: int | None = Field(None, description="The min_cluster_size those were found at (like `chosen`, "
                                                      "in sampled members when the run was fitted on a sample).")
    joined_from: int | None = Field(None, description="Clusters before pieces of one topic were joined (cluster.join, "
                                                     "ml.cluster.join); None when none were joined or for runs before it.")
    joined_into: int | None = Field(None, description="Clusters after that join (before cluster.merge_threshold's "
                                                     "merge, if set).")
    promoted: int | None = Field(None, description="Dense groups inside personas made personas (cluster.promote_ratio, "
                                                  "ml.cluster.join.promote_separated); None when it did not run.")
    promote_size: int | None = Field(None, description="The min_cluster_size those groups were read at.")
    promote_silhouette: float | None = Field(None, description="The members' silhouette after the promotions (None: "
                                                               "not scored).")
    candidates: list[Report] = Field(default_factory=list, description="ml.cluster.granularity.Candidate.to_dict")


class ClusterSection(Contract):
    min_cluster_size: int | None = None
    granularity: Granularity | None = None
    umap_neighbors: int | None = Field(None, description="UMAP neighbours the layout was fitted with (reduce."
                                       "n_neighbors, or the rule of ml.runtime.layout.layout_neighbors when it is "
                                       "null; a sampled fit's reduce.sample_n_neighbors); None before 2026-12-06")


class FusionSection(Contract):
    text_weight: float
    effective_text_weight: float | None = None
    text_share: float | None = None
    note: str | None = None


class EmbeddingCache(Contract):
    """Vectors of the embed stage: from the cache or encoded (pieces, when long texts were cut)."""

    cached: int
    encoded: int
    long: int = Field(0, description="members longer than the model's window (256 word pieces): read on their "
                                     "first 256 with embed.long_texts truncate, else cut into pieces "
                                     "(ml.features.long_text)")
    pieces: int = Field(0, description="the pieces those members were cut into (0 with truncate)")
    capped: int = Field(0, description="members cut into more than embed.max_pieces pieces; that many were "
                                       "encoded, spread over the text")


class TimeOffsets(Contract):
    zero: int = 0
    nonzero: int = 0
    absent: int = 0


class TimeSection(Contract):
    """The clock of hours and weekdays (ml.ingest.timebasis; docs/profiles.md#times)."""

    basis: str | None = Field(None, description='"UTC", "local", a fixed offset such as "UTC-08:00" (every timestamp carries that one offset), an IANA zone, or None without timestamps.')
    timezone: str | None = None
    note: str | None = None
    offsets: TimeOffsets | None = None
    first: str | None = Field(None, description="The earliest kept member's timestamp (ISO 8601, UTC); None "
                                                "without timestamps and for runs made before 2026-12-02.")
    last: str | None = Field(None, description="The latest kept member's timestamp (ISO 8601, UTC).")
    p05: str | None = Field(None, description="5th percentile of the kept members' timestamps: 90% lie between "
                                              "p05 and p95 (a few stray old messages can stretch first by years).")
    p95: str | None = Field(None, description="95th percentile of the kept members' timestamps.")
    ignored: str | None = Field(None, description=(
        "Why the time column was not read (every row the same instant, an export's time; or every value in "
        "1970, a count or an id read as seconds since 1970); None when it was, or for runs before 2026-12-05."))
    dates_only: bool | None = Field(None, description=(
        "True when the timestamps are dates without a time of day (every one at 00:00): no hour is read."))


class AgentsSection(Contract):
    """Brand/agent accounts found from behaviour (ml.filtering.agents.AgentDetector.report)."""

    stage: str = "agents"
    enabled: bool
    input: int
    removed: int
    marked: int
    kept: int
    kept_share: float
    accounts: int
    accounts_in_data: int
    examples: list[Example] = Field(default_factory=list)
    account_examples: list[Report] = Field(default_factory=list, description="Per-account evidence.")
    support_layout: bool | None = None
    removed_outbound_flag: int | None = None
    detected_marked_by_data: int | None = Field(None, description="Of the messages of the accounts found from how they "
                                                                  "write, those the data's side column marks as the "
                                                                  "company's too (null: the data has no side column).")
    removed_staff_signed: int | None = Field(None, description="Messages ending with a sign-off only staff use "
                                                               "(\"^AB\", \"*ErikS\"), by accounts not found as "
                                                               "agents (ml.filtering.agents.STAFF_SIGNOFF_RE).")
    agent_members: int | None = None
    removed_broadcast: int | None = Field(None, description="Messages of accounts that post links only (news feeds, "
                                                            "bots, promotions; AgentDetector.broadcast_accounts_), "
                                                            "removed in every layout unless --keep-agents.")
    broadcast_accounts: int | None = Field(None, description="Accounts that post links only among the candidates.")
    broadcast_examples: list[Report] = Field(default_factory=list, description="Up to three of them: account, "
                                                                               "messages.")


class _ManifestBase(Contract):
    run_id: str
    created_at: str | None = Field(None, description="ISO 8601, UTC.")
    unit: str | None = Field(None, description="message, conversation or author; user for event runs.")
    has_timestamps: bool | None = None
    has_authors: bool | None = None
    timings_s: dict[str, float] = Field(default_factory=dict, description="Seconds per stage and total.")
    peak_rss_mb: float | None = None
    peak_rss_mb_by_stage: dict[str, float] = Field(default_factory=dict)
    config: Report = Field(default_factory=dict, description="The full config the run used.")
    versions: dict[str, str | None] = Field(default_factory=dict, description="Package versions.")
    run_dir: str | None = Field(None, description="Where the run directory was written (server-side only: "
                                                 "the API never serves it).")
    series: str | None = Field(None, description="The series the run belongs to (python -m ml.run --series); "
                                                "None for a run of no series.")


class ConversationManifest(_ManifestBase):
    kind: Literal["conversations"] = "conversations"
    source: ConversationSource = Field(default_factory=ConversationSource)
    counts: ConversationCounts
    filtering: list[FilterStage] = Field(default_factory=list)
    metrics: ConversationMetrics = Field(default_factory=ConversationMetrics)
    cluster: ClusterSection | None = None
    fusion: FusionSection | None = None
    embedding_cache: EmbeddingCache | None = None
    hierarchy: Hierarchy | None = Field(None, description="Families of personas; None for runs made before them.")
    agents: AgentsSection | None = None
    time: TimeSection | None = None


# -- event runs -------------------------------------------------------------------------------
class EventSource(Contract):
    inputs: list[str] = Field(default_factory=list)
    load: Report = Field(default_factory=dict, description="The event ingest report (ml.events.ingest).")
    mapping: Report = Field(default_factory=dict, description="Which columns were read as user, event, time, ...")
    layout: str | None = None
    fingerprint: str | None = Field(None, description="sha256 of the inputs' bytes (ml.runtime.fingerprint), "
                                                    "written for a run of a series; None otherwise and before "
                                                    "2026-12-06.")


class EventFilterStage(Contract):
    """One step of ml.events.matrix.EventMatrix (window, min_activity, key_events)."""

    stage: str
    unit: str | None = None
    removed: int
    kept: int
    kept_share: float
    window: list[float | None] | None = None
    origin: str | None = None
    since: str | None = Field(None, description="window: the date its days count from (a log of dates, origin "
                                                "data: its first event's date)")
    min_user_events: float | None = None
    dropped: list[Report] | None = None
    users_removed: int | None = None
    events_removed: int | None = Field(None, description="min_activity, key_events: the events that went with "
                                                         "the users or event types it removed")
    events_kept: int | None = Field(None, description="min_activity, key_events: the events left (after "
                                                      "key_events: counts.events_in_window)")


class EventCounts(Contract):
    input: int
    input_users: int | None = None
    kept: int
    events_in_window: int | None = None
    event_types: int | None = None
    personas: int
    components: int | None = None
    mixed: int | None = None
    noise_before_reassign: int | None = 0


class OutcomeRow(Contract):
    persona_id: int
    n: int = Field(description="The persona's users with a known outcome.")
    rates: dict[str, float] = Field(description="Share of those users in each outcome category.")
    mean: float | None = Field(None, description="Mean of a numeric outcome.")


class OutcomeAside(Contract):
    """The users set aside before the personas (too few events), in the personas' categories."""

    n: int
    rates: dict[str, float]
    other: float = Field(description="Share in no category of the personas (a value beyond every band).")


class OutcomeTable(Contract):
    """One clustering's outcome rates per persona (``ml.events.outcomes.outcome_table``)."""

    n: int = Field(description="Users in personas with a known outcome.")
    categories: list[str] = Field(description="Outcome categories (bands of a numeric outcome, as \"(5.999, 40.0]\").")
    personas: list[OutcomeRow]
    overall: dict[str, float] = Field(description="Rates over every user in the personas.")
    set_aside: OutcomeAside | None = None
    chi2: float | None = None
    dof: int = 0
    p_value: float | None = None
    cramers_v: float | None = Field(None, description="How strongly persona goes with outcome: 0 not at all, 1 fully.")
    kruskal_p: float | None = Field(None, description="Kruskal-Wallis p of a numeric outcome across personas.")
    unread: int = Field(0, description="Users whose outcome is written but is no number, in a numeric outcome "
                                       "(\"absent\" among grades): left out of the table, counted here.")
    unread_examples: list[str] = Field(default_factory=list, description="Up to three such values, as written.")


class Outcomes(Contract):
    column: str | None = Field(None, description="The outcome column (--outcome-col).")
    nmf: OutcomeTable = Field(description="The personas' outcome table.")
    kmeans: OutcomeTable | None = Field(None, description="k-means with the same k on the same matrix, for scale.")
    volume: OutcomeTable | None = Field(None, description="The users cut into as many groups of about equal size by "
                                                          "how many events they logged (ml.events.outcomes."
                                                          "volume_groups): how much users do, beside what they do. "
                                                          "Absent before 2026-12-07.")


class EventMetrics(Contract):
    n_personas: int | None = None
    k: int | None = None
    k_chosen_by: str | None = None
    k_selection: list[Report] = Field(default_factory=list, description="Cross-validated error per k, with the "
                                      "silhouette, balance and smallest share of a fit with that k; each row's "
                                      "`users`: how many users they were measured on (a sample above "
                                      "nmf.cv_max_users; absent before 2026-12-06).")
    empty_components_dropped: int | None = Field(None, description="Components that were no user's largest share "
                                                                   "(a fixed k larger than the data holds), "
                                                                   "dropped: k counts the personas.")
    noise_share: float | None = None
    dbcv: float | None = None
    mixed_share: float | None = None
    mixed_margin: float | None = None
    silhouette: float | None = None
    balance: float | None = None
    min_share: float | None = None
    reconstruction_error: float | None = None
    stability_ari: float | None = None
    baseline_kmeans: Report | None = None
    outcomes: Outcomes | None = Field(None, description="Outcome rates per persona (ml.events.outcomes).")


class Weighting(Contract):
    weighting: str | None = None
    group_normalize: bool | None = None
    row_normalize: str | bool | None = None


class EventManifest(_ManifestBase):
    kind: Literal["events"] = "events"
    source: EventSource = Field(default_factory=EventSource)
    counts: EventCounts
    filtering: list[EventFilterStage] = Field(default_factory=list)
    metrics: EventMetrics = Field(default_factory=EventMetrics)
    events: list[str] = Field(default_factory=list, description="Event types kept.")
    event_reach: dict[str, float] = Field(default_factory=dict, description="Share of users with each kept event.")
    dropped_events: list[Report] = Field(default_factory=list)
    weighting: Weighting | None = None
    time_resolution: str | None = Field(None, description="hour, day, offset or none.")
    dates_without_year: bool | None = None
    time: TimeSection | None = Field(None, description="The clock of the hours and weekdays (runs with times of day "
                                                      "or dates; None for day offsets and runs before 2026-12-06).")


Manifest = by_kind(ConversationManifest, EventManifest)
_MANIFEST = TypeAdapter(Manifest)


def parse_manifest(document: dict[str, Any] | ConversationManifest | EventManifest, extra: ExtraValues | None = None
                   ) -> ConversationManifest | EventManifest:
    """A stored manifest (any version) as its contract model; ``pydantic.ValidationError`` when it is not one
    (``extra`` as in ``ml.runtime.contracts.persona.parse_persona``)."""
    if isinstance(document, (ConversationManifest, EventManifest)):
        return document
    return _MANIFEST.validate_python(with_kind(document), extra=extra)


__all__ = [
    "AgentsSection", "ClusterSection", "ConversationCounts", "ConversationManifest", "ConversationMetrics",
    "ConversationSource", "EmbeddingCache", "EventCounts", "EventFilterStage", "EventManifest", "EventMetrics",
    "EventSource", "Example", "FilterStage", "FusionSection", "Granularity", "LabelMetrics", "LabelScores",
    "Manifest", "Term", "TimeSection", "Weighting", "parse_manifest",
]
