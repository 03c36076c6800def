"""The explorer's "What changed" page over two real runs of a series.

Run A is the bundled TWCS sample (customers' side); run B is the same sample without the messages of one
of A's personas, made with `--series sample --baseline latest`, so the comparison stored with B must
report that persona gone (or shrunk). Real pipeline, real backend over SQLite, Debian's Chromium.
Screenshots go to test-artifacts/browser/what-changed-*.png.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest

expect = pytest.importorskip("playwright.sync_api").expect

from tests.browser.conftest import TABLET, Server, _start_backend, _stop, tab_to
from tests.fixtures.runs import SAMPLE_TWCS, run_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SERIES = "sample-weekly"


@dataclass
class SeriesRuns:
    server: Server
    base_id: str
    new_id: str
    dropped: int  # the persona of run A whose messages run B lacks
    dropped_name: str


def _drop_persona(run_dir: Path, source: Path, out: Path) -> tuple[int, str]:
    """Write the sample without the messages of run A's sixth-largest persona; its id and name."""
    members = pd.read_parquet(run_dir / "assignments.parquet", columns=["member_id", "persona_id"])
    sizes = members["persona_id"].value_counts()
    dropped = int(sizes[sizes.index >= 0].index[5])
    gone = set(members.loc[members["persona_id"] == dropped, "member_id"].astype(str))
    with source.open(newline="", encoding="utf-8") as fin, out.open("w", newline="", encoding="utf-8") as fout:
        reader = csv.DictReader(fin)
        writer = csv.DictWriter(fout, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        writer.writerows(row for row in reader if row["tweet_id"] not in gone)
    personas = json.loads((run_dir / "personas.json").read_text(encoding="utf-8"))
    return dropped, next(p["name"] for p in personas if p["id"] == dropped)


def _run_id(run_dir: Path) -> str:
    return json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["run_id"]


@pytest.fixture(scope="module")
def series_runs(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeriesRuns]:
    work = tmp_path_factory.mktemp("what-changed")
    store = f"sqlite:///{work / 'personas.db'}"
    common = ["--store", store, "--inbound-only", "--series", SERIES]
    assert run_cli([str(SAMPLE_TWCS), "--out", str(work / "a"), *common]) == 0
    dropped, name = _drop_persona(work / "a", SAMPLE_TWCS, work / "b.csv")
    assert run_cli([str(work / "b.csv"), "--out", str(work / "b"), *common, "--baseline", "latest"]) == 0
    assert (work / "b" / "comparison.json").is_file()
    server = _start_backend(store, work, "backend-series")
    try:
        yield SeriesRuns(server, _run_id(work / "a"), _run_id(work / "b"), dropped, name)
    finally:
        _stop(server)


def test_overview_links_to_what_changed(series_runs, page):
    s = series_runs
    page.goto(f"{s.server.url}/?run={quote(s.new_id)}")
    link = page.get_by_test_id("comparison-link")
    link.wait_for()
    assert s.base_id in link.inner_text() and "PSI" in link.inner_text()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("comparison-base-deleted").count() == 0  # the baseline is stored
    text = link.inner_text()
    c = s.server.api(f"/runs/{s.new_id}/comparison")
    # personas of messages: an author "moves" when most of their messages sit elsewhere, which is said as such
    said = "now write mostly in another persona" if c["movers"]["key"] == "author" else "changed persona"
    assert re.search(rf"\d+ of \d+ \w+s in both runs {said}", text) or "recur in both runs to count who moved" in text, text
    # movers that hold the same texts are said beside the count (an airline review read 541 movers as churn, 537 of
    # them regrouped by the fit)
    same = c["movers"].get("n_unchanged") or 0
    assert (f"{same:,} of them with the same texts as before (regrouped by the fit)" in text) is (same > 0), text
    assert f"series {SERIES}" in page.get_by_test_id("run-select").inner_text()
    link.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/changes/\?run="))
    page.get_by_test_id("lineage-sankey").wait_for()

    # the baseline run has no comparison: no link, a hint on how to get one, and the page says so too; the
    # overview and a persona page do not ask for it (no 404 in the browser's console)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{s.server.url}/?run={quote(s.base_id)}")
    hint = page.get_by_test_id("no-comparison-hint")
    hint.wait_for()
    page.goto(f"{s.server.url}/persona/?run={quote(s.base_id)}&id=0")
    page.get_by_test_id("persona-name").wait_for()
    page.wait_for_load_state("networkidle")
    page.goto(f"{s.server.url}/changes/?run={quote(s.base_id)}")  # the page itself says so, from the manifest
    page.get_by_test_id("no-comparison").wait_for()
    page.wait_for_load_state("networkidle")
    assert failed == [], failed
    page.goto(f"{s.server.url}/?run={quote(s.base_id)}")
    page.get_by_test_id("no-comparison-hint").wait_for()
    # the series' first run: the hint says the next run of the series is compared with it, not "--baseline"
    assert f"Series {SERIES}" in hint.inner_text() and f"--series {SERIES}" in hint.inner_text()
    assert page.get_by_test_id("comparison-link").count() == 0
    # ... and leads to the comparison the next run made against it (the re-runs review found no way forward)
    later = page.get_by_test_id("compared-later")
    later.wait_for()
    assert later.get_by_role("link").get_attribute("href").endswith(f"/changes/?run={quote(s.new_id)}")
    page.goto(f"{s.server.url}/changes/?run={quote(s.base_id)}")
    assert "--baseline latest" in page.get_by_test_id("no-comparison").inner_text()


def test_flows_badges_and_shift(series_runs, page, artifacts):
    s = series_runs
    c = s.server.api(f"/runs/{s.new_id}/comparison")
    status = {b["id"]: b["status"] for b in c["base_personas"]}
    assert status[s.dropped] in {"died", "shrunk"}, f"dropping persona {s.dropped} was not noticed: {status}"

    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    sankey = page.get_by_test_id("lineage-sankey")
    sankey.locator("g[data-flow-side]").first.wait_for()
    # each run says the dates its data covers: the sample holds two stray old tweets (2011, 2016), so the
    # range starts in 2011 and the page adds where 90% of the messages lie (late Oct - late Nov 2017)
    meta = page.get_by_test_id("changes-meta").inner_text()
    assert c["base"]["first"] and c["new"]["first"] and meta.count(" from ") == 2 and meta.count("(UTC)") == 2
    assert len(re.findall(r"from 29 Aug 2011 – \d+ Dec 2017; 90% within \d+ Oct 2017 – \d+ Nov 2017 \(UTC\)", meta)) == 2, meta
    base_nodes = sankey.locator('g[data-flow-side="base"]')
    new_nodes = sankey.locator('g[data-flow-side="new"]')
    assert sorted(int(base_nodes.nth(i).get_attribute("data-persona-id")) for i in range(base_nodes.count())) == sorted(
        status)
    assert new_nodes.count() == len(c["new_personas"])
    # a band for every lineage link; the gone persona's share flows to "Smaller shares, gone personas"
    assert sankey.locator('path[data-flow-kind="kept"]').count() >= len(c["links"])
    if status[s.dropped] == "died":
        assert sankey.locator('g[data-flow-side="gone"]').count() == 1
        gone_text = sankey.locator('g[data-flow-side="gone"] text').text_content()
        assert gone_text.startswith("Smaller shares, gone personas ")
        # the part that died is said beside the whole, as "Personas with no counterpart" says it below the chart
        died = sum(b["then"]["share"] for b in c["base_personas"] if b["status"] == "died")
        assert gone_text.endswith(f"(gone: {100 * died:.1f}%)"), gone_text
        assert sankey.locator('path[data-flow-kind="gone"]').count() >= 1

    assert page.get_by_test_id("same-data").count() == 0  # run B lacks a persona's messages: not the same data
    # one badge per persona of this run, as the API classified it
    table = page.get_by_test_id("change-table")
    for p in c["new_personas"]:
        row = table.locator(f'tr[data-persona-id="{p["id"]}"]')
        assert row.get_by_test_id("status-badge").get_attribute("data-status") == p["status"]
        assert row.get_by_test_id("recut").count() == (1 if p["recut"] else 0)  # re-cuts say so beside the badge
        tone = p.get("tone") or {}
        said = row.get_by_test_id("tone-change")
        assert said.count() == (0 if tone.get("reading") in (None, "no clear change") else 1)
        if said.count():
            assert said.inner_text().strip().startswith(tone["reading"]) and f"{tone['now'] * 100:.0f}%" in said.inner_text()
        assert f"{p['now']['share'] * 100:.1f}%" in row.inner_text()
        assert "−0.0" not in row.inner_text()  # a change that rounds to nothing reads 0.0 pts
    # the personas whose tone changed clearly, listed above the flows
    toned = [p for p in c["new_personas"] if (p.get("tone") or {}).get("reading") in ("more negative", "less negative")]
    summary = page.get_by_test_id("tone-changes")
    assert summary.count() == (1 if toned else 0)
    for p in toned:
        assert p["name"] in summary.inner_text()
    # a piece of a split: share then is the whole persona's before it split, Δ that of all its pieces together
    now = {p["id"]: p["now"]["share"] for p in c["new_personas"]}
    status_now = {p["id"]: p["status"] for p in c["new_personas"]}
    # (a parent whose largest part went into a merger is itself "merged": then no Δ is given for the pieces)
    from backend.routes.report import _split_parents  # a piece's own parent, not a persona merged into it

    piece_parents = _split_parents(c["new_personas"], c["base_personas"])
    parents = [b for b in c["base_personas"] if b["id"] in piece_parents]
    checked = 0
    for b in parents:
        split_ids = [i for i in b["new_ids"] if status_now[i] == "split"]
        change = 100 * (sum(now[i] for i in split_ids) - b["then"]["share"])
        for i in split_ids:
            piece = table.locator(f'tr[data-persona-id="{i}"]')
            if sum(i in q["new_ids"] for q in parents) != 1:
                continue
            cell = piece.get_by_test_id("split-delta").inner_text()
            if len(split_ids) < len(b["new_ids"]):  # part of it merged: no change for the pieces alone
                assert cell.startswith("–") and "part merged into" in cell, cell
            else:
                value = float(re.search(r"([+−]?)(\d+\.\d) pts", cell).group(0).replace("−", "-").replace(" pts", ""))
                said = f"all {len(split_ids)} pieces" if len(split_ids) > 1 else "its one piece"
                assert abs(value - change) <= 0.051 and said in cell, (cell, change)
            text = piece.inner_text()
            whole = piece.get_by_test_id("split-whole").inner_text()
            assert f"{b['then']['share'] * 100:.1f}%" in text and f"all of “{b['name']}” before it split" in whole
            assert (f" in {len(split_ids)}" in whole) == (len(split_ids) > 1), whole
            checked += 1
    assert parents and checked, "the series' second run should split at least one persona (it did: 3 on the sample)"
    # a split count says how many baseline personas its pieces come from ("4 pieces of 2 baseline personas")
    n_pieces = sum(p["status"] == "split" for p in c["new_personas"])
    n_parents = len(piece_parents)
    pieces = page.get_by_test_id("status-counts").get_by_test_id("split-pieces").inner_text()
    assert pieces.strip() == f"({n_pieces} pieces of {n_parents} baseline persona{'s' if n_parents > 1 else ''})"
    recut_notes = page.get_by_test_id("status-counts").get_by_test_id("recut-count").all_inner_texts()
    for n in (sum(p["recut"] for p in c["new_personas"]), sum(p["recut"] for p in c["base_personas"])):
        assert (n > 0) == any(t.strip().startswith(f"— {n} persona") for t in recut_notes), (n, recut_notes)
    # the dropped persona: a "gone" badge in the gone table, or "shrunk" on the persona continuing it
    if status[s.dropped] == "died":
        gone = page.get_by_test_id("gone-table").locator(f'tr[data-persona-id="{s.dropped}"]')
        assert gone.get_by_test_id("status-badge").inner_text().startswith("gone")
        assert s.dropped_name in gone.inner_text()
    else:
        assert table.locator('[data-status="shrunk"]').count() >= 1
    shift = page.get_by_test_id("shift-level").inner_text()
    assert f"PSI {c['shift']['psi']:.3f}" in shift and c["shift"]["level"] in shift
    # a stable PSI does not hide a gone or new persona of 2 % or more (an explorer review: "about the same" beside a
    # gone persona of 7.7 %)
    meaning = page.get_by_test_id("shift-meaning").inner_text()
    died = [p for p in c["base_personas"] if p["status"] == "died" and p["then"]["share"] >= 0.02]
    born = [p for p in c["new_personas"] if p["status"] == "born" and p["now"]["share"] >= 0.02]
    if c["shift"]["level"] == "stable":
        assert "about the same" in meaning
        assert (" gone" in meaning) == bool(died) and (" new" in meaning) == bool(born), (meaning, died, born)
        if died:
            assert f"{100 * sum(p['then']['share'] for p in died):.1f}% of the baseline" in meaning
    # both runs' models keep a member sample: the headline is the placed shift, the fits' own PSI is the hint
    assert c["shift"]["basis"] == "placed" and c["fit_shift"]["basis"] == "linked"
    assert f"PSI {c['fit_shift']['psi']:.3f}" in page.get_by_test_id("fit-shift").inner_text()
    if c["shift"]["level"] != "stable":  # the dropped persona is among the moves, by its baseline name
        assert s.dropped_name in page.get_by_test_id("largest-moves").inner_text()
        # the moves' basis is said, so they do not read as contradicting the table's own shares
        assert "placed on the baseline's personas; the table below gives each run's own shares" in \
            page.get_by_test_id("largest-moves").inner_text()
    moves = sorted(c["shift"]["buckets"], key=lambda b: -b["contribution"])[:3]
    homes = [p["name"] for p in c["new_personas"] if (p["scores"].get("novel_share") or 0) >= 0.5]
    if any(b["bucket"] == "novel" and b["contribution"] >= 0.005 for b in moves) and homes:
        # where the new conversations went; "among them", not "mostly in": an analyst review counted a quarter there
        assert "among them" in page.get_by_test_id("largest-moves").inner_text()
    if c.get("notes"):  # the comparison's notes in plain words, not the pipeline's shorthand
        notes = page.get_by_test_id("comparison-notes").inner_text()
        assert notes.strip() and "recurring member ids" not in notes and "centroid" not in notes
    # each share cell gives its count too: a share can fall while the count grows (an analyst review of a cumulative
    # export read personas that grew as shrunk)
    top = max(c["new_personas"], key=lambda p: p["now"]["share"])
    row = page.get_by_test_id("change-table").locator(f'tr[data-persona-id="{top["id"]}"]')
    unit = c["new"]["unit"] or "member"
    assert row.get_by_test_id("share-count").last.inner_text().strip() == f"{top['now']['count']:,} {unit}s"
    # a new piece of a split lists no lost terms: it never had the words of the persona it split from
    lineages = {b["lineage_id"] for b in c["base_personas"]}
    for q in c["new_personas"]:
        cells = page.get_by_test_id("change-table").locator(f'tr[data-persona-id="{q["id"]}"]')
        fresh = q["status"] == "split" and q["lineage_id"] not in lineages
        assert cells.get_by_test_id("piece-lost-terms").count() == (1 if fresh else 0), q["name"]
    page.screenshot(path=str(artifacts / "what-changed-page.png"), full_page=True)
    sankey.screenshot(path=str(artifacts / "what-changed-sankey.png"))


def test_a_tone_change_is_said_in_the_table_the_list_and_the_persona_page(series_runs, page):
    """The sample's two runs hold no clear tone change, so one is put into the comparison the page receives:
    the table's line under the persona, the list above the flows and the persona page say it."""
    s = series_runs
    c = s.server.api(f"/runs/{s.new_id}/comparison")
    target = next(p for p in c["new_personas"] if p["status"] == "continued")
    target["tone"] = {"then": 0.22, "now": 0.35, "change": 0.13, "p_value": 0.001, "reading": "more negative"}
    page.route(re.compile(r".*/api/v1/runs/[^/]+/comparison$"),
               lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(c)))
    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    row = page.get_by_test_id("change-table").locator(f'tr[data-persona-id="{target["id"]}"]')
    row.wait_for()
    assert row.get_by_test_id("tone-change").inner_text().strip() == "more negative: 22% → 35% of its members use negative words"
    listed = page.get_by_test_id("tone-changes").inner_text()
    assert listed.startswith("Now more negative:") and f"{target['name']} (22% → 35% use negative words)" in listed
    page.goto(f"{s.server.url}/persona/?run={quote(s.new_id)}&id={target['id']}")
    line = page.get_by_test_id("persona-lineage")
    line.wait_for()
    assert "more negative: 22% → 35%" in line.get_by_test_id("tone-change").inner_text()


