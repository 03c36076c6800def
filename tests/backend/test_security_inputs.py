"""Hostile inputs and what answers reveal (docs/security.md): huge integers are 422 and the server keeps
serving the same keep-alive connection; a crash is one JSON 500; no server path in any answer.

The keep-alive tests run a real uvicorn server (in a thread) over the real SQLite store and speak
HTTP/1.1 on one raw socket, so a connection the server drops fails the next request.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn

from backend.app import create_app
from backend.deps import get_strategy_generator
from backend.settings import Settings
from ml.store import open_store
from tests.backend.conftest import NEW_RUN, error_answer, error_of
from tests.backend.synthetic import synthetic_bundle

API = "/api/v1"
HUGE = [2**31, 2**63, 10**30]


@contextmanager
def serving(app) -> Iterator[int]:
    """Run `app` under uvicorn on a free loopback port; yields the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def exchange(sock: socket.socket, method: str, path: str, body: object = None) -> tuple[int, dict]:
    """One HTTP/1.1 request on an open keep-alive socket → (status, JSON body)."""
    data = b"" if body is None else json.dumps(body).encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n")
    sock.sendall(head.encode() + data)
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        raw += chunk
    header_blob, _, rest = raw.partition(b"\r\n\r\n")
    lines = header_blob.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert headers.get("connection", "").lower() != "close", "the server is closing the connection"
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        rest += chunk
    return int(lines[0].split()[1]), json.loads(rest[:length] or b"null")


@pytest.fixture
def live_app(populated_store, store_url):
    return create_app(Settings(store_url=store_url, frontend_dir=None))


def _requests_with_huge_integers(value: int) -> list[tuple[str, str, object]]:
    run = f"{API}/runs/{NEW_RUN}"
    return [
        ("POST", f"{API}/strategy", {"run_id": "latest", "persona_id": value, "goal": "retention"}),
        ("GET", f"{run}/personas/{value}", None),
        ("GET", f"{run}/personas/{value}/members", None),
        ("GET", f"{run}/personas/0/members?offset={value}", None),
        ("GET", f"{run}/personas/0/members?limit={value}", None),
        ("GET", f"{API}/runs?offset={value}", None),
        ("GET", f"{API}/runs?limit={value}", None),
        ("GET", f"{run}/map?limit={value}", None),
        ("POST", f"{run}/assign", {"events": [{"user": value * 2**32, "event": "Course viewed"}]}),
        ("POST", f"{run}/assign", {"events": [{"user": "u1", "event": "Course viewed", "count": value * 10**9}]}),
    ]


@pytest.mark.parametrize("value", HUGE)
def test_huge_integers_are_422_and_the_connection_keeps_serving(live_app, value, caplog):
    caplog.set_level(logging.INFO)
    with serving(live_app) as port, socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for method, path, body in _requests_with_huge_integers(value):
            status, answer = exchange(sock, method, path, body)
            assert status == 422, (method, path, answer)
            assert answer["error"]["code"] == "invalid_request"
            status, answer = exchange(sock, "GET", f"{API}/runs/latest")  # the same connection
            assert status == 200 and answer["id"] == NEW_RUN
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]


