"""End-to-end: the explorer in Chromium over a real event run (the Moodle course log, NMF on
users × events) served by the real backend. Each page is checked against the API's numbers for the
same run and screenshotted to test-artifacts/browser/events-*.png.

The Moodle log writes times without a year ("11 May, 09:44"), so the run has hours but
`weekday: null`: the persona page must show hours and the weekly curve and say why weekdays are missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest

from ml.events.profile import event_label
from tests.backend.test_events_api import make_moodle_event_run
from tests.browser.conftest import Server, _start_backend, _stop
from tests.fixtures.data import shared_path
from tests.fixtures.runs import sqlite_store_with

# the filter steps as the explorer words them (frontend/components/FilterFunnel.tsx STAGE_WORDS)
STAGE_WORDS = {"exact_duplicates": "exact duplicates", "near_duplicates": "near duplicates",
         "retweets_forwards": "retweets and forwards", "length": "too short or too long", "templates": "templates",
         "non_english": "not in English", "window": "time window", "min_activity": "users with too few events",
         "key_events": "event types kept"}

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CELLS = ".recharts-treemap-depth-1 path.recharts-rectangle"


@pytest.fixture(scope="module")
def event_server(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`python -m backend` over a SQLite store holding only the Moodle event run, with the course's grades as its
    outcome (joined on the grades file's StudentId)."""
    workdir = tmp_path_factory.mktemp("backend-events")
    grades = shared_path("events_moodle", "Course_Grades_Obfuscated.csv")
    run_dir = make_moodle_event_run(workdir / "moodle", ("--outcome-file", str(grades), "--outcome-col", "Overall",
                                                         "--outcome-key-col", "StudentId",
                                                         "--min-user-events", "40"))  # 5 users set aside
    url = sqlite_store_with(workdir / "events.db", run_dir)
    server = _start_backend(url, workdir, "backend-events")
    yield server
    _stop(server)


def test_overview_shows_each_personas_outcome(event_server, page, artifacts):
    """The outcome file's rates per persona were in the manifest only: the overview shows them beside everyone's,
    with how strongly personas go with the outcome and how k-means on the same matrix does."""
    run, personas = _run_and_personas(event_server)
    outcomes = run["metrics"]["outcomes"]
    page.goto(f"{event_server.url}/?run={quote(run['id'])}")
    panel = page.get_by_test_id("outcomes")
    panel.wait_for()
    rows = panel.locator("tbody tr")
    assert rows.count() == len(outcomes["nmf"]["personas"]) + 2  # one per persona, everyone in one, the set aside
    # the users set aside (too few events) have their own row, not hidden in "everyone" (KDD: 96 % dropout there)
    aside = outcomes["nmf"]["set_aside"]
    low = min(outcomes["nmf"]["categories"], key=lambda c: float(c.strip("([").split(",")[0]))
    row = page.get_by_test_id("outcomes-set-aside").inner_text()
    assert aside["n"] == 5 and row.startswith("Set aside before the personas") and f"{100 * aside['rates'][low]:.1f}%" in row
    # a numeric outcome's bands read as numbers: "(5.999, 40.0]" as "6 to 40", "(40.0, 56.667]" as "over 40 to 56.67"
    lo, hi = (float(x) for x in low.strip("([])").split(","))
    head = panel.locator("thead").inner_text()
    def shown(x: float):
        return round(x) if abs(x - round(x)) < 0.01 else round(x, 2)
    assert f"Overall: {shown(lo)} to {shown(hi)}\t" in head and "Overall: over " in head and "(" not in head
    names = {p["id"]: p["name"] for p in personas}
    biggest = max(outcomes["nmf"]["personas"], key=lambda r: r["n"])
    first = rows.first.inner_text()
    assert names[biggest["persona_id"]] in first and f"{biggest['n']:,}" in first
    category = outcomes["nmf"]["categories"][0]
    assert f"{100 * biggest['rates'][category]:.1f}%" in first
    strength = page.get_by_test_id("outcomes-strength").inner_text()
    assert f"Cramér's V {outcomes['nmf']['cramers_v']:.2f}" in strength
    assert f"reaches {outcomes['kmeans']['cramers_v']:.2f}" in strength
    assert (f"Users cut into {len(outcomes['volume']['personas'])} groups of about equal size by how many events they "
            f"logged reach {outcomes['volume']['cramers_v']:.2f}") in strength  # how much they do, beside what
    page.screenshot(path=str(artifacts / "events-outcomes.png"), full_page=True)


def _run_and_personas(server: Server) -> tuple[dict, list[dict]]:
    run = server.api("/runs/latest")
    assert run["kind"] == "events"
    return run, server.api(f"/runs/{run['id']}/personas")["items"]


