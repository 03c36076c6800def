"""Helpers shared by the route modules: run-id resolution and documented error responses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from backend.errors import APIError
from backend.schemas import MAX_ID, RUN_ID_PATTERN, ErrorResponse
from ml.store.base import RunStore

RunIdPath = Annotated[str, Path(pattern=RUN_ID_PATTERN, max_length=64, examples=["latest"],
                                description="A run id, or `latest` for the newest run.")]
PersonaIdPath = Annotated[int, Path(ge=0, le=MAX_ID, examples=[0], description="Persona id within the run.")]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries documenting the JSON error shape for the given statuses."""
    return {status: {"model": ErrorResponse} for status in (422, *statuses)}


def resolve_run(store: RunStore, run_id: str) -> str:
    """`latest` → the newest run id; otherwise the validated id (422 for anything odd)."""
    try:
        return store.resolve_run_id(run_id)
    except ValueError as exc:
        raise APIError(422, "invalid_id", f"run_id: {exc}") from exc
