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

api_router = APIRouter(dependencies=[Depends(known_query)])  # an unknown query parameter is a 422 that names it
for _module in (health, runs, personas, families, features, assign, strategy, exports, report, compare):
    api_router.include_router(_module.router)