def test_a_persona_the_fit_drew_smaller_says_its_kind_of_conversation_held(series_runs, page):
    """The airline tweets split by date showed "JFK & Late flight" shrunk 4.0 → 1.6 % in the table while the
    population shift above it (members placed on the baseline's personas) said 3.5 → 3.4 %. Such a persona now
    continues (ml.lineage.compare: grown / shrunk needs both shares to move) and the table and the persona page
    say why its own shares moved. One is put into the comparison the page gets (the flag taken off the others)."""
    s = series_runs
    c = s.server.api(f"/runs/{s.new_id}/comparison")
    target = next(p for p in c["new_personas"] if p["status"] == "continued" and p["then"])
    for p in c["new_personas"]:  # this fit may re-draw one of its own (a fresh clone's CI run did): only the target
        p["share_recut"] = False
    target["share_recut"] = True
    target["now"]["share"] = target["then"]["share"] / 2.5
    target["placed"] = {"then": {"count": 35, "share": 0.035, "low": 0.03, "high": 0.04},
                        "now": {"count": 34, "share": 0.034, "low": 0.029, "high": 0.039}}
    page.route(re.compile(r".*/api/v1/runs/[^/]+/comparison$"),
               lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(c)))
    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    row = page.get_by_test_id("change-table").locator(f'tr[data-persona-id="{target["id"]}"]')
    row.wait_for()
    said = "drawn smaller this run; its kind of conversation held 3.5% → 3.4%"
    assert row.get_by_test_id("share-recut").inner_text().strip() == said
    others = page.get_by_test_id("change-table").get_by_test_id("share-recut")
    assert others.count() == 1  # the personas without the flag say nothing
    assert "not from its kind of conversation" in page.get_by_test_id("sankey-redrawn").inner_text()
    page.goto(f"{s.server.url}/persona/?run={quote(s.new_id)}&id={target['id']}")
    line = page.get_by_test_id("persona-lineage")
    line.wait_for()
    assert said in line.get_by_test_id("share-recut").inner_text()


