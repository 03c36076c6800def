"""The run overview says how many members are longer than the text model reads (manifest
``embedding_cache.long``, ml/features/long_text.py): whole threads of the bundled TWCS sample
(``--unit conversation``) run past 256 word pieces; single tweets never do, and then nothing is said."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser.conftest import Server, served_run
from tests.fixtures.runs import SAMPLE_TWCS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def thread_run(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict]]:
    work = tmp_path_factory.mktemp("long-members")
    with served_run(work, [str(SAMPLE_TWCS)], "backend-long", "--unit", "conversation") as served:
        yield served


def test_overview_says_how_many_members_run_past_the_model(thread_run, live_server, page, artifacts):
    server, manifest = thread_run
    long, kept = manifest["embedding_cache"]["long"], manifest["counts"]["kept"]
    assert 0 < long < kept and manifest["embedding_cache"]["pieces"] == 0  # the default reads their opening
    page.goto(f"{server.url}/?run={quote(manifest['run_id'])}")
    note = page.get_by_test_id("long-members-note")
    note.wait_for()
    text = note.inner_text()
    assert f"{long:,} of the {kept:,} members" in text and "first 256 word pieces" in text
    assert "long_texts: medoid" in text
    note.screenshot(path=str(artifacts / "overview-long-members.png"))

    # a run of single tweets: none is that long, so the overview says nothing about it
    message_run = live_server.api("/runs/latest")
    assert message_run["embedding_cache"]["long"] == 0
    page.goto(f"{live_server.url}/?run={quote(message_run['id'])}")
    page.get_by_test_id("granularity-note").wait_for()
    assert page.get_by_test_id("long-members-note").count() == 0
