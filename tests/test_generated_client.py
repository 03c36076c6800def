"""The explorer's typed client is generated from the API, and the checked-in copies are current.

`bash scripts/gen_client.sh` writes `frontend/lib/openapi.json` (the FastAPI app's OpenAPI schema) and
`frontend/lib/api.gen.ts` (openapi-typescript over it). Each test regenerates one of them into a temporary
folder and fails, with the first differing lines, when the checked-in file differs: a changed response
model must come with a regenerated client, and the explorer's type-check then shows what it breaks.
"""

from __future__ import annotations

import difflib
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
FIX = "run `bash scripts/gen_client.sh` and commit frontend/lib/openapi.json and frontend/lib/api.gen.ts"


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


def test_the_check_sees_a_changed_schema(tmp_path: Path) -> None:
    """The comparison is not vacuous: a schema that lost one field no longer matches."""
    _generate(tmp_path, "--schema-only")
    fresh = tmp_path / "openapi.json"
    text = fresh.read_text(encoding="utf-8")
    assert '"RunSummary"' in text, "the schema has no RunSummary: the explorer's run list needs it"
    fresh.write_text(text.replace('"created_at"', '"created"', 1), encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="differs from what the code generates"):
        _assert_same(fresh, LIB / "openapi.json")
