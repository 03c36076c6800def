"""The explorer's TypeScript type-check and ESLint pass (`npm run typecheck`, `npm run lint`)."""

from __future__ import annotations

import subprocess

import pytest

from tests.browser.conftest import FRONTEND

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("script", ["typecheck", "lint"])
def test_npm_script_passes(script: str, frontend_out) -> None:
    # frontend_out runs scripts/build_frontend.sh first, so node_modules is installed and current.
    result = subprocess.run(["npm", "run", "--silent", script], check=False, cwd=FRONTEND, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"npm run {script} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
