"""The explorer still works under its Content-Security-Policy (docs/security.md): every page renders
in Chromium with no CSP violation, while the policy allows no inline script it did not hash."""

from __future__ import annotations

import urllib.request
from urllib.parse import quote

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
"""


def _policy(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"
        return resp.headers["Content-Security-Policy"]


def test_explorer_pages_render_without_csp_violations(live_server, page):
    policy = _policy(live_server.url + "/")
    script_src = next(p for p in policy.split("; ") if p.startswith("script-src")).split()[1:]
    assert "'unsafe-inline'" not in script_src and any(s.startswith("'sha256-") for s in script_src)
    assert "frame-ancestors 'none'" in policy

    persona = max(live_server.api("/runs/latest/personas")["items"], key=lambda p: p["size"])
    run_id = live_server.api("/runs/latest")["id"]
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.add_init_script(RECORD_VIOLATIONS)
    visits = [
        ("/?view=personas", ".recharts-treemap-depth-1 path.recharts-rectangle"),
        (f"/persona/?run={quote(run_id)}&id={persona['id']}", '[data-testid="persona-name"]'),
        (f"/map/?run={quote(run_id)}", '[data-testid="member-map"] circle[data-reassigned]'),
    ]
    for path, ready in visits:
        page.goto(live_server.url + path)
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__cspViolations") == [], path
    assert console == []