def test_overview_treemap_has_one_cell_per_persona(event_server, page, artifacts):
    run, personas = _run_and_personas(event_server)
    page.goto(f"{event_server.url}/?run={quote(run['id'])}")
    page.wait_for_selector(CELLS)
    assert page.locator(CELLS).count() == len(personas) == run["counts"]["personas"]
    links = page.locator('[data-testid="persona-treemap"] g[role="link"]')
    assert sorted(int(links.nth(i).get_attribute("data-persona-id")) for i in range(links.count())) == sorted(
        p["id"] for p in personas)
    assert "of users" in links.first.get_attribute("aria-label")

    assert page.get_by_test_id("assumed-year").count() == 0  # read without --assume-year: nothing to say
    stats = page.locator(".stat-row").inner_text()
    assert "users kept" in stats and f"{run['counts']['kept']:,}" in stats and "event types" in stats
    table = page.get_by_test_id("persona-table")
    assert "Top events" in table.locator("thead").inner_text()
    assert "Tone" not in table.locator("thead").inner_text()  # no texts, no tone
    head = table.locator("thead").inner_text()
    assert "Clear" in head and "Mixed" in head and "Core" not in head  # users are clear or mixed, as the treemap says
    # the event names, as people read them ("Quiz · Quiz attempt viewed": no "|", no closing full stop)
    assert event_label(personas[0]["top_terms"][0]["term"]) in table.inner_text()
    metrics = page.get_by_test_id("quality-metrics").inner_text()
    assert "Mixed share" in metrics and f"{run['metrics']['mixed_share'] * 100:.1f}%" in metrics
    # a quarter or more mixed is read for the user, as the CLI reads it (ml.events.profile.mixed_note)
    assert ("Here a quarter or more" in metrics) is (run["metrics"]["mixed_share"] >= 0.25)
    steps = page.get_by_test_id("filter-funnel").inner_text()
    for stage in run["filtering"]:
        assert STAGE_WORDS[stage["stage"]] in steps and stage["unit"] in steps  # the steps in words
    options = page.locator('[data-testid="measure-select"] option').all_text_contents()
    assert "Mixed share" in options and any(o.startswith("Event: ") for o in options)
    # events as people read them: no raw "|" joins or column names in the menu
    assert not any("|" in o or "total_events" in o for o in options), options
    page.screenshot(path=str(artifacts / "events-overview.png"), full_page=True)
    # an event run without a comparison: What changed says how to get one, with the event run's own command
    page.goto(f"{event_server.url}/changes/?run={quote(run['id'])}")
    assert "python -m ml.run --kind events NEW_DATA.csv" in page.get_by_test_id("no-comparison").inner_text()


