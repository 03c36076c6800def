"""Personas of a run: treemap list, full profile (with its sub-personas), sub-personas alone, members
(paged, searchable), 2-D map."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Query

from backend.deps import CacheDep, SettingsDep, StoreDep
from backend.routes.common import (
    PageLimit,
    PersonaIdPath,
    RowOffset,
    RunIdPath,
    errors,
    page_limit,
    resolve_run,
)
from ml.runtime.contracts import (
    MapResponse,
    MemberPage,
    PersonaDetail,
    PersonaList,
    PersonaProfile,
    PersonaSummary,
    SubPersonaList,
    parse_persona,
)
from ml.runtime.contracts.base import STORED

router = APIRouter(prefix="/runs/{run_id}", tags=["personas"])

_ACTIVITY_FEATURES = ("night_share", "business_hours_share", "weekend_share")


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def persona_summary(profile: PersonaProfile, top_terms: int = 8) -> PersonaSummary:
    """Project a full profile onto the treemap fields (see `PersonaSummary`)."""
    size = profile.size
    feature_z = {f.feature: _finite(f.std_diff) for f in profile.fingerprint}
    means = {f.feature: _finite(f.persona_mean) for f in profile.fingerprint}
    core, reassigned = profile.core_size, profile.reassigned_count
    metrics: dict[str, float | None] = {
        "reassigned_share": reassigned / size if size and reassigned is not None else None,
        "core_share": core / size if size and core is not None else None,
        "separability": _finite(profile.separators.accuracy) if profile.separators else None,
    }
    for name in _ACTIVITY_FEATURES:
        if name in means:
            metrics[name] = means[name]
    tone = getattr(profile, "tone", None)
    if tone is not None:
        metrics["negative_share"] = _finite(tone.negative_share)
    return PersonaSummary(
        id=profile.id, name=profile.name or f"Persona {profile.id}", description=profile.description,
        size=size, share=_finite(profile.share) or 0.0, core_size=core, reassigned_count=reassigned,
        top_terms=profile.top_terms[:top_terms], metrics=metrics, feature_z=feature_z,
        parent_id=getattr(profile, "parent_id", None), level=getattr(profile, "level", None),
        sub_persona_count=len(getattr(profile, "sub_personas", None) or []),
        tone_reading=tone.reading if tone is not None else None,
        name_share=_finite(getattr(profile, "name_share", None)),
    )


WITHHELD_ID = "withheld"  # a member id that is its author's handle, in a persona below the privacy floor


def ids_are_authors_in(manifest: dict | None) -> bool:
    """Whether a run's member ids are its authors (``--unit author``: a member is a person, its id their handle)."""
    return (manifest or {}).get("unit") == "author"


def ids_are_authors(store, run_id: str, cache=None) -> bool:
    """Whether the run's member ids are its authors (``--unit author``: a member is a person, its id their handle),
    so a persona below the privacy floor withholds them as it withholds the author (a privacy review found
    "plantuser086" beside the withheld text)."""
    def load() -> bool:
        return ids_are_authors_in(store.get_run(run_id))

    return bool(cache.get_or_load(("ids_are_authors", run_id), load) if cache is not None else load())


def withheld_personas(store, run_id: str, cache=None) -> set[int]:
    """Ids of the run's personas below the privacy floor (``evidence_withheld``): their members' texts are not
    served (docs/privacy.md, "The privacy floor"). Read through ``cache`` (the app's ``ReadCache``) when given."""
    def load() -> frozenset[int]:
        return frozenset(int(p["id"]) for p in store.get_personas(run_id) if p.get("evidence_withheld"))

    return set(cache.get_or_load(("withheld", run_id), load) if cache is not None else load())


def _cut_text(point: dict[str, Any], cut: int) -> dict[str, Any]:
    text = point.get("text")
    if isinstance(text, str) and len(text) > cut:
        return {**point, "text": text[: max(cut - 1, 0)] + "…"}
    return point


@router.get("/personas", response_model=PersonaList, responses=errors(404),
            summary="Personas of a run with what a treemap needs")
