"""The persona hierarchy in the explorer: a run opens on its families, a family zooms into its
personas, breadcrumbs go back, and the member map colours by family. Real run, real backend, Chromium."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.browser.conftest import tab_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FAMILY_CELLS = '[data-testid="family-treemap"] g[data-family-id]'
PERSONA_CELLS = '[data-testid="persona-treemap"] g[data-persona-id]'


def test_open_a_family_see_its_personas_and_go_back(live_server, page, artifacts):
    tree = live_server.api("/runs/latest/families")
    personas = live_server.api("/runs/latest/personas")["items"]
    families = tree["families"]
    assert len(families) >= 2 and len(personas) > 12  # the sample run opens on its families
    page.goto(live_server.url + "/")
    page.wait_for_selector(FAMILY_CELLS)
    cells = page.locator(FAMILY_CELLS)
    assert sorted(int(cells.nth(i).get_attribute("data-family-id")) for i in range(cells.count())) == sorted(
        f["id"] for f in families)
    assert page.get_by_test_id("breadcrumbs").inner_text().strip() == "All families"
    # the hint says the number of families is a rule; the largest family's cell lists its largest personas
    hint = page.get_by_test_id("family-hint").inner_text()
    assert f"the run's {len(personas)} personas put into {len(families)} groups" in hint and "set by a rule" in hint
    biggest = max(families, key=lambda f: f["size"])
    members = sorted((p for p in personas if p["id"] in biggest["persona_ids"]), key=lambda p: -p["size"])
    cell_text = " ".join(page.locator(f'g[data-family-id="{biggest["id"]}"] [data-testid="cell-terms"]').evaluate_all(
        "els => els.map(e => e.textContent)"))
    assert cell_text.startswith(members[0]["name"][:12]), (cell_text, members[0]["name"])
    page.screenshot(path=str(artifacts / "overview-families.png"), full_page=True)

    target = max(families, key=lambda f: len(f["persona_ids"]))
    page.locator(f'g[data-family-id="{target["id"]}"] path.recharts-rectangle').click()
    page.wait_for_url(re.compile(rf"family={target['id']}"))
    page.wait_for_selector(PERSONA_CELLS)
    shown = page.locator(PERSONA_CELLS)
    assert sorted(int(shown.nth(i).get_attribute("data-persona-id")) for i in range(shown.count())) == sorted(
        target["persona_ids"])
    assert page.get_by_test_id("family-name").inner_text() == target["name"]
    assert "the shares below are of all members" in page.get_by_test_id("breadcrumbs").inner_text()
    # the table under the treemap lists the same personas, and a button lists every persona again
    rows = page.get_by_test_id("persona-table").locator("tbody tr")
    assert rows.count() == len(target["persona_ids"])
    by_id = {p["id"]: p["name"] for p in personas}
    assert sorted(rows.nth(i).locator("td a").first.inner_text() for i in range(rows.count())) == sorted(
        by_id[i] for i in target["persona_ids"])
    assert page.get_by_test_id("persona-table-title").inner_text() == f"Personas in {target['name']}"
    assert page.get_by_test_id("family-report").get_attribute("href").endswith(f"report.html?family={target['id']}")
    page.screenshot(path=str(artifacts / "overview-family-zoomed.png"), full_page=True)
    page.get_by_test_id("persona-table-toggle").click()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"persona-table\"] tbody tr').length === n", arg=len(personas))
    assert page.get_by_test_id("persona-table-title").inner_text() == "All personas"
    assert page.locator(PERSONA_CELLS).count() == len(target["persona_ids"])  # the treemap stays on the family
    page.get_by_test_id("persona-table-toggle").click()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"persona-table\"] tbody tr').length === n",
        arg=len(target["persona_ids"]))

    page.get_by_test_id("breadcrumbs").get_by_role("button", name="All families").click()
    page.wait_for_selector(FAMILY_CELLS)
    assert page.locator(PERSONA_CELLS).count() == 0

    page.get_by_test_id("level-personas").click()
    page.wait_for_selector(PERSONA_CELLS)
    assert page.locator(PERSONA_CELLS).count() == len([p for p in personas if p["size"] > 0])
    # the persona table names each persona's family
    table = page.get_by_test_id("persona-table").inner_text()
    assert "Family" in table and families[0]["name"] in table


def test_family_cells_open_with_the_keyboard(live_server, page):
    families = live_server.api("/runs/latest/families")["families"]
    page.goto(live_server.url + "/?view=families")
    page.wait_for_selector(FAMILY_CELLS)
    page.get_by_test_id("level-personas").focus()
    reached = tab_to(page, "data-family-id")
    assert reached is not None, "Tab never reached a family cell"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"family={reached}"))
    name = next(f["name"] for f in families if str(f["id"]) == reached)
    assert page.get_by_test_id("family-name").inner_text() == name


def test_member_map_colours_by_family(live_server, page, artifacts):
    run_id = live_server.api("/runs/latest")["id"]
    families = live_server.api(f"/runs/{run_id}/families")["families"]
    page.goto(f"{live_server.url}/map/?run={quote(run_id)}")
    page.wait_for_selector('[data-testid="member-map"] .recharts-scatter')
    assert page.get_by_test_id("family-map-note").count() == 0  # said only when colouring by family
    page.get_by_test_id("map-color").select_option("family")
    assert "one family's personas can lie in several places" in page.get_by_test_id("family-map-note").inner_text()
    legend = page.get_by_test_id("map-legend")
    legend.get_by_role("button").first.wait_for()
    buttons = legend.get_by_role("button")
    assert buttons.count() == len(families)
    assert [buttons.nth(i).inner_text().rsplit(" (", 1)[0] for i in range(buttons.count())] == [
        f["name"] for f in families]
    fills = page.eval_on_selector_all('[data-testid="member-map"] circle[data-reassigned]',
                                      "cs => cs.map(c => c.getAttribute('fill'))")
    assert len(set(fills)) == len({f["id"] for f in families if f["persona_ids"]})
    # hiding a family hides every persona of it
    before = page.locator('[data-testid="member-map"] .recharts-scatter').count()
    buttons.first.click()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"member-map\"] .recharts-scatter').length < n", arg=before)
    after = page.locator('[data-testid="member-map"] .recharts-scatter').count()
    assert before - after == len(families[0]["persona_ids"])
    page.screenshot(path=str(artifacts / "map-by-family.png"), full_page=False)
    # the colouring is in the URL: a reload (or a shared link) shows the map coloured by family again
    page.wait_for_url(re.compile(r"colour=family"))
    page.reload()
    page.get_by_test_id("map-legend").get_by_role("button").first.wait_for()
    assert page.get_by_test_id("map-color").input_value() == "family"
    assert page.get_by_test_id("map-legend").get_by_role("button").count() == len(families)


def test_a_family_the_run_does_not_have_says_so(live_server, page):
    """The GoogleNews-TS review: an unknown ``family=99`` in the URL silently showed all families."""
    families = live_server.api("/runs/latest/families")["families"]
    missing = max(f["id"] for f in families) + 50
    page.goto(f"{live_server.url}/?view=families&family={missing}")
    page.wait_for_selector(FAMILY_CELLS)
    assert f"This run has no family {missing}" in page.get_by_test_id("family-missing").inner_text()
    assert page.locator(FAMILY_CELLS).count() == len([f for f in families if f["size"] > 0])
    page.goto(f"{live_server.url}/?view=families")
    page.wait_for_selector(FAMILY_CELLS)
    assert page.get_by_test_id("family-missing").count() == 0