def test_tentative_fits_are_said_above_the_changes(series_runs, page):
    """An airline review read 23 of 43 personas "merged" between two weeks whose runs the CLI called tentative
    (stability 0.63, poor), and the page said nothing of it. The comparison carries each run's stability; below
    0.65 the page says the changes are as much the fits' as the customers'."""
    s = series_runs
    c = s.server.api(f"/runs/{s.new_id}/comparison")
    assert "stability_ari" in c["new"] and "stability_ari" in c["base"]  # the stored comparison carries them
    shown = page.get_by_test_id("tentative-fits")
    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    page.get_by_test_id("lineage-sankey").wait_for()
    poor = [r for r in (c["base"], c["new"]) if r["stability_ari"] is not None and r["stability_ari"] < 0.65]
    assert shown.count() == (1 if poor else 0)
    c["base"]["stability_ari"], c["new"]["stability_ari"] = 0.81, 0.63
    page.route(re.compile(r".*/api/v1/runs/[^/]+/comparison$"),
               lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(c)))
    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    shown.wait_for()
    text = shown.inner_text()
    assert "The personas of this run (stability 0.63) are tentative" in text and "the baseline (" not in text, text


def test_a_split_s_bands_follow_where_its_recurring_members_went(series_runs, page):
    """The Sankey shared a split persona's share out among its pieces by the pieces' sizes now, whatever the members
    found in both runs said (an analyst review). With the movers' matrix putting the parent's recurring members in its
    smaller piece, that piece's band is the wider one; with too few recurring members, or where the matrix counts
    authors (a run of messages), the sizes decide."""
    s = series_runs
    c = s.server.api(f"/runs/{s.new_id}/comparison")
    now = {p["id"]: p["now"]["share"] for p in c["new_personas"]}
    parent = next((b for b in c["base_personas"] if len(b.get("new_ids") or []) >= 2), None)
    assert parent, "the series' second run should split or merge a persona into two or more (it does on the sample)"
    kids = sorted(parent["new_ids"], key=lambda i: now[i])
    small, large = kids[0], kids[-1]
    assert now[small] < now[large]

    def widths(matrix: list[dict], key: str = "member") -> dict[int, float]:
        c["movers"]["matrix"], c["movers"]["key"] = matrix, key  # a run of conversations: the members recur
        page.unroute_all()
        page.route(re.compile(r".*/api/v1/runs/[^/]+/comparison$"),
                   lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(c)))
        page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
        bands = page.get_by_test_id("lineage-sankey").locator(f'path[data-flow-kind="kept"][data-from-id="{parent["id"]}"]')
        bands.first.wait_for(state="attached")  # a level band is a zero-height box: "hidden" to Playwright
        return {int(bands.nth(k).get_attribute("data-to-id")): float(bands.nth(k).get_attribute("stroke-width"))
                for k in range(bands.count())}

    others = [t for t in c["movers"]["matrix"] if t["from_id"] != parent["id"]]
    followed = widths(others + [{"from_id": parent["id"], "to_id": small, "count": 40},
                                {"from_id": parent["id"], "to_id": large, "count": 2}])
    assert followed.get(small, 0) > followed.get(large, 0), followed
    sized = widths(others + [{"from_id": parent["id"], "to_id": small, "count": 5}])  # under min_shared_members
    assert sized.get(large, 0) > sized.get(small, 0), sized
    # a run of messages counts authors, each once where they wrote most: the sizes decide (a review)
    authors = widths(others + [{"from_id": parent["id"], "to_id": small, "count": 40}], key="author")
    assert authors.get(large, 0) > authors.get(small, 0), authors