def list_personas(run_id: RunIdPath, store: StoreDep, cache: CacheDep) -> PersonaList:
    resolved = resolve_run(store, run_id)

    def load() -> PersonaList:
        items = [persona_summary(parse_persona(p, extra=STORED)) for p in store.get_personas(resolved)]
        return PersonaList(run_id=resolved, items=items, total=len(items))

    return cache.get_or_load(("personas", resolved), load)


@router.get("/personas/{persona_id}", response_model=PersonaDetail, responses=errors(404),
            summary="One persona's full profile")
def get_persona(run_id: RunIdPath, persona_id: PersonaIdPath, store: StoreDep, cache: CacheDep) -> PersonaDetail:
    resolved = resolve_run(store, run_id)

    def load() -> PersonaDetail:
        profile = {k: v for k, v in store.get_persona(resolved, persona_id).items() if k != "member_ids"}
        return parse_persona({**profile, "run_id": resolved}, "detail", extra=STORED)

    return cache.get_or_load(("persona", resolved, persona_id), load)


@router.get("/personas/{persona_id}/sub-personas", response_model=SubPersonaList, responses=errors(404),
            summary="A persona's sub-personas (level 2), largest first; empty when it does not split")
def get_sub_personas(run_id: RunIdPath, persona_id: PersonaIdPath, store: StoreDep, cache: CacheDep) -> SubPersonaList:
    detail = get_persona(run_id, persona_id, store, cache)
    items = list(getattr(detail, "sub_personas", None) or [])  # event runs have none
    return SubPersonaList(run_id=detail.run_id, persona_id=persona_id, items=items, total=len(items))


@router.get("/personas/{persona_id}/members", response_model=MemberPage, responses=errors(404),
            summary="A persona's members, nearest the centre first, optionally filtered by text")
def get_members(
    run_id: RunIdPath,
    persona_id: PersonaIdPath,
    store: StoreDep,
    settings: SettingsDep,
    cache: CacheDep,
    q: Annotated[str | None, Query(max_length=200, description="Case-insensitive text filter.")] = None,
    offset: RowOffset = 0,
    limit: PageLimit = None,
) -> MemberPage:
    resolved = resolve_run(store, run_id)
    limit = page_limit(limit, settings)
    query = q.strip() if q and q.strip() else None
    # the store raises PersonaNotFound (404) for an unknown persona, rather than answering an empty page
    items, total = store.get_members(resolved, persona_id, offset=offset, limit=limit, query=query)
    if persona_id in withheld_personas(store, resolved, cache):  # the privacy floor: no text, no author to search or read
        hidden = {"member_id": WITHHELD_ID} if ids_are_authors(store, resolved, cache) else {}
        items, total = ([], 0) if query else ([{**m, "text": None, "author": None, **hidden} for m in items], total)
    return MemberPage.model_validate({"run_id": resolved, "persona_id": persona_id, "items": items, "total": total,
                                      "offset": offset, "limit": limit, "q": query}, extra=STORED)


@router.get("/map", response_model=MapResponse, responses=errors(404),
            summary="2-D map of a run: a deterministic sample stratified by persona")
def get_map(
    run_id: RunIdPath,
    store: StoreDep,
    settings: SettingsDep,
    cache: CacheDep,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000, description="Clamped to the map size cap.")] = None,
) -> MapResponse:
    resolved = resolve_run(store, run_id)
    limit = min(limit or settings.default_map_points, settings.max_map_points)
    points = store.get_map(resolved, limit=limit)[:limit]
    cut, withheld = settings.map_text_chars, withheld_personas(store, resolved, cache)
    hidden = {"member_id": WITHHELD_ID} if withheld and ids_are_authors(store, resolved, cache) else {}
    points = [{**point, "text": None, "text_withheld": True, **hidden} if point.get("persona_id") in withheld
              else _cut_text(point, cut) for point in points]
    return MapResponse.model_validate({"run_id": resolved, "points": points, "limit": limit}, extra=STORED)
