"""Marketing strategies from persona profiles (rules over measured signals; optional LLM wording).

``generate_strategy(profile, goal, channels=None) -> dict`` (CONTRACTS §4; goal None: ``suggested_goal``), valid against
``schema.json`` (``load_schema()``, ``validate_strategy(doc)``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ml.strategy.cite import resolve_citation
from ml.strategy.generator import (
    GOALS,
    StrategyError,
    generate_strategy,
    iter_citations,
    suggested_goal,
)

SCHEMA_PATH = Path(__file__).with_name("schema.json")

__all__ = [
    "GOALS",
    "SCHEMA_PATH",
    "StrategyError",
    "generate_strategy",
    "iter_citations",
    "load_schema",
    "resolve_citation",
    "suggested_goal",
    "validate_strategy",
]


@lru_cache(maxsize=1)
def load_schema() -> dict:
    """The strategy JSON Schema (draft 2020-12)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_strategy(doc: dict) -> None:
    """Raise ``jsonschema.ValidationError`` when ``doc`` does not follow the strategy schema."""
    import jsonschema

    jsonschema.Draft202012Validator(load_schema()).validate(doc)
