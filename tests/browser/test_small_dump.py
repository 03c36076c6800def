"""The run overview of a small dump says the floor it was cut at (docs/ablations.md, "Small dumps"): 100 news
texts of 10 stories, real pipeline, real backend over SQLite, Debian's Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

from tests.browser.conftest import Server, _start_backend, _stop
from tests.fixtures.data import shared_path
from tests.fixtures.runs import run_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def small_dump(frontend_out, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    from scripts.make_small_sets import tiny_sets

    work = tmp_path_factory.mktemp("small-dump")
    tiny_sets(shared_path("banking77", "train.csv").parents[1])["s100_gn10"].to_csv(work / "news.csv", index=False)
    store = f"sqlite:///{work / 'personas.db'}"
    assert run_cli([str(work / "news.csv"), "--text-col", "text", "--id-col", "id", "--out", str(work / "run"),
                    "--store", store, "--seed", "0"]) == 0
    run_id = json.loads((work / "run" / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    server = _start_backend(store, work, "backend-small")
    try:
        yield server, run_id
    finally:
        _stop(server)


def test_the_overview_says_a_small_dumps_floor(small_dump, page, artifacts):
    server, run_id = small_dump
    assert server.api(f"/runs/{run_id}")["cluster"]["granularity"]["floor"] == 5  # the API serves the floor
    page.goto(f"{server.url}/?run={quote(run_id)}")
    note = page.get_by_test_id("granularity-note")
    expect(note).to_contain_text("a group of at least 5 members")
    text = note.inner_text()
    assert "never fewer than 5 in a dump this small" in text and "never fewer than 10" not in text, text
    note.screenshot(path=str(artifacts / "overview-small-dump-granularity.png"))
