"""Settings, the built frontend at `/`, and `python -m backend`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from pydantic import ValidationError

from backend.settings import Settings, get_settings
from tests.backend.conftest import error_answer
from tests.conftest import REPO

API = "/api/v1"


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PERSONAS_HOME", str(tmp_path))
    monkeypatch.setenv("PERSONAS_CORS_ORIGINS", "http://a.example, http://b.example")
    monkeypatch.setenv("PERSONAS_ALLOW_WRITES", "true")
    monkeypatch.setenv("PERSONAS_ADMIN_KEY", "admin-key-0123456789abcdef")
    monkeypatch.delenv("PERSONAS_STORE_URL", raising=False)
    settings = Settings()
    assert settings.cors_origins == ["http://a.example", "http://b.example"]
    assert settings.allow_writes is True and settings.writes_enabled
    assert settings.admin_key.get_secret_value() == "admin-key-0123456789abcdef"
    assert "admin-key" not in repr(settings)  # keys never show in a repr or log
    assert settings.store_url == f"sqlite:///{tmp_path / 'personas.db'}"
    monkeypatch.setenv("PERSONAS_MAX_PAGE_SIZE", "0")
    with pytest.raises(ValidationError, match="max_page_size"):
        Settings()
    get_settings.cache_clear()


def test_writes_are_off_by_default(monkeypatch):
    for name in ("PERSONAS_ALLOW_WRITES", "PERSONAS_ADMIN_KEY", "PERSONAS_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.writes_enabled is False and settings.api_key is None


def test_frontend_is_served_with_spa_fallback(make_client, frontend_dir):
    client = make_client(frontend_dir=frontend_dir)
    assert client.get("/").text == "<html>home</html>"
    assert client.get("/persona/", params={"run": "latest", "id": "1"}).text == "<html>persona page</html>"
    assert client.get("/map/?run=x").text == "<html>map page</html>"
    assert client.get("/_next/static/app.js").text == "console.log(1)"
    unknown = client.get("/some/client/route")  # the export's own not-found page (every page is a real file)
    assert unknown.status_code == 404 and unknown.text == "<html>not found page</html>"
    (frontend_dir / "404.html").unlink()  # an export without one: the app shell
    assert client.get("/some/client/route").text == "<html>home</html>"
    missing_api = client.get(f"{API}/not-an-endpoint")
    assert error_answer(missing_api) == (404, "not_found")
    # a path under a real endpoint, and /api itself: the JSON error, never the explorer's 404 page
    for path in (f"{API}/runs/latest/personas/0/evidence", "/api", "/api/nope"):
        answer = client.get(path)
        assert answer.headers["content-type"].startswith("application/json") and error_answer(answer) == (
            404, "not_found"), path
    assert client.get(f"{API}/health").json()["status"] == "ok"
    # an endpoint asked with another method: 405 with every method it answers (the explorer's mount took them as
    # "no API endpoint"); a trailing slash names the path without it
    put = client.put(f"{API}/runs/latest")
    assert error_answer(put) == (405, "method_not_allowed") and put.headers["Allow"] == "GET, DELETE"
    slash = client.get(f"{API}/runs/")
    assert error_answer(slash) == (404, "not_found") and f"drop the trailing slash ({API}/runs)" in slash.text


def test_405_lists_the_methods_without_the_explorer(make_client, tmp_path):
    """FastAPI 0.165 nests an included router's routes: the 405's Allow header was empty."""
    client = make_client(frontend_dir=tmp_path / "nothing")
    answer = client.request("DELETE", f"{API}/features")
    assert error_answer(answer) == (405, "method_not_allowed") and answer.headers["Allow"] == "GET"


def test_no_frontend_means_api_only(make_client, tmp_path):
    client = make_client(frontend_dir=tmp_path / "nothing")
    assert client.get("/").status_code == 404
    assert client.get(f"{API}/openapi.json").json()["info"]["title"] == "Personas API"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_python_m_backend_serves_and_prints_its_url(populated_store, store_url):
    port = _free_port()
    env = {**os.environ, "PERSONAS_FRONTEND_DIR": "/nonexistent"}
    proc = subprocess.Popen([sys.executable, "-m", "backend", "--store", store_url, "--port", str(port)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first_line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first_line
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}{API}/runs/latest", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["id"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_python_m_backend_rejects_bad_settings(tmp_path):
    env = {**os.environ, "PERSONAS_MAX_ASSIGN_BATCH": "zero"}
    result = subprocess.run([sys.executable, "-m", "backend", "--port", "1"], check=False, cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "max_assign_batch" in result.stderr
    assert "Traceback" not in result.stderr
