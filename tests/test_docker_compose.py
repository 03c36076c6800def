"""Offline validation of docker-compose.yml (Docker does not run on the build machines).

Checks structure against a schema of the subset of the Compose spec we use, then the wiring:
health checks everywhere, depends_on waiting for health, ports, the Firestore settings handed to
the backend, and the files the builds need. The emulator's health check command is run for real
against a local emulator; `docker compose config` runs only where Docker is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
DURATION = r"^\d+(ms|s|m|h)$"

SCHEMA = {
    "type": "object",
    "required": ["services"],
    "additionalProperties": False,
    "patternProperties": {"^x-": {}},
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
        "volumes": {"type": "object"},
        "services": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "anyOf": [{"required": ["image"]}, {"required": ["build"]}],
                "required": ["healthcheck"],
                "properties": {
                    "image": {"type": "string"},
                    "build": {"type": "object", "required": ["context"],
                              "properties": {"context": {"type": "string"}, "dockerfile": {"type": "string"}},
                              "additionalProperties": False},
                    "command": {"type": ["string", "array"]},
                    "working_dir": {"type": "string"},
                    "profiles": {"type": "array", "items": {"type": "string"}},
                    "restart": {"enum": ["no", "always", "on-failure", "unless-stopped"]},
                    "environment": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
                    "ports": {"type": "array", "items": {"type": "string", "pattern": r"^\d+:\d+$"}},
                    "volumes": {"type": "array", "items": {"type": "string"}},
                    "depends_on": {"type": "object", "additionalProperties": {
                        "type": "object", "required": ["condition"], "properties": {
                            "condition": {"enum": ["service_started", "service_healthy",
                                                   "service_completed_successfully"]}}}},
                    "healthcheck": {
                        "type": "object",
                        "required": ["test", "interval", "timeout", "retries"],
                        "additionalProperties": False,
                        "properties": {
                            "test": {"type": "array", "minItems": 2, "items": {"type": "string"},
                                     "prefixItems": [{"enum": ["CMD", "CMD-SHELL"]}]},
                            "interval": {"type": "string", "pattern": DURATION},
                            "timeout": {"type": "string", "pattern": DURATION},
                            "start_period": {"type": "string", "pattern": DURATION},
                            "retries": {"type": "integer", "minimum": 1},
                        },
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _flag(command: list[str] | str, name: str) -> str:
    words = command.split() if isinstance(command, str) else command
    for i, word in enumerate(words):
        if word == name:
            return words[i + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    raise AssertionError(f"{name} missing from {command!r}")


def test_schema(compose):
    jsonschema.Draft202012Validator(SCHEMA).validate(compose)
    assert {"firestore", "backend", "frontend"} <= set(compose["services"])


def test_depends_on_waits_for_health(compose):
    services = compose["services"]
    assert services["backend"]["depends_on"] == {"firestore": {"condition": "service_healthy"}}
    assert services["frontend"]["depends_on"] == {"backend": {"condition": "service_healthy"}}
    for name, svc in services.items():
        for dep in svc.get("depends_on", {}):
            assert dep in services and dep != name
            assert "profiles" not in services[dep], f"{name} depends on {dep}, which a plain `up` does not start"


def test_ports_are_distinct_and_match_commands(compose):
    services = compose["services"]
    host_ports = [p.split(":")[0] for s in services.values() for p in s.get("ports", [])]
    assert len(host_ports) == len(set(host_ports))
    emu_host_port = _flag(services["firestore"]["command"], "--host-port")
    assert emu_host_port.startswith("0.0.0.0:")  # reachable from other containers
    assert f"{emu_host_port.split(':')[1]}:{emu_host_port.split(':')[1]}" in services["firestore"]["ports"]
    backend_port = _flag(services["backend"]["command"], "--port")
    assert f"{backend_port}:{backend_port}" in services["backend"]["ports"]
    assert _flag(services["backend"]["command"], "--host") == "0.0.0.0"
    assert _flag(services["backend"]["command"], "--frontend-dir") == "/app/frontend/out"
    assert f":{backend_port}/api/v1/ready" in " ".join(services["backend"]["healthcheck"]["test"])
    assert _flag(services["frontend"]["command"][-1], "--port") == services["frontend"]["ports"][0].split(":")[1]


def test_backend_is_configured_for_the_emulator(compose):
    services = compose["services"]
    env = services["backend"]["environment"]
    emu_port = _flag(services["firestore"]["command"], "--host-port").split(":")[1]
    project = _flag(services["firestore"]["command"], "--project")
    assert env["FIRESTORE_EMULATOR_HOST"] == f"firestore:{emu_port}"
    assert env["PERSONAS_STORE_URL"] == f"firestore://{project}"
    assert services["backend"]["command"][:3] == ["python", "-m", "backend"]
    assert _flag(services["backend"]["command"], "--store") == env["PERSONAS_STORE_URL"]
    assert services["frontend"]["environment"]["PERSONAS_BACKEND_URL"] == \
        f"http://backend:{_flag(services['backend']['command'], '--port')}"


def test_frontend_service_sets_only_variables_the_frontend_reads(compose):
    """A review found the dev explorer pointed at the backend through a variable nothing read, and at a browser
    address that needed CORS the backend did not allow."""
    read = set()
    for path in [REPO / "frontend" / "next.config.ts", *(REPO / "frontend" / "lib").glob("*.ts")]:
        read |= set(re.findall(r"process\.env\.([A-Z0-9_]+)", path.read_text(encoding="utf-8")))
    env = compose["services"]["frontend"]["environment"]
    assert set(env) <= read, sorted(set(env) - read)
    assert "NEXT_PUBLIC_API_BASE" not in env  # the browser would call the backend cross-origin


def test_build_inputs_exist(compose):
    build = compose["services"]["backend"]["build"]
    dockerfile = REPO / build["context"] / build["dockerfile"]
    assert dockerfile.is_file()
    text = dockerfile.read_text()
    for src in re.findall(r"^COPY (?!--from)(\S+)", text, flags=re.MULTILINE):
        if "*" not in src:
            assert (REPO / build["context"] / src).exists(), f"{dockerfile.name} copies missing {src}"
    assert "EXPOSE 8000" in text and "torch==2.13.0" in text
    for vol in compose["services"]["frontend"]["volumes"]:
        src = vol.split(":")[0]
        assert not src.startswith(".") or (REPO / src).is_dir()


def test_healthcheck_python_snippets_compile(compose):
    test = compose["services"]["backend"]["healthcheck"]["test"]
    assert test[1:3] == ["python", "-c"]
    compile(test[3], "<healthcheck>", "exec")


@pytest.mark.firestore
def test_emulator_healthcheck_command_works(firestore_emulator):
    test = yaml.safe_load(COMPOSE.read_text())["services"]["firestore"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    cmd = [part.replace("127.0.0.1/8080", f"127.0.0.1/{firestore_emulator.port}") for part in test[1:]]
    assert subprocess.run(cmd, timeout=10, check=False).returncode == 0
    down = [part.replace("127.0.0.1/8080", "127.0.0.1/1") for part in test[1:]]
    assert subprocess.run(down, timeout=10, stderr=subprocess.DEVNULL, check=False).returncode != 0


def _has_compose() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30, check=False).returncode == 0


@pytest.mark.skipif(not _has_compose(), reason="Docker Compose v2 not installed: `docker compose config` not run")
def test_docker_compose_config():  # pragma: no cover - only where Docker Compose exists
    out = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"], capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