def test_each_run_s_dates_are_on_its_own_clock(series_runs, page):
    """A run whose timestamps all carry -0800 shows its dates on that clock, as its charts do (the head said
    UTC for every run): 03:00 UTC on the 17th is the 16th in UTC-08:00; the UTC baseline stays in UTC."""
    s = series_runs
    c = s.server.api(f"/runs/{s.new_id}/comparison")
    assert c["new"]["basis"] == c["base"]["basis"] == "UTC"
    c["new"].update(basis="UTC-08:00", first="2015-02-17T03:00:00+00:00", last="2015-02-24T12:00:00+00:00",
                    p05="2015-02-17T03:00:00+00:00", p95="2015-02-24T12:00:00+00:00")
    page.route(re.compile(r".*/api/v1/runs/[^/]+/comparison$"),
               lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(c)))
    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    meta = page.get_by_test_id("changes-meta")
    meta.wait_for()
    text = meta.inner_text()
    assert "from 16 Feb 2015 – 24 Feb 2015 (UTC-08:00)" in text, text
    assert text.count("(UTC)") == 1, text


def test_a_renamed_persona_is_read_as_what_its_baseline_became(series_runs, page):
    """The re-runs review: "Cancelled Flightled · from Plane & flight (airport) · renamed: … no longer describes it"
    beside "grown: the same persona": the row says to read it as what that persona became, with the cosine."""
    s = series_runs
    c = s.server.api(f"/runs/{s.new_id}/comparison")
    target = next(p for p in c["new_personas"] if p["status"] == "continued" and p["base_ids"])
    target.update(renamed_from="Plane & flight (airport)", status="grown")
    target["scores"]["similarity"] = 0.8595
    for b in c["base_personas"]:  # as a real renaming has it: the baseline persona carries the old name
        if b["id"] == target["base_ids"][0]:
            b["name"] = "Plane & flight (airport)"
    page.route(re.compile(r".*/api/v1/runs/[^/]+/comparison$"),
               lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(c)))
    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    row = page.get_by_test_id("change-table").locator(f'tr[data-persona-id="{target["id"]}"]')
    row.wait_for()
    said = row.get_by_test_id("renamed").inner_text()
    assert "“Plane & flight (airport)” no longer describes it, so read it as what that persona became" in said
    # not "not the same topic": a persona renamed at cosine 0.93 ("Detail-quoting: flight & gate" → "… flight
    # delayed") is much the same topic in new words
    assert said.rstrip().endswith("(its centroid is at cosine 0.86)") and "not the same topic" not in said


