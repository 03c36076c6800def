"""Liveness (`/health`, no dependencies) and readiness (`/ready`, checks the store)."""

from __future__ import annotations

import logging
from importlib import metadata

from fastapi import APIRouter, Response

from backend.deps import SettingsDep, StoreDep
from backend.errors import APIError
from backend.routes.common import errors
from backend.schemas import Health, Ready
from backend.settings import public_store_url

router = APIRouter(tags=["health"])
log = logging.getLogger("backend")


def _version() -> str:
    try:
        return metadata.version("personas")
    except metadata.PackageNotFoundError:
        return "0.1.0"


@router.get("/health", response_model=Health, summary="Liveness: the process is up")
def health() -> Health:
    return Health(status="ok", version=_version())


@router.get("/ready", response_model=Ready, responses=errors(503), summary="Readiness: the store answers")
def ready(store: StoreDep, settings: SettingsDep) -> Ready:
    try:
        store.ping()
    except Exception as exc:
        log.error("readiness: the store does not answer: %s", exc)  # may name server paths: the log only
        raise APIError(503, "store_unavailable", "the results store does not answer; the server log has "
                                                 "the details") from exc
    return Ready(status="ready", store=public_store_url(settings.store_url))


# HEAD too: load balancers probe with it, and docs/security.md lists it (an API review got 405); out of the schema,
# which would otherwise hold each operation twice
@router.head("/health", include_in_schema=False)
def health_head() -> Response:
    return Response(status_code=200)


@router.head("/ready", include_in_schema=False)
def ready_head(store: StoreDep, settings: SettingsDep) -> Response:
    ready(store, settings)  # 503 with the error body's status when the store does not answer
    return Response(status_code=200)
