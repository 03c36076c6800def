"""Records the API serves beyond the stored documents: run summaries (with ``kind``), manifests as served,
persona summaries for the treemap, assignment rows (members, map points), the feature table and pages.

Every JSON API response is one of these models or a page of them (``backend/schemas.py`` keeps only the
request models and the error body), so the OpenAPI schema is the contract (``python -m backend.openapi``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, TypeAdapter
from pydantic.config import ExtraValues

from ml.runtime.contracts.base import STORED, Contract, Term, by_kind, with_kind
from ml.runtime.contracts.manifest import (
    ConversationCounts,
    ConversationManifest,
    ConversationSource,
    EventCounts,
    EventManifest,
    EventSource,
    TimeSection,
)
from ml.runtime.contracts.persona import PersonaProfile, SubPersona


# -- runs -----------------------------------------------------------------------------------------
class ConversationRunSummary(Contract):
    """One item of ``GET /runs`` (``ml.store.records.run_summary``)."""

    id: str
    kind: Literal["conversations"] = "conversations"
    created_at: str | None = None
    unit: str | None = None
    source: ConversationSource | None = None
    counts: ConversationCounts | None = None
    series: str | None = Field(None, description="The series the run belongs to (python -m ml.run --series).")
    time: TimeSection | None = Field(None, description="The dates its data covers and their clock (the manifest's "
                                                       "`time`); None in a Firestore store for runs published "
                                                       "before 2026-12-05.")


class EventRunSummary(Contract):
    id: str
    kind: Literal["events"] = "events"
    created_at: str | None = None
    unit: str | None = None
    source: EventSource | None = None
    counts: EventCounts | None = None
    series: str | None = Field(None, description="The series the run belongs to (python -m ml.run --series).")


RunSummary = by_kind(ConversationRunSummary, EventRunSummary)
_SUMMARY = TypeAdapter(RunSummary)


def parse_run_summary(document: dict[str, Any], extra: ExtraValues | None = None
                      ) -> ConversationRunSummary | EventRunSummary:
    """A stored run summary (any version; ``kind`` inferred when missing) as its model (``extra`` as in
    ``parse_persona``)."""
    return _SUMMARY.validate_python(with_kind(document), extra=extra)


class RunPage(Contract):
    items: list[RunSummary]
    total: int
    offset: int
    limit: int


class _ServedManifest(Contract):
    id: str
    model_available: bool = Field(False, description="Whether this server can assign new conversations to this run.")
    has_comparison: bool = Field(False, description="Whether the run is stored with a comparison with its baseline "
                                                    "(GET /runs/{id}/comparison answers 404 when not).")


class ConversationRunManifest(ConversationManifest, _ServedManifest):
    """``GET /runs/{id}`` for a conversation run: the manifest, server paths cut to names."""

    run_dir: None = Field(None, exclude=True, description="Never served.")


class EventRunManifest(EventManifest, _ServedManifest):
    """``GET /runs/{id}`` for an event run."""

    run_dir: None = Field(None, exclude=True, description="Never served.")


RunManifest = by_kind(ConversationRunManifest, EventRunManifest)
_MANIFEST = TypeAdapter(RunManifest)


def served_manifest(document: dict[str, Any], run_id: str, model_available: bool, has_comparison: bool = False
                    ) -> ConversationRunManifest | EventRunManifest:
    """The served form of a (path-redacted) stored manifest; fields this version does not know are left out
    (``STORED``: a run a newer pipeline wrote)."""
    body = {k: v for k, v in document.items() if k != "run_dir"}
    body.setdefault("run_id", run_id)
    return _MANIFEST.validate_python(with_kind({**body, "id": run_id, "model_available": model_available,
                                                "has_comparison": has_comparison}), extra=STORED)


class DeleteResult(Contract):
    id: str
    deleted: bool
    baseline_of: list[str] = Field(default_factory=list, description="Runs of its series that were compared with "
                                                                   "it: their comparisons keep naming it as their "
                                                                   "baseline, now gone (the What changed page says "
                                                                   "\"not in the store\").")


# -- personas -------------------------------------------------------------------------------------
class PersonaSummary(Contract):
    """What the treemap needs: size, share, label terms and colour metrics."""

    id: int
    name: str
    description: str = ""
    size: int
    share: float
    core_size: int | None = None
    reassigned_count: int | None = None
    top_terms: list[Term] = Field(default_factory=list, description="Up to 8, most distinctive first.")
    metrics: dict[str, float | None] = Field(
        default_factory=dict,
        description="Colour metrics: reassigned_share, core_share, separability (separator accuracy) "
                    "and night_share / business_hours_share / weekend_share when the run has timestamps; negative_share "
                    "(members whose text reads negative, ml.profile.tone) for conversation runs made since 2026-12-02.")
    feature_z: dict[str, float | None] = Field(
        default_factory=dict, description="Standardised difference to the population per behavioural feature.")
    parent_id: int | None = Field(None, description="The persona's family (GET /runs/{id}/families); "
                                                    "None for runs made before families existed.")
    level: int | None = Field(None, description="1 for a persona (0 is a family).")
    sub_persona_count: int = Field(0, description="Its sub-personas (level 2); 0 when it does not split.")
    tone_reading: str | None = Field(None, description="Its tone against the other personas' (ml.profile.tone): "
                                                      "more negative, less negative or like everyone; None without.")
    name_share: float | None = Field(None, ge=0, le=1, description=(
        "Share of its members whose text holds the words of its name (the persona's `name_share`); the overview "
        "marks a name under 25 % as describing few of them. None for event runs and runs without it."))


class PersonasExport(Contract):
    """``GET /runs/{id}/export/personas.json``: every persona's profile (the store's, no member list)."""

    run_id: str
    personas: list[PersonaProfile]


class SubPersonaList(Contract):
    """``GET /runs/{id}/personas/{pid}/sub-personas``: the persona's sub-personas, largest first."""

    run_id: str
    persona_id: int
    items: list[SubPersona]
    total: int


