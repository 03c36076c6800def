"""The explorer's typed client is generated from the API, and the checked-in copies are current.

`bash scripts/gen_client.sh` writes `frontend/lib/openapi.json` (the FastAPI app's OpenAPI schema),
`frontend/lib/api.gen.ts` (openapi-typescript over it) and `frontend/lib/strategy.gen.ts` (the same over
ml/strategy/schema.json). Each test regenerates into a temporary folder and fails, with the first differing
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


@pytest.mark.parametrize("name", ["api.gen.ts", "strategy.gen.ts"])
def test_checked_in_typescript_matches_the_schema(tmp_path: Path, name: str) -> None:
    missing = [what for what, ok in (("node", shutil.which("node") is not None),
                                     (str(GENERATOR.relative_to(REPO)), GENERATOR.is_file())) if not ok]
    if missing:
        reason = f"{', '.join(missing)} missing: run `npm ci` in frontend/ (bash scripts/build_frontend.sh)"
        if IN_CI:
            pytest.fail(reason + " (CI=true requires it)")
        pytest.skip(reason)
    _generate(tmp_path, "--ts-only")
    _assert_same(tmp_path / name, LIB / name)


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
