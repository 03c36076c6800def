"""Browser-test fixtures: the built explorer, a real backend over a real pipeline run, and Chromium.

- `frontend_out`: `scripts/build_frontend.sh` (npm install when package*.json changed, build when a
  source changed), once per session.
- `live_server`: `python -m backend` serving `frontend/out/` and the API over a SQLite store holding
  the real run from `pipeline_run_dir` (tests/fixtures/runs.py); one process per session.
- `empty_server`: the same over an empty store (for the "no runs yet" state).
- `browser_context`: Debian's /usr/bin/chromium driven by the PyPI `playwright` package with a fresh
  profile; one per session. `page` gives each test a new tab and fails it on uncaught page errors.

Without chromium or node the tests skip with the reason (CI=true turns that into a failure).
Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, REPO

CHROMIUM = Path(os.environ.get("PERSONAS_CHROMIUM", "/usr/bin/chromium"))
FRONTEND = REPO / "frontend"
BUILD_SCRIPT = REPO / "scripts" / "build_frontend.sh"
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}


def _need(ok: bool, msg: str) -> None:
    if not ok:
        if IN_CI:
            pytest.fail(msg + " (CI=true requires it)")
        pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running `python -m backend` process."""

    url: str
    proc: subprocess.Popen
    log_path: Path

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}/api/v1{path}", timeout=30) as resp:
            return json.loads(resp.read())

    def post(self, path: str, payload: dict) -> Any:
        req = urllib.request.Request(f"{self.url}/api/v1{path}", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())


def _start_backend(store_url: str, workdir: Path, name: str) -> Server:
    port = _free_port()
    log_path = workdir / f"{name}.log"
    log = log_path.open("w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend", "--store", store_url, "--port", str(port),
         "--frontend-dir", str(FRONTEND / "out"), "--log-level", "warning"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"backend exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/ready", timeout=2) as resp:
                if resp.status == 200:
                    return Server(url, proc, log_path)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    proc.terminate()
    raise RuntimeError(f"backend did not become ready in 60 s: {log_path.read_text()[-2000:]}")


@contextlib.contextmanager
def served_run(work: Path, inputs: list[str], name: str, *flags: str) -> Iterator[tuple[Server, dict]]:
    """Run the pipeline (``python -m ml.run``) on ``inputs`` into a SQLite store in ``work``, and serve it:
    yields the backend and the run's manifest; the backend stops on exit."""
    from tests.fixtures.runs import run_cli

    store = f"sqlite:///{work / 'personas.db'}"
    assert run_cli([*inputs, "--out", str(work / "run"), "--store", store, *flags]) == 0
    manifest = json.loads((work / "run" / "manifest.json").read_text(encoding="utf-8"))
    server = _start_backend(store, work, name)
    try:
        yield server, manifest
    finally:
        _stop(server)


def _stop(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def frontend_out() -> Path:
    """The built static export (frontend/out), built or refreshed by scripts/build_frontend.sh."""
    _need(shutil.which("node") is not None and shutil.which("npm") is not None,
          "node/npm not found: the explorer build needs Node.js 20.9+")
    result = subprocess.run(["bash", str(BUILD_SCRIPT)], check=False, cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, f"frontend build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    out = FRONTEND / "out"
    assert (out / "index.html").is_file() and (out / "persona" / "index.html").is_file()
    return out


@pytest.fixture(scope="session")
def browser_store_url(pipeline_run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store holding the real pipeline run."""
    from tests.fixtures.runs import sqlite_store_with

    return sqlite_store_with(tmp_path_factory.mktemp("browser-store") / "personas.db", pipeline_run_dir)


@pytest.fixture(scope="session")
def live_server(frontend_out: Path, browser_store_url: str,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = _start_backend(browser_store_url, tmp_path_factory.mktemp("backend"), "backend")
    yield server
    _stop(server)


@pytest.fixture(scope="session")
def empty_server(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("backend-empty")
    server = _start_backend(f"sqlite:///{workdir / 'empty.db'}", workdir, "backend-empty")
    yield server
    _stop(server)


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    _need(CHROMIUM.is_file(), f"{CHROMIUM} not found: apt-get update && apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport=LAPTOP, reduced_motion="reduce",
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failed test at teardown."""
    outcome = yield
    setattr(item, f"rep_{call.when}", outcome.get_result())


@pytest.fixture
def page(browser_context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh tab at laptop size; uncaught page errors fail the test. When a test fails, a
    screenshot and the page's console (errors, CSP reports, failed requests) are saved to
    test-artifacts/browser/failures/ to show why a page did not render."""
    tab = browser_context.new_page()
    tab.set_viewport_size(LAPTOP)
    errors: list[str] = []
    console: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    tab.on("requestfailed", lambda req: console.append(f"request failed: {req.url} {req.failure}"))
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        failures = ARTIFACTS / "failures"
        failures.mkdir(parents=True, exist_ok=True)
        name = request.node.name.replace("/", "_")[:120]
        try:
            tab.screenshot(path=str(failures / f"{name}.png"), full_page=True)
        except Exception as exc:  # noqa: BLE001 - a dead page still gets its log
            console.append(f"screenshot failed: {exc}")
        (failures / f"{name}.log").write_text(f"url: {tab.url}\n" + "\n".join(console + errors), encoding="utf-8")
    tab.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def tab_to(page, attribute: str, tries: int = 10) -> str | None:
    """Press Tab until the focused element carries `attribute`; its value, or None if never reached."""
    for _ in range(tries):
        page.keyboard.press("Tab")
        reached = page.evaluate(f"document.activeElement.getAttribute('{attribute}')")
        if reached is not None:
            return reached
    return None