class PersonaList(Contract):
    run_id: str
    items: list[PersonaSummary]
    total: int


# -- members --------------------------------------------------------------------------------------
class AssignmentRow(Contract):
    """One member of a run: a row of ``assignments.parquet`` and an item of the members page.

    For event runs a member is a user: ``text`` is their event mix, ``reassigned`` = flagged as mixed,
    ``distance`` = 1 − margin, ``n_messages`` = events.
    """

    member_id: str
    persona_id: int
    reassigned: bool = Field(False, description="Was noise, placed at the nearest persona.")
    placed: bool = Field(False, description="Not in the sample UMAP and HDBSCAN were fitted on (a run "
                                            "above 1.5 x reduce.fit_sample_size members): took its nearest sampled "
                                            "members' persona.")
    distance: float | None = None
    x: float | None = Field(None, description="2-D map coordinate.")
    y: float | None = None
    text: str | None = Field(None, description="Masked for display.")
    author: str | None = None
    timestamp: str | None = None
    n_messages: int | None = None
    confidence: float | None = Field(None, description="0..1: share of the persona's core members as far from "
                                                       "its centre or farther (docs/api.md#confidence).")
    subpersona_id: int | None = Field(None, description="Its sub-persona (level 2); None where the persona does "
                                                        "not split, for event runs and runs made before.")


#: Columns of ``assignments.parquet``, in order.
ASSIGNMENT_COLUMNS: list[str] = list(AssignmentRow.model_fields)


class MemberPage(Contract):
    run_id: str
    persona_id: int
    items: list[AssignmentRow] = Field(description="Below the privacy floor (the persona's evidence_withheld) "
                                                   "without text or author (docs/privacy.md).")
    total: int
    offset: int
    limit: int
    q: str | None = None


class MapPoint(Contract):
    member_id: str
    persona_id: int
    x: float | None = None
    y: float | None = None
    reassigned: bool | None = None
    confidence: float | None = Field(None, description="As in members; None for runs published before it.")
    text: str | None = None
    text_withheld: bool = Field(False, description="Its persona is below the privacy floor (evidence_withheld): "
                                                  "no text is served (docs/privacy.md).")


class MapResponse(Contract):
    run_id: str
    points: list[MapPoint]
    limit: int


# -- features -------------------------------------------------------------------------------------
class FeatureInfo(Contract):
    name: str = Field(description="Column name, as in fingerprints and feature_z.")
    group: Literal["temporal", "interaction", "style", "network"]
    label: str = Field(description="Plain label for people.")
    meaning: str = Field(description="One line: what a higher value means.")
    definition: str = Field(description="Technical definition (transforms, units).")
    missing: str = Field(description="When the feature has no value.")


class FeatureTable(Contract):
    features: list[FeatureInfo]


__all__ = [
    "ASSIGNMENT_COLUMNS", "AssignmentRow", "ConversationRunManifest", "ConversationRunSummary", "DeleteResult",
    "EventManifest", "EventRunManifest", "EventRunSummary", "FeatureInfo", "FeatureTable", "MapPoint",
    "MapResponse", "MemberPage", "PersonaList", "PersonaSummary", "RunManifest", "RunPage", "RunSummary", "SubPersonaList",
    "parse_run_summary", "served_manifest",
]
