"""Every activity chart says which clock its hours are in (issue 13.6): the bundled TWCS sample writes
"+0000", so the persona page labels its hour and weekday charts UTC and never claims local time."""

from __future__ import annotations

from urllib.parse import quote


def test_persona_activity_charts_say_utc(live_server, page, artifacts):
    run_id = live_server.api("/runs/latest")["id"]
    assert live_server.api(f"/runs/{run_id}")["time"]["basis"] == "UTC"
    items = sorted(live_server.api("/runs/latest/personas")["items"], key=lambda p: -p["size"])
    for summary in items[:2]:
        profile = live_server.api(f"/runs/{run_id}/personas/{summary['id']}")
        assert profile["activity"]["time_basis"] == "UTC"
        page.goto(f"{live_server.url}/persona/?run={quote(run_id)}&id={summary['id']}")
        page.wait_for_selector('[data-testid="activity-hourly"] .recharts-bar-rectangle')
        for test_id, axis in (("activity-hourly", "Hour of day (UTC)"), ("activity-weekday", "Weekday (UTC)")):
            chart = page.get_by_test_id(test_id)
            caption = chart.locator("figcaption").inner_text()
            assert caption.endswith("(UTC)"), caption
            assert "local" not in caption.lower()
            # the x-axis label is drawn in the SVG under the ticks
            page.wait_for_function(
                "([sel, want]) => [...document.querySelectorAll(sel + ' .recharts-label')].some(e => e.textContent === want)",
                arg=[f'[data-testid="{test_id}"]', axis])
        assert "UTC" in page.get_by_test_id("persona-description").inner_text()
    page.get_by_test_id("activity-hourly").screenshot(path=str(artifacts / "activity-utc.png"))


def test_a_time_of_day_bar_names_the_end_of_the_clock_it_points_to(live_server, page):
    """An explorer review: a night persona's hour_cos bar (+1.31) stood to the right of "Time of day (midnight ↔
    noon)" and read as noon; a higher hour_cos is toward midnight, a higher hour_sin toward morning."""
    run_id = live_server.api("/runs/latest")["id"]
    ends = {"hour_cos": ("toward midnight", "toward noon"), "hour_sin": ("toward morning", "toward evening")}
    checked = 0
    for summary in live_server.api("/runs/latest/personas")["items"]:
        profile = live_server.api(f"/runs/{run_id}/personas/{summary['id']}")
        shown = sorted((f for f in profile["fingerprint"] if f.get("std_diff")), key=lambda f: -abs(f["std_diff"]))[:12]
        clock = [f for f in shown if f["feature"] in ends]
        if not clock:
            continue
        page.goto(f"{live_server.url}/persona/?run={quote(run_id)}&id={summary['id']}")
        page.wait_for_function(  # the labels come with the feature table (GET /features)
            "() => (document.querySelector('[data-testid=\"fingerprint-chart\"]')?.textContent || '').includes('Time of day')")
        axis = page.get_by_test_id("fingerprint-chart").text_content() or ""  # the SVG's axis labels and the legend
        assert "↔" not in axis, axis
        for f in clock:
            want = ends[f["feature"]][0 if f["std_diff"] >= 0 else 1]
            assert want in axis, (f["feature"], f["std_diff"], axis)
        checked += 1
        if checked == 2:
            break
    assert checked, "no persona of the sample shows a time-of-day bar"
