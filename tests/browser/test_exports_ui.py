"""Exports from the explorer: each download link gives a file that parses and matches the run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _download(page, test_id: str, tmp_path):
    with page.expect_download() as info:
        page.get_by_test_id(test_id).click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    return target


def test_download_links_give_files_that_parse(live_server, page, tmp_path, artifacts):
    run = live_server.api("/runs/latest")
    personas = live_server.api("/runs/latest/personas")["items"]
    page.goto(f"{live_server.url}/?run={run['id']}&view=personas")
    page.get_by_test_id("downloads").wait_for()

    members_csv = _download(page, "download-members-csv", tmp_path)
    assert members_csv.suffix == ".csv"
    members = pd.read_csv(members_csv)
    assert len(members) == run["counts"]["kept"]
    assert {"member_id", "persona_id", "persona_name", "membership", "confidence"} <= set(members.columns)
    assert members["confidence"].dropna().between(0, 1).all()
    assert (members["membership"] == "reassigned").sum() == sum(p["reassigned_count"] for p in personas)
    assert set(members["membership"]) <= {"core", "reassigned"}

    members_pq = _download(page, "download-members-parquet", tmp_path)
    assert pd.read_parquet(members_pq)["member_id"].astype(str).tolist() == members["member_id"].astype(str).tolist()

    pj = json.loads(_download(page, "download-personas-json", tmp_path).read_text(encoding="utf-8"))
    items = pj["personas"] if isinstance(pj, dict) else pj
    assert sorted(p["id"] for p in items) == sorted(p["id"] for p in personas)
    pc = pd.read_csv(_download(page, "download-personas-csv", tmp_path))
    assert sorted(pc["persona_id"].tolist()) == sorted(p["id"] for p in personas)

    href = page.get_by_test_id("download-report").get_attribute("href")
    report = page.context.new_page()
    report.goto(live_server.url + href)
    text = report.locator("body").inner_text()
    biggest = max(personas, key=lambda p: p["size"])
    assert biggest["name"] in text
    report.screenshot(path=str(artifacts / "report.png"), full_page=False)  # the cover: what was read, families
    with_subs = report.locator("section.persona", has=report.locator('[data-section="sub-personas"]')).first
    with_subs.screenshot(path=str(artifacts / "report-persona.png"))
    report.close()


def test_one_persona_and_one_family_download_their_own_members(live_server, page, tmp_path, artifacts):
    """The persona page and a family opened on the overview each offer their own members as a file."""
    from urllib.parse import quote

    run = live_server.api("/runs/latest")
    personas = live_server.api("/runs/latest/personas")["items"]
    family = max(live_server.api("/runs/latest/families")["families"], key=lambda f: len(f["persona_ids"]))
    persona = next(p for p in personas if p["id"] in family["persona_ids"])

    page.goto(f"{live_server.url}/persona/?run={quote(run['id'])}&id={persona['id']}")
    page.get_by_test_id("persona-downloads").wait_for()
    page.get_by_test_id("persona-downloads").screenshot(path=str(artifacts / "persona-downloads.png"))
    own = pd.read_csv(_download(page, "persona-members-csv", tmp_path))
    assert len(own) == persona["size"] and set(own["persona_id"]) == {persona["id"]}
    assert set(own["family_name"]) == {family["name"]}
    report = page.get_by_test_id("persona-report").get_attribute("href")
    assert report.endswith(f"report.html?persona={persona['id']}")

    page.goto(f"{live_server.url}/?run={quote(run['id'])}&family={family['id']}")
    got = pd.read_csv(_download(page, "family-members-csv", tmp_path))
    assert set(got["persona_id"]) == set(family["persona_ids"]) and set(got["family_id"]) == {family["id"]}
    assert len(got) == sum(p["size"] for p in personas if p["id"] in family["persona_ids"])
