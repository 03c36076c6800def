"""One router per resource; `api_router` collects them under `/api/v1`."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from backend.routes import (
    assign,
    compare,
    exports,
    families,
    features,
    health,
    personas,
    report,
    runs,
    strategy,
)
from backend.routes.common import known_query

api_router = APIRouter()
api_router.include_router(health.router)  # probes may add a cache-buster: never refused
for _module in (runs, personas, families, features, assign, strategy, exports, report, compare):
    # an unknown query parameter is a 422 that names it
    api_router.include_router(_module.router, dependencies=[Depends(known_query)])
