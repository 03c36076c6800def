"""The strategy document's own schema in the API's OpenAPI document.

``POST /runs/{id}/personas/{pid}/strategy`` answers a ``StrategyResponse`` whose ``strategy`` is the
document ``ml.strategy.generate_strategy`` writes, checked against ``ml/strategy/schema.json`` (JSON Schema
2020-12). Pydantic knows it only as an object; ``document_strategy(app)`` puts the schema itself into the
OpenAPI components (the document as ``Strategy``, each of its ``$defs`` as a component of its own:
``citations`` → ``StrategyCitations``) and points ``StrategyResponse.strategy`` at it, so a client generated
from ``/api/v1/openapi.json`` (the explorer's ``api.gen.ts`` too) gets the document's fields typed.

OpenAPI 3.1 schemas are JSON Schema 2020-12, so the schema goes in as written, but for two things: its
``$defs`` references are rewritten to the components, and an ``anyOf`` whose branches only bound declared
properties ("signals or evidence non-empty") is left out of the OpenAPI copy, because generators read each
branch as another shape of the object. The generator's documents are checked against the full schema
in the tests (``tests/test_strategy.py``, ``tests/backend/test_assign_strategy.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

__all__ = ["document_strategy", "strategy_components"]

_BOUNDS = {"minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum"}


def _bounds_only(branch: dict) -> bool:
    return set(branch) == {"properties"} and all(set(rule) <= _BOUNDS for rule in branch["properties"].values())


def strategy_components() -> dict[str, dict[str, Any]]:
    """``ml/strategy/schema.json`` as OpenAPI components: ``Strategy`` and ``Strategy<Def>`` per ``$defs`` entry."""
    from ml.strategy import load_schema

    full = load_schema()  # a cached dict: read, never changed
    schema = {k: v for k, v in full.items() if k not in ("$schema", "$id", "$defs")}
    defs = full.get("$defs", {})
    name = {key: "Strategy" + key[:1].upper() + key[1:] for key in defs}

    def moved(node: Any) -> Any:
        if isinstance(node, dict):
            if "properties" in node and "anyOf" in node and all(_bounds_only(b) for b in node["anyOf"]):
                node = {k: v for k, v in node.items() if k != "anyOf"}
            return {k: (f"#/components/schemas/{name[v[8:]]}" if k == "$ref" and v.startswith("#/$defs/")
                        else moved(v)) for k, v in node.items()}
        return [moved(v) for v in node] if isinstance(node, list) else node

    return {name[key]: moved(value) for key, value in defs.items()} | {"Strategy": moved(schema)}


def document_strategy(app: FastAPI) -> None:
    """Serve the strategy document's schema in ``app``'s OpenAPI document (module docstring)."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        response = components.get("StrategyResponse")
        if response is not None:
            components.update(strategy_components())
            field = response["properties"]["strategy"]
            response["properties"]["strategy"] = {"$ref": "#/components/schemas/Strategy",
                                                  "description": field.get("description", "")}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