def test_persona_page_says_where_the_persona_comes_from(series_runs, page, artifacts):
    s = series_runs
    c = s.server.api(f"/runs/{s.new_id}/comparison")
    base_names = {b["id"]: b["name"] for b in c["base_personas"]}
    p = max(c["new_personas"], key=lambda q: (len(q.get("base_ids") or []), q["now"]["share"]))
    page.goto(f"{s.server.url}/persona/?run={quote(s.new_id)}&id={p['id']}")
    line = page.get_by_test_id("persona-lineage")
    line.wait_for()
    assert line.get_by_test_id("status-badge").get_attribute("data-status") == p["status"]
    text = line.inner_text()
    assert f"{p['now']['share'] * 100:.1f}%" in text
    parent = next((b for b in c["base_personas"] if b["status"] == "split" and p["id"] in b["new_ids"]), None)
    if parent is not None and p["status"] == "split":  # a piece: beside its parent's share, never "then → now"
        assert f"a persona that held {parent['then']['share'] * 100:.1f}%" in text and " → " not in text
    elif p.get("then"):
        assert f"{p['then']['share'] * 100:.1f}% → " in text
        unit = c["new"]["unit"] or "member"  # with the counts: a share can fall while the count grows
        assert f"({p['then']['count']:,} → {p['now']['count']:,} {unit}s)" in text
    for base_id in p.get("base_ids") or []:
        if len(p["base_ids"]) > 1 or base_names[base_id] != p["name"] or p["own_name"] != p["name"]:
            assert base_names[base_id] in text
    page.screenshot(path=str(artifacts / "persona-lineage.png"), full_page=False)
    # every split piece of the run says so on its page
    pieces = [q for q in c["new_personas"] if q["status"] == "split"
              and any(b["status"] == "split" and q["id"] in b["new_ids"] for b in c["base_personas"])]
    for q in pieces[:2]:
        page.goto(f"{s.server.url}/persona/?run={quote(s.new_id)}&id={q['id']}")
        page.get_by_test_id("persona-lineage").wait_for()
        piece = page.get_by_test_id("persona-lineage").inner_text()
        assert "a persona that held" in piece and f"share {q['now']['share'] * 100:.1f}%," in piece
    page.goto(f"{s.server.url}/persona/?run={quote(s.new_id)}&id={p['id']}")
    line = page.get_by_test_id("persona-lineage")
    line.wait_for()
    line.get_by_role("link", name="What changed →").click()
    page.wait_for_url(re.compile(r"/changes/\?run="))
    # the baseline run was compared with nothing: its personas carry no lineage line
    page.goto(f"{s.server.url}/persona/?run={quote(s.base_id)}&id={p['base_ids'][0] if p.get('base_ids') else 0}")
    page.get_by_test_id("persona-name").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("persona-lineage").count() == 0


