"""A persona one author fills says so on its page. The bundled TWCS sample's run (real pipeline), republished
with its largest persona's ``top_author_members`` set above a third of it (the sample has no such persona; on
the first 5,000 TWCS tweets one blogger wrote 55 of a persona's 89 members), served by the real backend, read
in Debian's Chromium. Screenshot: test-artifacts/browser/persona-one-voice.png."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from ml.store import RunBundle, open_store
from tests.browser.conftest import _start_backend, _stop

pytestmark = [pytest.mark.browser]


def test_a_persona_one_author_fills_says_so(frontend_out: Path, pipeline_run_dir: Path, tmp_path: Path, page, artifacts):
    run = tmp_path / "run"
    shutil.copytree(pipeline_run_dir, run)
    personas = json.loads((run / "personas.json").read_text(encoding="utf-8"))
    big, other = sorted(personas, key=lambda p: -p["size"])[:2]
    assert "top_author_members" in big  # the pipeline writes it where authors are known
    big["top_author_members"] = math.ceil(0.6 * big["size"])
    other["top_author_members"] = min(other["top_author_members"] or 1, other["size"] // 3)
    (run / "personas.json").write_text(json.dumps(personas), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'one-voice.db'}"
    store = open_store(url)
    store.publish(RunBundle.from_dir(run))
    store.close()
    run_id = json.loads((run / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    server = _start_backend(url, tmp_path, "backend-one-voice")
    try:
        page.goto(f"{server.url}/persona/?run={quote(run_id)}&id={big['id']}")
        caution = page.get_by_test_id("one-voice-caution")
        caution.wait_for()
        assert caution.inner_text().startswith(
            f"One author accounts for {big['top_author_members']:,} of its {big['size']:,} members (")
        page.locator(".page-head").screenshot(path=str(artifacts / "persona-one-voice.png"))
        page.goto(f"{server.url}/persona/?run={quote(run_id)}&id={other['id']}")
        page.get_by_test_id("persona-name").wait_for()
        assert page.get_by_test_id("one-voice-caution").count() == 0
    finally:
        _stop(server)