def _integers(node, components: dict, seen: set[str]) -> Iterator[dict]:
    """Every integer sub-schema of `node`, following `$ref`s into the components."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref and ref not in seen:
            seen.add(ref)
            yield from _integers(components[ref.rsplit("/", 1)[-1]], components, seen)
        if node.get("type") == "integer":
            yield node
        for value in node.values():
            yield from _integers(value, components, seen)
    elif isinstance(node, list):
        for value in node:
            yield from _integers(value, components, seen)


def _operations(client) -> Iterator[tuple[str, str, dict]]:
    schema = client.get(f"{API}/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def test_every_integer_a_client_sends_is_bounded_in_the_schema(client):
    components = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    checked = 0
    for method, path, operation in _operations(client):
        roots = [p["schema"] for p in operation.get("parameters", [])]
        roots.append(operation.get("requestBody", {}).get("content", {}).get("application/json", {}))
        for integer in _integers(roots, components, set()):
            assert "maximum" in integer and "minimum" in integer, (method, path, integer)
            assert float(integer["maximum"]) <= 2.0**63, (method, path, integer)  # int64 (JSON writes a float)
            checked += 1
    assert checked >= 10  # persona ids, offsets, limits, strategy and event bodies at least


@pytest.mark.parametrize("value", [2**63, 10**30])
def test_every_integer_parameter_refuses_huge_values(client, value):
    tried = 0
    for method, path, operation in _operations(client):
        ints = [p for p in operation.get("parameters", []) if "integer" in json.dumps(p["schema"])]
        for param in ints:
            url = path.replace("{run_id}", NEW_RUN).replace("{persona_id}", "0")
            if param["in"] == "path":
                url = path.replace("{run_id}", NEW_RUN).replace("{" + param["name"] + "}", str(value))
                url = url.replace("{persona_id}", "0")
            params = {param["name"]: value} if param["in"] == "query" else None
            response = client.request(method, url, params=params)
            assert response.status_code == 422, (method, url, params, response.text)
            tried += 1
    assert tried >= 7


def test_a_crash_is_one_logged_json_500_and_the_connection_survives(live_app, caplog):
    def broken_generator(profile, goal, channels):
        raise RuntimeError("generator bug at /srv/secret/path.py")

    live_app.dependency_overrides[get_strategy_generator] = lambda: broken_generator
    with serving(live_app) as port, socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        status, answer = exchange(sock, "POST", f"{API}/strategy",
                                  {"run_id": "latest", "persona_id": 0, "goal": "retention"})
        assert status == 500 and answer["error"]["code"] == "internal_error"
        assert "/srv" not in json.dumps(answer)
        status, _ = exchange(sock, "GET", f"{API}/runs/latest")
        assert status == 200
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "unhandled error on POST /api/v1/strategy" in errors[0].getMessage()


# -- no server paths --------------------------------------------------------------------------
def _publish_with_paths(store_url: str, run_id: str, run_dir) -> dict:
    """A run whose manifest holds server paths where the pipelines write them."""
    bundle = synthetic_bundle(run_id, "2001-02-03T00:00:00Z")
    bundle.manifest.update({
        "run_dir": str(run_dir),
        "source": {"inputs": ["/srv/private/data/tweets.csv", "relative/dir/more.jsonl"],
                   "load": {"files": [{"path": "/srv/private/data/tweets.csv", "format": "csv", "rows_read": 9},
                                      {"file": "C:\\Users\\ana\\events.csv.gz", "rows": 3}],
                            "timestamp_examples": [{"file": "tweets.csv", "row": 2, "value": "yesterday"}],
                            "notes": {"where": "/var/lib/personas/runs/x"}}},
        "config": {"embed": {"cache_dir": "/home/ana/.cache/personas", "model_name":
                             "sentence-transformers/all-MiniLM-L6-v2"}, "config_file": "~/conf/run.yaml"},
        "filtering": [{**stage, "examples": [{"text": "/r/funny/"}, {"text": "/cc help me w/ my card"}]}
                      for stage in bundle.manifest["filtering"]],
    })
    store = open_store(store_url)
    store.publish(bundle, replace=True)
    store.close()
    return bundle.manifest


def test_manifests_in_answers_hold_no_server_paths(client, store_url, tmp_path):
    run_dir = tmp_path / "server-side" / "run-with-paths"
    (run_dir / "model").mkdir(parents=True)
    _publish_with_paths(store_url, "run-with-paths", run_dir)
    run = client.get(f"{API}/runs/run-with-paths").json()
    listed = [r for r in client.get(f"{API}/runs", params={"limit": 200}).json()["items"]
              if r["id"] == "run-with-paths"]
    for answer in (run, *listed):
        text = json.dumps(answer)
        for secret in ("/srv", "private", "C:\\\\", "Users", "/home", ".cache/", "~/conf", "/var/lib",
                       str(tmp_path), "server-side", "relative/dir"):
            assert secret not in text, (secret, text)
        assert answer["source"]["inputs"] == ["tweets.csv", "more.jsonl"]
        assert [f.get("path") or f.get("file") for f in answer["source"]["load"]["files"]] == [
            "tweets.csv", "events.csv.gz"]
    assert "run_dir" not in run and run["model_available"] is True  # the server still finds the model
    assert run["config"]["embed"] == {"cache_dir": "personas", "model_name": "sentence-transformers/all-MiniLM-L6-v2"}
    assert run["config"]["config_file"] == "run.yaml" and run["source"]["load"]["notes"]["where"] == "x"
    assert [e["text"] for e in run["filtering"][0]["examples"]] == ["/r/funny/", "/cc help me w/ my card"]
    store = open_store(store_url)
    assert store.get_run("run-with-paths")["run_dir"] == str(run_dir)  # the stored manifest keeps it
    store.close()


def test_model_unavailable_names_no_server_path(client, store_url, tmp_path, caplog):
    missing = tmp_path / "gone" / "run-no-model"
    _publish_with_paths(store_url, "run-no-model", missing)
    with caplog.at_level(logging.WARNING, logger="backend"):
        response = client.post(f"{API}/runs/run-no-model/assign", json={"conversations": [{"text": "hello"}]})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "model_unavailable" and "PERSONAS_RUNS_DIR" in error["message"]
    assert str(tmp_path) not in error["message"] and "gone" not in error["message"]
    assert any(str(missing / "model") in r.getMessage() for r in caplog.records)  # the log says where


def test_a_broken_model_names_no_server_path(client, store_url, tmp_path):
    run_dir = tmp_path / "broken" / "run-broken-model"
    (run_dir / "model").mkdir(parents=True)  # a model folder without the model files
    _publish_with_paths(store_url, "run-broken-model", run_dir)
    response = client.post(f"{API}/runs/run-broken-model/assign", json={"conversations": [{"text": "hello"}]})
    assert response.status_code == 409 and str(tmp_path) not in error_of(response)["message"]


def test_store_errors_name_no_server_path(make_client, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where the store folder should be
    client = make_client(store_url=f"sqlite:///{blocker}/sub/personas.db")
    for path in ("/ready", "/runs", "/runs/latest/personas"):
        response = client.get(f"{API}{path}")
        assert error_answer(response) == (503, "store_unavailable")
        assert str(tmp_path) not in response.text and "personas.db" not in response.text


@pytest.mark.slow
def test_the_real_runs_manifest_holds_no_server_path(pipeline_store_url, pipeline_run_dir):
    from fastapi.testclient import TestClient

    from tests.conftest import REPO

    file_manifest = json.loads((pipeline_run_dir / "manifest.json").read_text())
    with TestClient(create_app(Settings(store_url=pipeline_store_url, frontend_dir=None))) as client:
        run = client.get(f"{API}/runs/latest").json()
        listed = client.get(f"{API}/runs").json()["items"][0]
    assert file_manifest["run_dir"] and run["model_available"] is True
    for answer in (run, listed):
        text = json.dumps(answer)
        for secret in (str(pipeline_run_dir), str(pipeline_run_dir.parent), str(REPO), "/tmp/", "/root/", "/home/"):
            assert secret not in text, secret
        assert answer["source"]["inputs"] == [p.rsplit("/", 1)[-1] for p in file_manifest["source"]["inputs"]]


def test_an_unknown_query_parameter_is_named_not_ignored(client):
    """An API review sent `/members?persona_id=3` (the persona is a path segment) and `/runs?limt=5`, and got every
    member and the default page back. Every route now refuses a parameter it does not take, and names it."""
    answer = client.get(f"{API}/runs", params={"limt": 5})
    assert error_answer(answer) == (422, "invalid_request")
    assert error_of(answer)["message"] == "query.limt: not a parameter of this endpoint; it takes limit, offset"
    members = client.get(f"{API}/runs/{NEW_RUN}/personas/0/members", params={"persona_id": 3})
    assert error_answer(members)[0] == 422 and "query.persona_id:" in error_of(members)["message"]
    sorted_ = client.get(f"{API}/runs/{NEW_RUN}/personas", params={"sort": "size"})
    assert error_of(sorted_)["message"].endswith("it takes no query parameters")
    # liveness and readiness probes may add a cache-buster: never refused
    assert client.get(f"{API}/health", params={"nocache": 1}).status_code == 200
    assert client.head(f"{API}/health", params={"nocache": 1}).status_code == 200
    assert client.get(f"{API}/runs", params={"limit": 1}).status_code == 200  # declared ones still pass


def test_the_query_check_takes_every_documented_parameter(client):
    """The check reads each route's own declaration, so it refuses nothing the schema documents: one request per
    operation with every documented query parameter named (the values may be refused; the names may not)."""
    tried = 0
    for method, path, operation in _operations(client):
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if not names or method != "GET":
            continue
        url = path.replace("{run_id}", NEW_RUN).replace("{persona_id}", "0").replace("{family_id}", "0")
        url = url.replace("{name}", "weekly").replace("{feature}", "words_log")
        response = client.get(url, params={n: "x" for n in names})
        assert "not a parameter of this endpoint" not in response.text, (path, response.text)
        tried += 1
    assert tried >= 6