def test_movers_table_pages_and_filters(series_runs, page, artifacts):
    s = series_runs
    c = s.server.api(f"/runs/{s.new_id}/comparison")
    first = s.server.api(f"/runs/{s.new_id}/movers?offset=0&limit=20")
    assert first["total"] > 20, "the planted change should move more than one page of authors"
    base_names = {b["id"]: b["name"] for b in c["base_personas"]}
    new_names = {p["id"]: p["name"] for p in c["new_personas"]}

    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    rows = page.get_by_test_id("movers-table").locator("tbody tr")
    rows.first.wait_for()
    assert rows.count() == 20
    # the sample's personas group messages and movers are authors: the hint says what moving means then
    assert c["movers"]["key"] == "author" and c["new"]["unit"] == "message"
    assert "an author counts as moving when most of their messages now sit in another persona" in \
        page.get_by_test_id("movers-by-author").inner_text()
    for i, m in enumerate(first["items"][:3]):
        cells = rows.nth(i).locator("td")
        assert [cells.nth(j).inner_text() for j in range(3)] == [m["key"], base_names[m["from_id"]], new_names[m["to_id"]]]
        # run B is run A's data less one persona's rows: no author wrote anything new, each was grouped anew
        assert m["wrote_new"] is False and cells.nth(3).inner_text() == "same texts: grouped anew"
    assert c["movers"]["n_unchanged"] == c["movers"]["n_moved"] > 0
    assert (f"({c['movers']['n_unchanged']} of them hold the same texts as in the baseline"
            in page.get_by_test_id("movers-unchanged").inner_text())
    assert page.get_by_test_id("movers-count").inner_text().startswith(f"Showing 1–20 of {first['total']}")
    assert page.get_by_test_id("movers-pseudonyms").count() == 0  # the sample's authors are ids, not pseudonyms
    page.get_by_test_id("movers-next").click()
    expect(page.get_by_test_id("movers-count")).to_have_text(re.compile(r"^Showing 21–40 of "))
    page.get_by_test_id("movers-table").screenshot(path=str(artifacts / "what-changed-movers.png"))

    source = first["items"][0]["from_id"]
    expected = s.server.api(f"/runs/{s.new_id}/movers?from_persona={source}&limit=20")
    page.get_by_test_id("movers-from").select_option(str(source))
    expect(page.get_by_test_id("movers-count")).to_have_text(re.compile(rf"^Showing 1–\d+ of {expected['total']} listed"))
    shown = page.get_by_test_id("movers-table").locator("tbody tr td:nth-child(2)")
    assert shown.count() == min(20, expected["total"])
    assert {shown.nth(i).inner_text() for i in range(shown.count())} == {base_names[source]}


