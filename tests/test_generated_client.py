"""The explorer's typed client is generated from the API, and the checked-in copies are current.

`bash scripts/gen_client.sh` writes `frontend/lib/openapi.json` (the FastAPI app's OpenAPI schema),
and `frontend/lib/api.gen.ts` (openapi-typescript over it; the strategy document's schema,
ml/strategy/schema.json, is part of the OpenAPI schema). Each test regenerates into a temporary folder and fails, with the first differing
lines, when a checked-in file differs: a changed response model must come with a regenerated client, and the
explorer's type-check (tests/browser/test_frontend_checks.py) then shows what it breaks.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO

LIB = REPO / "frontend" / "lib"
SCRIPT = REPO / "scripts" / "gen_client.sh"
GENERATOR = REPO / "frontend" / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
FIX = "run `bash scripts/gen_client.sh` and commit frontend/lib/openapi.json and frontend/lib/*.gen.ts"


def _generate(out: Path, *flags: str) -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    result = subprocess.run(["bash", str(SCRIPT), *flags, "--out", str(out)], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"scripts/gen_client.sh {' '.join(flags)} failed:\n{result.stderr[-4000:]}"


def _assert_same(fresh: Path, checked_in: Path) -> None:
    assert checked_in.is_file(), f"{checked_in.relative_to(REPO)} is missing: {FIX}"
    new, old = fresh.read_text(encoding="utf-8"), checked_in.read_text(encoding="utf-8")
    if new != old:
        diff = difflib.unified_diff(old.splitlines(), new.splitlines(), str(checked_in.relative_to(REPO)),
                                    "regenerated", lineterm="", n=2)
        shown = "\n".join(list(diff)[:80])
        pytest.fail(f"{checked_in.relative_to(REPO)} differs from what the code generates: {FIX}\n{shown}")


def test_checked_in_schema_matches_the_api(tmp_path: Path) -> None:
    _generate(tmp_path, "--schema-only")
    _assert_same(tmp_path / "openapi.json", LIB / "openapi.json")


def test_checked_in_typescript_matches_the_schema(tmp_path: Path) -> None:
    missing = [what for what, ok in (("node", shutil.which("node") is not None),
                                     (str(GENERATOR.relative_to(REPO)), GENERATOR.is_file())) if not ok]
    if missing:
        reason = f"{', '.join(missing)} missing: run `npm ci` in frontend/ (bash scripts/build_frontend.sh)"
        if IN_CI:
            pytest.fail(reason + " (CI=true requires it)")
        pytest.skip(reason)
    _generate(tmp_path, "--ts-only")
    _assert_same(tmp_path / "api.gen.ts", LIB / "api.gen.ts")
    assert not (LIB / "strategy.gen.ts").exists()  # the strategy document's types are in api.gen.ts now


def test_the_strategy_document_is_typed_in_the_schema() -> None:
    """An API review (2026-12-06): `StrategyResponse.strategy` was a bare object in the OpenAPI schema, so a client
    generated from it saw no fields; now it refers to the document's own schema, every field of it."""
    from backend.openapi import openapi_schema
    from ml.strategy import load_schema

    schemas = openapi_schema()["components"]["schemas"]
    assert schemas["StrategyResponse"]["properties"]["strategy"]["$ref"] == "#/components/schemas/Strategy"
    document = load_schema()
    assert set(schemas["Strategy"]["properties"]) == set(document["properties"])
    assert schemas["Strategy"]["required"] == document["required"]
    for key in document["$defs"]:
        assert "Strategy" + key[:1].upper() + key[1:] in schemas
    refs = {v for v in _values(schemas["Strategy"], "$ref")}
    assert refs and all(ref.startswith("#/components/schemas/Strategy") for ref in refs)


def _values(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            else:
                yield from _values(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _values(v, key)


def test_the_check_sees_a_changed_schema(tmp_path: Path) -> None:
    """The comparison is not vacuous: a schema whose run list lost a field no longer matches."""
    _generate(tmp_path, "--schema-only")
    fresh = tmp_path / "openapi.json"
    schema = json.loads(fresh.read_text(encoding="utf-8"))
    run_page = schema["components"]["schemas"]["RunPage"]  # the explorer's run list (paths.runs)
    assert "total" in run_page["properties"], "RunPage has no total: the regenerated schema is not the API's"
    del run_page["properties"]["total"]
    fresh.write_text(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="differs from what the code generates"):
        _assert_same(fresh, LIB / "openapi.json")
