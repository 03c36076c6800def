"""One router per resource; `api_router` collects them under `/api/v1`."""

from __future__ import annotations

from fastapi import APIRouter

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

api_router = APIRouter()
for _module in (health, runs, personas, families, features, assign, strategy, exports, report, compare):
    api_router.include_router(_module.router)