def test_an_event_runs_movers_did_things_they_wrote_nothing(series_runs, page):
    """An events review read "wrote more" beside every OULAD student who moved: an event run's members hold event
    mixes, not texts. The comparison and the movers are served as an event run's (kind and wording only)."""
    s = series_runs
    c = s.server.api(f"/runs/{s.new_id}/comparison")
    c["new"]["kind"] = c["base"]["kind"] = "events"
    first = s.server.api(f"/runs/{s.new_id}/movers?offset=0&limit=20")
    first["items"][0]["wrote_new"] = True  # the others keep False
    page.route(re.compile(r".*/api/v1/runs/[^/]+/comparison$"),
               lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(c)))
    page.route(re.compile(r".*/api/v1/runs/[^/]+/movers\?.*"),
               lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(first)))
    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    said = page.get_by_test_id("mover-wrote")
    said.first.wait_for()
    assert said.nth(0).inner_text() == "other events" and said.nth(1).inner_text() == "same events: grouped anew"
    text = page.get_by_test_id("movers-table").inner_text() + page.get_by_test_id("movers-unchanged").inner_text()
    assert "wrote" not in text and "texts" not in text and "they did nothing new" in text


def test_movers_say_what_a_pseudonym_is(series_runs, page, artifacts):
    """Where the export named authors by names or addresses, the movers are pseudonyms (ml.ingest.pseudonyms);
    the page says what they are. The sample's authors are ids, so the served page is rewritten in flight with
    pseudonyms as the loader makes them (the page's own reading of what the API serves is under test)."""
    from ml.ingest.pseudonyms import pseudonym

    s = series_runs
    keys = [pseudonym("au-", "maria gonzalez"), pseudonym("em-", "maria@example.com")]

    def with_pseudonyms(route):
        body = route.fetch().json()
        for item, key in zip(body["items"], keys):
            item["key"] = key
        route.fulfill(json=body)

    page.route("**/movers?*", with_pseudonyms)
    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    hint = page.get_by_test_id("movers-pseudonyms")
    expect(hint).to_contain_text("are pseudonyms")
    assert "none reaches the run" in hint.inner_text()
    cells = page.get_by_test_id("movers-table").locator("tbody tr td:first-child")
    assert [cells.nth(i).inner_text() for i in range(2)] == keys
    page.get_by_test_id("movers").screenshot(path=str(artifacts / "what-changed-movers-pseudonyms.png"))


