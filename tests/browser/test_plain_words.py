"""Plain words in the explorer: fingerprint bars and the colour-by list use the API's feature table,
never raw column names, a feature read off the clock names the run's clock, and the fingerprint axis has a
tick at zero."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from ml.ingest.timebasis import CLOCK_FEATURES

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _top(fingerprint: list[dict], n: int = 12) -> list[dict]:
    """The chart's bars: the n largest non-zero standardised differences (FingerprintChart.topFingerprint)."""
    shown = [f for f in fingerprint if f["std_diff"] is not None and abs(f["std_diff"]) > 1e-9]
    return sorted(shown, key=lambda f: -abs(f["std_diff"]))[:n]


def test_fingerprint_and_measures_use_plain_feature_labels(live_server, page, artifacts):
    table = live_server.api("/features")["features"]
    label = {f["name"]: f["label"] for f in table}
    run_id = live_server.api("/runs/latest")["id"]
    # a persona whose fingerprint chart shows a feature read off the clock (the sample has timestamps)
    details = [live_server.api(f"/runs/{quote(run_id)}/personas/{p['id']}")
               for p in live_server.api("/runs/latest/personas")["items"]]
    clocked = [p for p in details if any(f["feature"] in CLOCK_FEATURES for f in _top(p["fingerprint"]))]
    # one with a time-of-day bar where there is one (its colour is checked below)
    persona = next((p for p in clocked if any(f["feature"] in ("hour_sin", "hour_cos") for f in _top(p["fingerprint"]))),
                   clocked[0])
    page.goto(f"{live_server.url}/persona/?run={quote(run_id)}&id={persona['id']}")
    page.wait_for_selector('[data-testid="fingerprint-chart"] .recharts-bar-rectangle')
    tick = '[data-testid="fingerprint-chart"] .recharts-cartesian-axis-tick-value'
    page.wait_for_function(
        "([sel, labels]) => [...document.querySelectorAll(sel)].some(t => labels.includes(t.textContent))",
        arg=[tick, list(label.values())])
    # a label too wide for the axis wraps into lines (tspans): read them as one label, as people do
    texts = page.eval_on_selector_all(
        tick, "ts => ts.map(t => { const l = [...t.querySelectorAll('tspan')].map(s => s.textContent.trim());"
              " return l.length ? l.join(' ') : t.textContent; })")
    numbers = [t for t in texts if re.fullmatch(r"[+-]?\d+(\.\d+)?", t.replace("\u2212", "-"))]
    words = [t for t in texts if t not in numbers]
    # a feature read off the clock names the run's clock ("Night-time posting (UTC)"), the others are as listed
    basis = persona["activity"]["time_basis"]
    clock = {"local": "local time"}.get(basis, basis)
    clocked = {label[f] for f in CLOCK_FEATURES}
    # a time-of-day bar names the end of the clock it points to ("Time of day (toward midnight)"; test_time_labels)
    pointed = {f"Time of day (toward {end})": label[f] for f, ends in (("hour_sin", ("morning", "evening")),
                                                                       ("hour_cos", ("midnight", "noon")))
               for end in ends}
    bare = [w.removesuffix(f" ({clock})") for w in words]
    bare = [pointed.get(b, b) if b in clocked or b in pointed else w for w, b in zip(words, bare)]
    clocked |= set(pointed)
    assert not clocked & set(words), words
    assert words and all(w in label.values() for w in bare), words
    assert any(w.endswith(f" ({clock})") for w in words), words  # the clock is said where it is read
    words = bare
    # "What separates it" reads the same words: a clock feature there names the clock too
    separators = page.get_by_test_id("separators")
    for signal in (persona.get("separators") or {}).get("signals", []):
        if signal["kind"] == "feature" and signal["signal"] in CLOCK_FEATURES:
            assert f"{label[signal['signal']]} ({clock})" in separators.inner_text()
    raw = {name.replace("_", " ") for name in label} | set(label)
    assert not raw & set(words)
    # a time-of-day bar points to the end its label names: grey, not the higher / lower colours (a help-desk review
    # read a "toward noon" bar drawn in the "lower than all members" colour)
    hours = sum(f["feature"] in ("hour_sin", "hour_cos") for f in _top(persona["fingerprint"]))
    fills = page.eval_on_selector_all('[data-testid="fingerprint-chart"] .recharts-bar-rectangle path',
                                      "ps => ps.map(p => p.getAttribute('fill'))")
    assert fills.count("#7F7F7F") == hours and page.get_by_test_id("clock-bar-legend").count() == (1 if hours else 0)
    assert hours, "the bundled sample has a persona with a time-of-day bar (it did: check the sample's run)"
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
