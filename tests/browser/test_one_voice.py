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
    big, other, third = sorted(personas, key=lambda p: -p["size"])[:3]
    assert "top_author_members" in big  # the pipeline writes it where authors are known
    assert "one_voice" in big and "message_count" in big
    big["top_author_members"] = math.ceil(0.6 * big["size"])  # a run without the served sentence: the page's rule
    big["one_voice"] = None
    other["top_author_members"] = min(other["top_author_members"] or 1, other["size"] // 3)
    other["one_voice"] = None
    # the run's own sentence (--unit author: one author of several writes most of the messages) is shown as served
    said = "One author writes 55 of its 115 messages (48%): read it as much as one customer's voice as a segment."
    third["one_voice"] = said
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
        # what the evidence selector does (it said "quotes other authors first", which a review found untrue of the
        # first quote: the best one, often the frequent author's)
        assert caution.inner_text().endswith("The evidence quotes each author once before it quotes anyone twice.")
        page.locator(".page-head").screenshot(path=str(artifacts / "persona-one-voice.png"))
        page.goto(f"{server.url}/persona/?run={quote(run_id)}&id={other['id']}")
        page.get_by_test_id("persona-name").wait_for()
        assert page.get_by_test_id("one-voice-caution").count() == 0
        page.goto(f"{server.url}/persona/?run={quote(run_id)}&id={third['id']}")
        page.get_by_test_id("one-voice-caution").wait_for()
        assert page.get_by_test_id("one-voice-caution").inner_text().startswith(said)
    finally:
        _stop(server)