def test_persona_page_shows_top_events_and_activity_without_weekdays(event_server, page, artifacts):
    run, personas = _run_and_personas(event_server)
    biggest = max(personas, key=lambda p: p["size"])
    profile = event_server.api(f"/runs/{run['id']}/personas/{biggest['id']}")
    page.goto(f"{event_server.url}/persona/?run={quote(run['id'])}&id={biggest['id']}")
    page.get_by_test_id("top-events").wait_for()

    assert page.get_by_test_id("persona-name").inner_text() == profile["name"]
    meta = page.locator(".page-head .meta").inner_text()
    assert f"{profile['size']:,} users" in meta and "flagged as mixed" in meta
    assert f"({profile['core_size']:,} clear ·" in meta and " core " not in meta  # users are clear or mixed, as the
    # description says ("63 clear, 13 flagged as mixed"), not core (the page's head said "63 core")

    rows = page.locator('[data-testid="top-events"] li')
    assert [rows.nth(i).get_attribute("data-event") for i in range(rows.count())] == [
        e["event"] for e in profile["top_events"]]
    first = rows.first.inner_text()
    assert profile["top_events"][0]["sentence"] in first and f"{profile['top_events'][0]['lift']:.2f}×" in first
    assert page.get_by_role("heading", name="Top events").is_visible()
    # two percentages per event: the hint says which is the model's weight and which counts the users' events
    assert "weight in the pattern the model found for this persona" in page.inner_text("body")
    # the classifier reads each user's mix of events: its directions say so, never a bare "higher"/"lower" that
    # could read against the description's counts ("1.8× fewer 'resource'" beside "resource (higher)")
    if profile["separators"]["signals"]:
        panel = page.get_by_test_id("separators").inner_text()
        assert "of their mix)" in panel and "(higher)" not in panel and "(lower)" not in panel, panel
        assert "Kind" not in panel and "behaviour" not in panel  # every signal is an event: no column saying so
    assert page.get_by_test_id("top-ngrams").count() == 0 and page.get_by_text("Phrases").count() == 0

    act = profile["activity"]
    assert act["weekday"] is None and act["has_timestamps"] is True
    page.wait_for_selector('[data-testid="activity-hourly"] .recharts-bar-rectangle')
    assert page.locator('[data-testid="activity-hourly"] .recharts-bar').count() == 2
    assert page.get_by_test_id("activity-weekday").count() == 0
    assert page.get_by_test_id("activity-weekday-missing").inner_text() == act["note"]
    by_day = page.locator('[data-testid="activity-by-day"] .recharts-bar')
    assert by_day.count() == 2
    for i, values in enumerate([act["by_day"]["persona"], act["by_day"]["population"]]):
        assert by_day.nth(i).locator(".recharts-bar-rectangle").count() == sum(1 for v in values if v > 0) > 0
    # Moodle's times have no year: the bins are named by the day they start on, and the caption says there is no year
    assert act["by_day"]["year_known"] is False and act["by_day"]["start_date"]
    caption = page.locator('[data-testid="activity-by-day"] figcaption').inner_text()
    assert caption.endswith("by the day each starts on (the dates have no year)"), caption
    start = date.fromisoformat(act["by_day"]["start_date"])
    first_tick = page.locator('[data-testid="activity-by-day"] .recharts-xAxis-tick-labels '
                              '.recharts-cartesian-axis-tick-value').first.text_content()
    assert first_tick == f"{start.day} {start:%b}", first_tick

    page.wait_for_selector('[data-testid="fingerprint-chart"] .recharts-bar-rectangle')
    # events read as people read them: "Assignment · Submission form viewed", long ones cut to two axis lines
    assert rows.first.locator(".event-name").inner_text() == event_label(profile["top_events"][0]["event"])
    ticks = page.locator('[data-testid="fingerprint-chart"] .recharts-yAxis-tick-labels '
                         '.recharts-cartesian-axis-tick-value').all_text_contents()
    assert ticks and not any("|" in t for t in ticks) and max(len(t) for t in ticks) <= 44, ticks
    evidence = page.locator('[data-testid="evidence-list"] li')
    assert evidence.count() == len(profile["evidence"]) > 0 and "%" in evidence.first.inner_text()
    # the outcome is on the page that is presented, beside everyone's and the users set aside (the overview only had it)
    outcomes = run["metrics"]["outcomes"]["nmf"]
    mine = next(r for r in outcomes["personas"] if r["persona_id"] == biggest["id"])
    rows = page.get_by_test_id("persona-outcome").locator("tbody tr")
    assert rows.count() == 3 and rows.nth(0).inner_text().startswith("This persona")
    low = min(outcomes["categories"], key=lambda c: float(c.strip("([").split(",")[0]))
    assert f"{100 * mine['rates'][low]:.1f}%" in rows.nth(0).inner_text()
    assert f"{100 * outcomes['set_aside']['rates'][low]:.1f}%" in rows.nth(2).inner_text()
    page.screenshot(path=str(artifacts / "events-persona.png"), full_page=True)

    page.get_by_test_id("member-search-input").fill("quiz")
    count = page.get_by_test_id("search-count")
    count.wait_for()
    expected = event_server.api(f"/runs/{run['id']}/personas/{biggest['id']}/members?q=quiz&limit=1")["total"]
    assert count.inner_text().startswith(f"{expected:,} user" if expected else "No user")


def test_user_map_shows_event_mixes(event_server, page, artifacts):
    run, _ = _run_and_personas(event_server)
    points = event_server.api(f"/runs/{run['id']}/map?limit=3000")["points"]
    page.goto(f"{event_server.url}/map/?run={quote(run['id'])}")
    page.wait_for_selector('[data-testid="member-map"] circle[data-reassigned]')
    assert page.locator('[data-testid="member-map"] circle[data-reassigned]').count() == len(points)
    # the caption says what the axes are: two personas are laid out by lean and volume, more by a projection
    caption = page.locator(".page-head .meta").inner_text()
    two = len({p["persona_id"] for p in points}) == 2
    assert ("leans to one persona or the other" in caption) == two and ("2-D projection" in caption) != two
    page.get_by_role("heading", name="User map").wait_for()
    page.locator('[data-testid="member-map"] circle[data-reassigned]').last.hover()
    tip = page.get_by_test_id("map-tooltip")
    tip.wait_for()
    assert "%" in tip.inner_text()
    page.screenshot(path=str(artifacts / "events-map.png"), full_page=True)

