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
