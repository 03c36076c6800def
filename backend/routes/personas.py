"""Personas of a run: treemap list, full profile, members (paged, searchable), 2-D map."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Query

from backend.deps import CacheDep, SettingsDep, StoreDep
from backend.routes.common import PersonaIdPath, RunIdPath, errors, resolve_run
from backend.schemas import MapResponse, MemberPage, PersonaList, PersonaProfile, PersonaSummary

router = APIRouter(prefix="/runs/{run_id}", tags=["personas"])

_ACTIVITY_FEATURES = ("night_share", "business_hours_share", "weekend_share")


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def term_weight(term: Any) -> dict[str, Any] | None:
    """A top term as `{term, weight}` (the one shape of every response), whether stored as "word",
    {"term": "word", "weight"|"score": w} or ["word", w]; None for an empty term. `weight` is None
    when the stored term had none."""
    weight: Any = None
    if isinstance(term, dict):
        text = next((term[k] for k in ("term", "ngram", "text", "word", "event") if k in term),
                    next((v for v in term.values() if isinstance(v, str)), ""))
        weight = next((term[k] for k in ("weight", "score", "lift") if k in term), None)
    elif isinstance(term, (list, tuple)):
        text, weight = (term[0] if term else ""), (term[1] if len(term) > 1 else None)
    else:
        text = term
    text = str(text) if text is not None else ""
    return {"term": text, "weight": _finite(weight)} if text else None


def term_list(terms: Any, limit: int | None = None) -> list[dict[str, Any]]:
    """Stored top terms (any shape) as `[{term, weight}]`, at most `limit`."""
    items = [t for t in (term_weight(x) for x in (terms or [])) if t]
    return items[:limit] if limit is not None else items


def persona_summary(profile: dict[str, Any], top_terms: int = 8) -> dict[str, Any]:
    """Project a full profile onto the treemap fields (see `PersonaSummary`)."""
    size = int(profile.get("size") or 0)
    fingerprint = profile.get("fingerprint") or []
    feature_z = {f["feature"]: _finite(f.get("std_diff")) for f in fingerprint if isinstance(f, dict) and "feature" in f}
    means = {f["feature"]: _finite(f.get("persona_mean")) for f in fingerprint if isinstance(f, dict) and "feature" in f}
    core, reassigned = _finite(profile.get("core_size")), _finite(profile.get("reassigned_count"))
    metrics: dict[str, float | None] = {
        "reassigned_share": reassigned / size if size and reassigned is not None else None,
        "core_share": core / size if size and core is not None else None,
        "separability": _finite((profile.get("separators") or {}).get("accuracy")),
    }
    for name in _ACTIVITY_FEATURES:
        if name in means:
            metrics[name] = means[name]
    return {
        "id": int(profile["id"]),
        "name": str(profile.get("name") or f"Persona {profile['id']}"),
        "description": str(profile.get("description") or ""),
        "size": size,
        "share": _finite(profile.get("share")) or 0.0,
        "core_size": profile.get("core_size"),
        "reassigned_count": profile.get("reassigned_count"),
        "top_terms": term_list(profile.get("top_terms"), top_terms),
        "metrics": metrics,
        "feature_z": feature_z,
        "parent_id": profile.get("parent_id"),
        "level": profile.get("level"),
    }


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
        items = [PersonaSummary.model_validate(persona_summary(p)) for p in store.get_personas(resolved)]
        return PersonaList(run_id=resolved, items=items, total=len(items))

    return cache.get_or_load(("personas", resolved), load)


@router.get("/personas/{persona_id}", response_model=PersonaProfile, responses=errors(404),
            summary="One persona's full profile")
def get_persona(run_id: RunIdPath, persona_id: PersonaIdPath, store: StoreDep, cache: CacheDep) -> dict[str, Any]:
    resolved = resolve_run(store, run_id)

    def load() -> dict[str, Any]:
        profile = dict(store.get_persona(resolved, persona_id))
        profile.pop("member_ids", None)
        profile["run_id"] = resolved
        for key in ("top_terms", "top_ngrams"):
            if key in profile:
                profile[key] = term_list(profile[key])
        return profile

    return cache.get_or_load(("persona", resolved, persona_id), load)


@router.get("/personas/{persona_id}/members", response_model=MemberPage, responses=errors(404),
            summary="A persona's members, nearest the centre first, optionally filtered by text")
def get_members(
    run_id: RunIdPath,
    persona_id: PersonaIdPath,
    store: StoreDep,
    settings: SettingsDep,
    q: Annotated[str | None, Query(max_length=200, description="Case-insensitive text filter.")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="Clamped to the page size cap.")] = None,
) -> MemberPage:
    resolved = resolve_run(store, run_id)
    limit = min(limit or settings.default_page_size, settings.max_page_size)
    query = q.strip() if q and q.strip() else None
    store.get_persona(resolved, persona_id)  # 404 for an unknown persona rather than an empty page
    items, total = store.get_members(resolved, persona_id, offset=offset, limit=limit, query=query)
    return MemberPage(run_id=resolved, persona_id=persona_id, items=items, total=total,
                      offset=offset, limit=limit, q=query)


@router.get("/map", response_model=MapResponse, responses=errors(404),
            summary="2-D map of a run: a deterministic sample stratified by persona")
def get_map(
    run_id: RunIdPath,
    store: StoreDep,
    settings: SettingsDep,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000, description="Clamped to the map size cap.")] = None,
) -> MapResponse:
    resolved = resolve_run(store, run_id)
    limit = min(limit or settings.default_map_points, settings.max_map_points)
    points = store.get_map(resolved, limit=limit)[:limit]
    cut = settings.map_text_chars
    points = [_cut_text(point, cut) for point in points]
    return MapResponse(run_id=resolved, points=points, limit=limit)
