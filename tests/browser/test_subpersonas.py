"""Sub-personas in the explorer: family → persona → sub-personas read as one tree. On the overview, a family
zoomed into shows its personas; one that splits opens to a treemap of its sub-personas (breadcrumbs All
families › family › persona go back), one that does not opens its page. A sub-persona opens on the persona
page, whose breadcrumbs lead back to the family and whose sub-personas show name, share of the persona,
distinguishing terms and one masked quote. Real run, real backend, Chromium."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PERSONA_CELLS = '[data-testid="persona-treemap"] g[data-persona-id]'
SUB_CELLS = '[data-testid="subpersona-treemap"] g[data-subpersona-id]'


def _pct0(x: float) -> str:
    return f"{round(x * 100)}%"


def _split_persona(live_server):
    """The persona with the most sub-personas, its profile and its family."""
    personas = live_server.api("/runs/latest/personas")["items"]
    split = max((p for p in personas if p["sub_persona_count"] >= 2), key=lambda p: p["sub_persona_count"])
    detail = live_server.api(f"/runs/latest/personas/{split['id']}")
    family = next(f for f in live_server.api("/runs/latest/families")["families"] if f["id"] == detail["parent_id"])
    return split, detail, family


def test_family_persona_sub_personas_and_back_on_the_overview(live_server, page, artifacts):
    split, detail, family = _split_persona(live_server)
    subs = live_server.api(f"/runs/latest/personas/{split['id']}/sub-personas")["items"]
    page.goto(f"{live_server.url}/?view=families&family={family['id']}")
    page.wait_for_selector(PERSONA_CELLS)
    cell = page.locator(f'g[data-persona-id="{split["id"]}"]')
    assert f"Open its {len(subs)} sub-personas" in cell.get_attribute("aria-label")
    assert cell.get_by_test_id("cell-note").text_content() == f"▸ {len(subs)} sub-personas"

    cell.locator("path.recharts-rectangle").click()  # level 3: the persona's sub-personas, still on the overview
    page.wait_for_url(re.compile(rf"family={family['id']}&persona={split['id']}$"))
    page.wait_for_selector(SUB_CELLS)
    shown = page.locator(SUB_CELLS)
    assert [int(shown.nth(i).get_attribute("data-subpersona-id")) for i in range(shown.count())] == [s["id"] for s in subs]
    crumbs = page.get_by_test_id("breadcrumbs").inner_text().replace("\n", "")
    assert crumbs.startswith(f"All families › {family['name']} › {detail['name']} · ")
    assert crumbs.endswith(f"{len(subs)} sub-personas")
    first = shown.first
    assert first.get_attribute("aria-label").startswith(f"Sub-persona {subs[0]['name']}: ")
    assert f"{subs[0]['share_of_parent'] * 100:.1f}% of this persona" in first.text_content()
    assert page.locator(PERSONA_CELLS).count() == 0 and page.locator('[data-testid="forced-legend"]').count() == 0
    page.screenshot(path=str(artifacts / "overview-subpersonas.png"), full_page=False)

    page.get_by_test_id("crumb-family").click()  # back to the family
    page.wait_for_url(re.compile(rf"family={family['id']}$"))
    page.wait_for_selector(PERSONA_CELLS)
    assert page.get_by_test_id("family-name").inner_text() == family["name"]
    page.go_back()  # the browser's Back works too: the level is in the URL
    page.wait_for_selector(SUB_CELLS)
    page.get_by_test_id("breadcrumbs").get_by_role("button", name="All families").click()
    page.wait_for_selector('[data-testid="family-treemap"] g[data-family-id]')
    assert page.locator(SUB_CELLS).count() == 0


def test_a_persona_that_does_not_split_opens_its_page_from_the_family(live_server, page):
    families = live_server.api("/runs/latest/families")["families"]
    personas = {p["id"]: p for p in live_server.api("/runs/latest/personas")["items"]}
    family, plain = next((f, personas[i]) for f in families for i in f["persona_ids"]
                         if personas[i]["sub_persona_count"] == 0 and personas[i]["size"] > 0)
    page.goto(f"{live_server.url}/?view=families&family={family['id']}")
    page.wait_for_selector(PERSONA_CELLS)
    cell = page.locator(f'g[data-persona-id="{plain["id"]}"]')
    assert cell.get_attribute("aria-label").endswith("Open persona.")
    assert cell.get_by_test_id("cell-note").count() == 0
    cell.locator("path.recharts-rectangle").click()
    page.wait_for_url(re.compile(rf"/persona/\?run=.*&id={plain['id']}$"))
    assert page.get_by_test_id("persona-name").inner_text() == plain["name"]


def test_a_sub_persona_cell_opens_it_on_the_persona_page(live_server, page, artifacts):
    split, detail, family = _split_persona(live_server)
    subs = detail["sub_personas"]
    page.goto(f"{live_server.url}/?view=families&family={family['id']}&persona={split['id']}")
    page.wait_for_selector(SUB_CELLS)
    page.locator(f'g[data-subpersona-id="{subs[-1]["id"]}"] path.recharts-rectangle').click()
    page.wait_for_url(re.compile(rf"/persona/\?run=.*&id={split['id']}#subpersona-{subs[-1]['id']}$"))
    panel = page.get_by_test_id("subpersonas")
    panel.wait_for()
    crumbs = page.get_by_test_id("persona-breadcrumbs")
    crumbs.get_by_test_id("breadcrumb-family").wait_for()
    assert crumbs.inner_text().replace("\n", "") == (
        f"Run overview › Family: {family['name']} › {detail['name']} › {len(subs)} sub-personas")

    cards = panel.locator("[data-subpersona-id]")
    assert [int(cards.nth(i).get_attribute("data-subpersona-id")) for i in range(cards.count())] == [
        s["id"] for s in subs]
    shares = []
    for i, s in enumerate(subs):
        card = cards.nth(i)
        assert card.get_by_test_id("subpersona-name").inner_text() == s["name"]
        share = card.get_by_test_id("subpersona-share").inner_text()
        assert share.startswith(f"{_pct0(s['share_of_parent'])} of this persona")
        # a name in few of its members' texts is marked, as a persona's (an explorer review, 2026-12-06)
        few = s.get("name_share") is not None and s["name_share"] < 0.25
        assert card.get_by_test_id("subpersona-name-few").count() == int(few)
        if few:
            from backend.routes.report import percent  # rounded half up, as the page's toFixed

            assert share.endswith(f"· name in {percent(s['name_share'])}% of its texts")
        shares.append(s["share_of_parent"])
        terms = card.get_by_test_id("subpersona-terms").locator("li").all_inner_texts()
        assert terms == [t["term"] for t in s["top_terms"][:6]]
        quote = card.get_by_test_id("subpersona-evidence")
        if s["evidence"]:
            assert quote.inner_text().strip() == s["evidence"][0]["text"].strip()
            assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", quote.inner_text())  # masked
        else:
            assert quote.count() == 0
    assert sum(shares) == pytest.approx(1.0, abs=1e-6)
    assert page.get_by_test_id("subpersona-bar").locator("a").count() == len(subs)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "persona-with-subpersonas.png"), full_page=False)  # top: breadcrumbs
    panel.screenshot(path=str(artifacts / "persona-subpersonas.png"))

    crumbs.get_by_test_id("breadcrumb-family").click()  # back up the tree to the family
    page.wait_for_url(re.compile(rf"family={family['id']}"))
    page.wait_for_selector(PERSONA_CELLS)
    assert page.get_by_test_id("family-name").inner_text() == family["name"]


def test_a_persona_that_does_not_split_shows_no_sub_persona_panel(live_server, page):
    personas = live_server.api("/runs/latest/personas")["items"]
    plain = next(p for p in personas if p["sub_persona_count"] == 0)
    page.goto(f"{live_server.url}/persona/?run=latest&id={plain['id']}")
    page.get_by_test_id("persona-name").wait_for()
    page.get_by_test_id("persona-breadcrumbs").wait_for()
    assert page.get_by_test_id("subpersonas").count() == 0
    assert page.get_by_test_id("breadcrumb-subpersonas").count() == 0
