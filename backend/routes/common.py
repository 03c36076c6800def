"""Helpers shared by the route modules: run-id resolution, documented error responses, paging."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.routing import APIRoute

from backend.errors import APIError
from backend.schemas import MAX_ID, RUN_ID_PATTERN, ErrorResponse
from backend.settings import Settings
from ml.store.base import RunStore

RunIdPath = Annotated[str, Path(pattern=RUN_ID_PATTERN, max_length=64, examples=["latest"],
                                description="A run id, or `latest` for the newest run.")]
PersonaIdPath = Annotated[int, Path(ge=0, le=MAX_ID, examples=[0], description="Persona id within the run.")]
# Paging: `offset` into a list of runs (RunOffset) or of a run's rows (RowOffset), `limit` clamped by `page_limit`.
RunOffset = Annotated[int, Query(ge=0, le=1_000_000)]
RowOffset = Annotated[int, Query(ge=0, le=10_000_000)]
PageLimit = Annotated[int | None, Query(ge=1, le=10_000, description="Clamped to the page size cap.")]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries documenting the JSON error shape for the given statuses, with 422 (a bad parameter) and
    503 (`store_unavailable`: the results store does not answer, which any route that reads it may say)."""
    return {status: {"model": ErrorResponse} for status in dict.fromkeys((422, *statuses, 503))}


def resolve_run(store: RunStore, run_id: str) -> str:
    """`latest` → the newest run id; otherwise the validated id (422 for anything odd)."""
    try:
        return store.resolve_run_id(run_id)
    except ValueError as exc:
        raise APIError(422, "invalid_id", f"run_id: {exc}") from exc


def page_limit(limit: int | None, settings: Settings) -> int:
    """The page size asked for (the default page size when none), clamped to the server's cap."""
    return min(limit or settings.default_page_size, settings.max_page_size)


def personas_in_scope(manifest: dict[str, Any], profiles: list[dict[str, Any]], run_id: str, persona: int | None,
                      family: int | None) -> tuple[set[int] | None, str]:
    """The personas a download holds for ``?persona=`` / ``?family=`` (None: all) and its file-name suffix
    (``-persona-7``, ``-family-2``, ``""``); 404 for a persona or family the run lacks, 422 for both."""
    if persona is not None and family is not None:
        raise APIError(422, "invalid_request", "give persona or family, not both")
    if persona is not None:
        if all(int(p["id"]) != persona for p in profiles):
            raise APIError(404, "persona_not_found", f"persona {persona} not found in run {run_id!r}")
        return {persona}, f"-persona-{persona}"
    if family is not None:
        families = (manifest.get("hierarchy") or {}).get("families") or []
        ids = next((set(f.get("persona_ids") or []) for f in families if f.get("id") == family), None)
        if not ids:
            raise APIError(404, "family_not_found", f"family {family} not found in run {run_id!r}")
        return {int(i) for i in ids}, f"-family-{family}"
    return None, ""


def _query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters a route declares (aliases as sent), its own dependencies' included; read once per route.
    Not seen: parameters of a dependency set on a parent router and the fields of a pydantic query model (no route has
    either; ``tests/backend/test_security_inputs.py`` sends every documented parameter to every route)."""
    known = getattr(route, "personas_query_names", None)
    if known is None:
        known = route.personas_query_names = _declared(route)
    return known


def _declared(route: APIRoute) -> frozenset[str]:
    names, todo = set(), [route.dependant]
    while todo:
        dependant = todo.pop()
        names.update(p.alias for p in dependant.query_params)
        todo.extend(dependant.dependencies)
    return frozenset(names)


async def known_query(request: Request) -> None:
    """Every route's dependency: a query parameter the route does not take is a 422 that names it, not ignored.

    An API review sent `/runs/latest/members?persona_id=3` (the parameter is a path segment) and `?limt=5`, and got
    every member and the default page back, with nothing to say the parameter was not read."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route)
    unknown = next((k for k in request.query_params if k not in known), None)
    if unknown is not None:
        takes = f"it takes {', '.join(sorted(known))}" if known else "it takes no query parameters"
        raise APIError(422, "invalid_request", f"query.{unknown[:40]}: not a parameter of this endpoint; {takes}")
