"""One default store for every entry point (issue 15): a run made with `python -m ml.run` and no
`--store` appears in the backend started the way scripts/quickstart.sh starts it (`python -m backend
--port PORT`, no store given), with HOME or PERSONAS_HOME pointed at a temporary folder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO

SAMPLE = REPO / "data" / "sample" / "twcs_sample.csv"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PERSONAS_HOME", "PERSONAS_STORE_URL")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false", **extra)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_and_list_runs(env: dict[str, str]) -> tuple[list[str], dict]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "backend", "--port", str(port), "--log-level", "warning"],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stdout.read() if server.stdout else "backend exited"
            assert time.monotonic() < deadline, "backend did not start within 60 s"
            time.sleep(0.5)
        runs = httpx.get(f"{base}/runs", timeout=10).json()["items"]
        return [r["id"] for r in runs], httpx.get(f"{base}/ready", timeout=10).json()
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("via", ["HOME", "PERSONAS_HOME"])
def test_a_run_without_store_appears_in_the_quickstart_backend(tmp_path: Path, via: str):
    home = tmp_path / "home"
    home.mkdir()
    env = _env(HOME=str(home)) if via == "HOME" else _env(PERSONAS_HOME=str(tmp_path / "personas-home"))
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "ml.run", str(SAMPLE), "--inbound-only", "--out", str(out),
                           "--quiet"], cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).resolve() == out.resolve()  # stdout: the run directory only, for scripts
    db = home / ".personas" / "personas.db" if via == "HOME" else tmp_path / "personas-home" / "personas.db"
    assert db.is_file()
    run_id = json.loads((out / "manifest.json").read_text())["run_id"]
    ids, ready = _serve_and_list_runs(env)
    assert run_id in ids
    assert ready == {"status": "ready", "store": "sqlite:///personas.db"}


def test_default_store_is_the_same_for_pipeline_and_backend(tmp_path: Path, monkeypatch):
    from backend.settings import Settings
    from ml.store.settings import default_store_url, get_store_settings

    monkeypatch.delenv("PERSONAS_STORE_URL", raising=False)
    monkeypatch.delenv("PERSONAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = f"sqlite:///{tmp_path.resolve() / '.personas' / 'personas.db'}"
    assert get_store_settings().resolved_store_url() == Settings().store_url == default_store_url() == expected
    monkeypatch.setenv("PERSONAS_HOME", "~/elsewhere")
    expected = f"sqlite:///{tmp_path.resolve() / 'elsewhere' / 'personas.db'}"
    assert get_store_settings().resolved_store_url() == Settings().store_url == expected
    monkeypatch.setenv("PERSONAS_STORE_URL", "sqlite:///x.db")
    assert get_store_settings().resolved_store_url() == Settings().store_url == "sqlite:///x.db"


def test_quickstart_uses_the_default_store_and_says_its_port():
    script = (REPO / "scripts" / "quickstart.sh").read_text()
    assert "PERSONAS_HOME=" not in script and ".personas" not in script.split("set -euo")[1]
    assert "resolved_store_url" in script and 'python -m backend --port "$PORT"' in script
    assert "PORT=$PORT" in script and "--rerun" in script and "RERUN" in script
    bad = subprocess.run(["bash", str(REPO / "scripts" / "quickstart.sh"), "--bogus"], capture_output=True,
                         text=True, timeout=30, check=False)
    assert bad.returncode == 2 and "usage" in bad.stderr
