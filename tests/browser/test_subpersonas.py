"""Sub-personas in the explorer: family → persona → sub-personas read as one tree. From a family zoomed into
on the overview, open a persona that splits: its breadcrumbs lead back to that family, its sub-personas show
name, share of the persona, distinguishing terms and one masked quote. Real run, real backend, Chromium."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PERSONA_CELLS = '[data-testid="persona-treemap"] g[data-persona-id]'


def _pct0(x: float) -> str:
    return f"{round(x * 100)}%"


def test_open_a_persona_with_sub_personas_from_its_family(live_server, page, artifacts):
    personas = live_server.api("/runs/latest/personas")["items"]
    split = max((p for p in personas if p["sub_persona_count"] >= 2), key=lambda p: p["sub_persona_count"])
    detail = live_server.api(f"/runs/latest/personas/{split['id']}")
    family = next(f for f in live_server.api("/runs/latest/families")["families"] if f["id"] == detail["parent_id"])

    page.goto(f"{live_server.url}/?view=families&family={family['id']}")
    page.wait_for_selector(PERSONA_CELLS)
    page.locator(f'g[data-persona-id="{split["id"]}"] path.recharts-rectangle').click()
    page.wait_for_url(re.compile(rf"/persona/\?run=.*&id={split['id']}$"))
    panel = page.get_by_test_id("subpersonas")
    panel.wait_for()
    crumbs = page.get_by_test_id("persona-breadcrumbs")
    crumbs.get_by_test_id("breadcrumb-family").wait_for()
    assert crumbs.inner_text().replace("\n", "") == (
        f"Run overview › Family: {family['name']} › {detail['name']} › {len(detail['sub_personas'])} sub-personas")

    cards = panel.locator("[data-subpersona-id]")
    subs = detail["sub_personas"]
    assert [int(cards.nth(i).get_attribute("data-subpersona-id")) for i in range(cards.count())] == [
        s["id"] for s in subs]
    shares = []
    for i, s in enumerate(subs):
        card = cards.nth(i)
        assert card.get_by_test_id("subpersona-name").inner_text() == s["name"]
        share = card.get_by_test_id("subpersona-share").inner_text()
        assert share.startswith(f"{_pct0(s['share_of_parent'])} of this persona")
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
