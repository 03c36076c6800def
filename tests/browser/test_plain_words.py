"""Plain words in the explorer: fingerprint bars and the colour-by list use the API's feature table,
never raw column names, and the fingerprint axis has a tick at zero."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_fingerprint_and_measures_use_plain_feature_labels(live_server, page, artifacts):
    table = live_server.api("/features")["features"]
    label = {f["name"]: f["label"] for f in table}
    run_id = live_server.api("/runs/latest")["id"]
    persona = max(live_server.api("/runs/latest/personas")["items"], key=lambda p: p["size"])
    page.goto(f"{live_server.url}/persona/?run={quote(run_id)}&id={persona['id']}")
    page.wait_for_selector('[data-testid="fingerprint-chart"] .recharts-bar-rectangle')
    tick = '[data-testid="fingerprint-chart"] .recharts-cartesian-axis-tick-value'
    page.wait_for_function(
        "([sel, labels]) => [...document.querySelectorAll(sel)].some(t => labels.includes(t.textContent))",
        arg=[tick, list(label.values())])
    texts = page.eval_on_selector_all(tick, "ts => ts.map(t => t.textContent)")
    numbers = [t for t in texts if re.fullmatch(r"[+-]?\d+(\.\d+)?", t.replace("\u2212", "-"))]
    words = [t for t in texts if t not in numbers]
    assert words and all(w in label.values() for w in words), words
    raw = {name.replace("_", " ") for name in label} | set(label)
    assert not raw & set(words)
    assert "0" in numbers, numbers  # the axis has a tick at zero
    assert [float(n) for n in numbers] == sorted(float(n) for n in numbers)
    assert float(numbers[0]) == -float(numbers[-1])  # symmetric around zero
    page.screenshot(path=str(artifacts / "persona-fingerprint-plain.png"), full_page=True)

    page.goto(f"{live_server.url}/?view=personas")
    options = page.locator('[data-testid="measure-select"] option')
    options.first.wait_for(state="attached")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"measure-select\"] option')].some(o => o.textContent.startsWith('Behaviour: '))")
    texts = [options.nth(i).inner_text() for i in range(options.count())]
    behaviour = [t.removeprefix("Behaviour: ") for t in texts if t.startswith("Behaviour: ")]
    assert behaviour and all(b in label.values() for b in behaviour), behaviour