def test_sankey_bars_open_personas_with_the_keyboard(series_runs, page):
    s = series_runs
    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    page.get_by_test_id("lineage-sankey").locator("g[data-flow-side]").first.wait_for()
    page.get_by_role("link", name="← Run overview").focus()
    reached = tab_to(page, "data-persona-id", tries=30)
    assert reached is not None, "Tab never reached a Sankey bar"
    side = page.evaluate("document.activeElement.getAttribute('data-flow-side')")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert "%" in label and ("baseline run" in label or "this run" in label)  # a reader hears share and run
    page.keyboard.press("Enter")
    run = s.base_id if side == "base" else s.new_id
    page.wait_for_url(re.compile(rf"/persona/\?run={re.escape(quote(run))}&id={reached}"))


def test_fits_a_tablet_without_sideways_scrolling(series_runs, page, artifacts):
    s = series_runs
    page.set_viewport_size(TABLET)
    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    page.get_by_test_id("lineage-sankey").locator("g[data-flow-side]").first.wait_for()
    page.get_by_test_id("movers-table").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(artifacts / "what-changed-tablet.png"), full_page=True)


def test_two_fits_of_the_same_data_say_so_first(frontend_out: Path, tmp_path: Path, page, artifacts):
    """The same messages run again with another seed: the page says first that the data did not change, so
    that the splits, merges and movers that two fits give are not read as customers changing."""
    store = f"sqlite:///{tmp_path / 'personas.db'}"
    common = ["--store", store, "--inbound-only", "--series", "same"]
    assert run_cli([str(SAMPLE_TWCS), "--out", str(tmp_path / "a"), *common]) == 0
    assert run_cli([str(SAMPLE_TWCS), "--out", str(tmp_path / "c"), *common, "--seed", "7", "--baseline", "latest"]) == 0
    server = _start_backend(store, tmp_path, "backend-same")
    try:
        page.goto(f"{server.url}/changes/?run={quote(_run_id(tmp_path / 'c'))}")
        notice = page.get_by_test_id("same-data")
        notice.wait_for()
        n = json.loads((tmp_path / "c" / "manifest.json").read_text())["counts"]["kept"]
        assert f"Both runs hold the same {n:,} messages" in notice.inner_text()
        assert "not from the customers" in notice.inner_text()
        page.screenshot(path=str(artifacts / "what-changed-same-data.png"), full_page=False)
        # the baseline deleted since (a deployment review): named without a link, not a link to "Could not load run"
        base = _run_id(tmp_path / "a")
        assert page.get_by_test_id("changes-meta").get_by_role("link", name=base).count() == 1
        assert page.locator('g[data-flow-side="base"][role="link"]').count() > 0  # while the baseline is stored
        from ml.store import open_store

        with closing(open_store(store)) as st:
            st.delete_run(base)
        page.reload()
        gone = page.get_by_test_id("base-run-deleted")
        gone.wait_for()
        assert gone.inner_text() == f"{base} (not in the store: deleted since, or a run directory never published)"
        assert page.get_by_test_id("changes-meta").get_by_role("link", name=base).count() == 0
        # nor are its personas links (a re-runs review found 33 links into the deleted run, each "Could not load
        # persona"): the tables name them, the flow chart's baseline bars are no links, this run's still are
        page.get_by_test_id("lineage-sankey").locator("g[data-flow-side]").first.wait_for()
        assert page.locator(f'a[href*="run={quote(base)}"]').count() == 0
        assert page.locator('g[data-flow-side="base"][role="link"]').count() == 0
        assert page.locator('g[data-flow-side="base"]').count() > 0
        assert page.locator('g[data-flow-side="new"][role="link"]').count() > 0
        # the run overview's link says so too (it read "What changed since run R2" with no word of it)
        page.goto(f"{server.url}/?run={quote(_run_id(tmp_path / 'c'))}")
        note = page.get_by_test_id("comparison-base-deleted")
        note.wait_for()
        assert "not in the store: deleted since" in note.inner_text()
        assert page.get_by_test_id("comparison-link").get_by_role("link").count() == 1  # the comparison still reads
    finally:
        _stop(server)


def test_the_page_does_not_scroll_sideways_on_a_phone(series_runs, page):
    """At 390 px the flow chart's labels overlapped and the movers table pushed the page 49 px wide: the chart and
    the tables scroll inside their panels instead."""
    s = series_runs
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{s.server.url}/changes/?run={quote(s.new_id)}")
    page.get_by_test_id("lineage-sankey").locator("g[data-flow-side]").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    chart = page.get_by_test_id("lineage-sankey-scroll")
    assert chart.evaluate("el => el.scrollWidth > el.clientWidth")  # the chart keeps its width, in its own scroll
