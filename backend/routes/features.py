"""The behavioral features in plain words: the one table the explorer uses wherever a feature is shown."""

from __future__ import annotations

from fastapi import APIRouter

from backend.routes.common import errors
from ml.runtime.contracts import FeatureTable

router = APIRouter(tags=["features"])


@router.get("/features", response_model=FeatureTable, responses=errors(),
            summary="The 36 behavioral features: plain label, what a higher value means, technical definition")
def list_features() -> FeatureTable:
    from ml.features.labels import feature_table

    return FeatureTable.model_validate({"features": list(feature_table())})
