"""Access control and browser hardening (docs/security.md): API and admin keys, writes, CORS,
security headers and the docs switch, over the real SQLite store of tests/backend/conftest.py."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import time

import pytest
from pydantic import ValidationError

from backend.settings import Settings
from ml.store import open_store
from tests.backend.conftest import NEW_RUN, error_answer, error_of
from tests.backend.synthetic import synthetic_bundle
from tests.conftest import REPO

API = "/api/v1"
KEY = "reader-key-0123456789abcdef"
ADMIN = "admin-key-0123456789abcdef"
STRATEGY = {"run_id": "latest", "persona_id": 0, "goal": "retention"}
# Every operation of the API, with a request that succeeds (or fails after authentication).
OPERATIONS = [
    ("GET", f"{API}/ready", None), ("GET", f"{API}/runs", None), ("GET", f"{API}/runs/latest", None),
    ("GET", f"{API}/runs/latest/personas", None), ("GET", f"{API}/runs/latest/personas/0", None),
    ("GET", f"{API}/runs/latest/personas/0/members", None), ("GET", f"{API}/runs/latest/map", None),
    ("GET", f"{API}/runs/latest/families", None), ("GET", f"{API}/openapi.json", None),
    ("GET", f"{API}/docs", None), ("POST", f"{API}/strategy", STRATEGY),
    ("POST", f"{API}/runs/latest/assign", {"conversations": [{"text": "hi"}]}),
    ("DELETE", f"{API}/runs/no-such-run", None), ("GET", f"{API}/no-such-endpoint", None),
]


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _call(client, method, path, body, headers=None):
    return client.request(method, path, json=body, headers=headers or {})


# -- settings ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("values", "field"), [
    ({"api_key": "short"}, "api_key"),
    ({"api_key": "has a space in it, 16+ chars"}, "api_key"),
    ({"api_key": KEY, "admin_key": KEY}, "admin_key"),
    ({"allow_writes": True}, "allow_writes"),
    ({"admin_key": ADMIN, "cors_origins": "*"}, "cors_origins"),
    ({"cors_origins": "https://example.org/app"}, "cors_origins"),
    ({"cors_origins": "*,https://example.org"}, "cors_origins"),
])
def test_unsafe_settings_are_refused_naming_the_field(values, field):
    with pytest.raises(ValidationError) as caught:
        Settings(frontend_dir=None, **values)
    assert [e["loc"] for e in caught.value.errors()] == [(field,)]
    for secret in (KEY, ADMIN):
        assert secret not in str(caught.value)  # keys never reach an error message


def test_write_rule():
    assert not Settings(frontend_dir=None).writes_enabled
    assert Settings(frontend_dir=None, admin_key=ADMIN).writes_enabled
    assert Settings(frontend_dir=None, admin_key=ADMIN, allow_writes=True).writes_enabled
    assert not Settings(frontend_dir=None, admin_key=ADMIN, allow_writes=False).writes_enabled
    # a wildcard is accepted while writes are off
    assert Settings(frontend_dir=None, cors_origins="*").cors_origins == ["*"]
    assert Settings(frontend_dir=None, admin_key=ADMIN, allow_writes=False, cors_origins="*").cors_origins == ["*"]


def test_server_refuses_to_start_with_a_wildcard_while_writes_are_on():
    env = {**os.environ, "PERSONAS_ADMIN_KEY": ADMIN, "PERSONAS_CORS_ORIGINS": "*"}
    result = subprocess.run([sys.executable, "-m", "backend", "--port", "1"], check=False, cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "cors_origins" in result.stderr
    assert "Traceback" not in result.stderr and ADMIN not in result.stderr


# -- API key ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_every_api_request_needs_the_key(make_client, method, path, body):
    client = make_client(api_key=KEY)
    missing = _call(client, method, path, body)
    assert missing.status_code == 401, missing.text
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert error_of(missing)["code"] == "unauthorized"
    for wrong in (_bearer("not-the-key-0123456789"), _bearer(KEY + "x"), _bearer(KEY[:-1]),
                  {"Authorization": f"Basic {KEY}"}, {"Authorization": "Bearer"}):
        refused = _call(client, method, path, body, wrong)
        assert refused.status_code in (401, 403), (wrong, refused.text)
        assert error_of(refused)["code"] in ("unauthorized", "forbidden")
    assert _call(client, method, path, body, _bearer("x" * 26)).status_code == 403
    allowed = _call(client, method, path, body, _bearer(KEY))
    assert allowed.status_code not in (401, 403) or error_of(allowed)["code"] == "writes_disabled"


def test_health_is_open_and_the_key_is_accepted_as_any_bearer(make_client):
    client = make_client(api_key=KEY, admin_key=ADMIN)
    assert client.get(f"{API}/health").json()["status"] == "ok"
    assert client.head(f"{API}/health").status_code != 401
    assert client.post(f"{API}/health").status_code == 401  # only reads of liveness are open
    assert client.get(f"{API}/runs", headers={"authorization": f"bearer {KEY}"}).status_code == 200
    assert client.get(f"{API}/runs", headers=_bearer(ADMIN)).status_code == 200  # the admin key reads too
    assert client.get(f"{API}/runs/latest", headers=_bearer(KEY)).json()["id"] == NEW_RUN


def test_openapi_declares_the_bearer_scheme_when_a_key_is_set(make_client):
    schema = make_client(api_key=KEY).get(f"{API}/openapi.json", headers=_bearer(KEY)).json()
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http", "scheme": "bearer", "description": "PERSONAS_API_KEY (or the admin key)"}
    assert schema["paths"][f"{API}/runs"]["get"]["security"] == [{"apiKey": []}]
    assert "security" not in schema["paths"][f"{API}/health"]["get"]
    # what a protected operation answers without a key, or a store that does not answer (an API review: generated
    # clients knew only 200 and 422)
    assert {"401", "403", "422", "503"} <= set(schema["paths"][f"{API}/runs"]["get"]["responses"])
    assert "401" not in schema["paths"][f"{API}/health"]["get"]["responses"]
    export = schema["paths"][f"{API}/runs/{{run_id}}/export/personas.json"]["get"]["responses"]["200"]
    assert export["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PersonasExport"}
    assert "securitySchemes" not in make_client().get(f"{API}/openapi.json").json().get("components", {})


def test_no_key_configured_keeps_the_api_open(client):
    assert client.get(f"{API}/runs/latest").json()["id"] == NEW_RUN
    assert client.post(f"{API}/strategy", json=STRATEGY).status_code == 200


def test_the_explorer_files_are_served_without_a_key(make_client, frontend_dir):
    client = make_client(api_key=KEY, frontend_dir=frontend_dir)
    assert client.get("/").text == "<html>home</html>"
    assert client.get("/_next/static/app.js").status_code == 200
    assert client.get(f"{API}/runs").status_code == 401


# -- writes -----------------------------------------------------------------------------------
def _doomed(store_url: str, run_id: str) -> None:
    store = open_store(store_url)
    store.publish(synthetic_bundle(run_id, "2001-01-01T00:00:00Z"), replace=True)
    store.close()


def test_writes_are_off_without_an_admin_key(make_client, store_url):
    _doomed(store_url, "run-kept")
    # (client, headers that pass its API-key check)
    cases = [(make_client(), [{}, _bearer(KEY), _bearer(ADMIN)]), (make_client(api_key=KEY), [_bearer(KEY)]),
             (make_client(admin_key=ADMIN, allow_writes=False), [{}, _bearer(ADMIN)]),
             (make_client(api_key=KEY, admin_key=ADMIN, allow_writes=False), [_bearer(KEY), _bearer(ADMIN)])]
    for client, passing in cases:
        for headers in passing:
            response = client.delete(f"{API}/runs/run-kept", headers=headers)
            assert error_answer(response) == (403, "writes_disabled")
    assert make_client().get(f"{API}/runs/run-kept").status_code == 200


@pytest.mark.parametrize("api_key", [None, KEY])
def test_delete_needs_the_admin_key(make_client, store_url, api_key):
    _doomed(store_url, "run-doomed")
    client = make_client(admin_key=ADMIN, api_key=api_key)
    reader = _bearer(KEY) if api_key else {}
    missing = client.delete(f"{API}/runs/run-doomed")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    for wrong in (_bearer(KEY), _bearer("y" * 26), _bearer(ADMIN[:-1])):  # the reader's key is not enough
        response = client.delete(f"{API}/runs/run-doomed", headers=wrong)
        assert error_answer(response) == (403, "forbidden")
    assert client.get(f"{API}/runs/run-doomed", headers=reader).status_code == 200  # still there
    done = client.delete(f"{API}/runs/run-doomed", headers=_bearer(ADMIN))
    assert done.json() == {"id": "run-doomed", "deleted": True, "baseline_of": []}
    assert client.get(f"{API}/runs/run-doomed", headers=reader).status_code == 404


# -- CORS -------------------------------------------------------------------------------------
def _preflight(client, method: str, origin: str = "https://explorer.example"):
    return client.options(f"{API}/runs/{NEW_RUN}", headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization"})


def test_cors_preflight_works_with_a_key_and_allows_delete_only_with_writes_on(make_client):
    reader = make_client(api_key=KEY, cors_origins="https://explorer.example")
    get = _preflight(reader, "GET")
    assert get.status_code == 200 and get.headers["access-control-allow-origin"] == "https://explorer.example"
    assert "authorization" in get.headers["access-control-allow-headers"].lower()
    assert _preflight(reader, "DELETE").status_code == 400  # writes are off: no DELETE preflight
    assert _preflight(reader, "GET", "https://evil.example").status_code == 400
    writer = make_client(admin_key=ADMIN, cors_origins="https://explorer.example")
    assert _preflight(writer, "DELETE").status_code == 200
    assert _preflight(writer, "DELETE", "https://evil.example").status_code == 400
    refused = reader.get(f"{API}/runs", headers={"Origin": "https://explorer.example"})
    assert refused.status_code == 401  # and the page can read why:
    assert refused.headers["access-control-allow-origin"] == "https://explorer.example"


def test_wildcard_origin_never_allows_delete(make_client):
    client = make_client(cors_origins="*")
    assert _preflight(client, "GET", "https://any.example").status_code == 200
    assert _preflight(client, "DELETE", "https://any.example").status_code == 400


# -- headers and docs -------------------------------------------------------------------------
def _csp(response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.split()[0]: part.partition(" ")[2] for part in policy.split("; ")}


def _common_headers_ok(response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert _csp(response)["frame-ancestors"] == "'none'"


def test_security_headers_on_every_api_response(make_client):
    client = make_client(api_key=KEY, max_body_bytes=2048)
    responses = [client.get(f"{API}/health"), client.get(f"{API}/runs", headers=_bearer(KEY)),
                 client.get(f"{API}/runs"), client.get(f"{API}/nope", headers=_bearer(KEY)),
                 client.post(f"{API}/strategy", json={}, headers=_bearer(KEY)),
                 client.post(f"{API}/strategy", content=b"x" * 5000, headers=_bearer(KEY)),
                 client.delete(f"{API}/runs/x", headers=_bearer(KEY))]
    assert [r.status_code for r in responses] == [200, 200, 401, 404, 422, 413, 403]
    for response in responses:
        _common_headers_ok(response)
        assert _csp(response)["default-src"] == "'none'"
        assert response.headers["cache-control"] == "no-store"


def _sha(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def test_explorer_pages_allow_their_own_inline_scripts_by_hash(make_client, frontend_dir):
    first, second = "self.__next_f.push([0])", 'console.log("persona page")'
    (frontend_dir / "index.html").write_text(f"<html><script>{first}</script><script src='/a.js'></script></html>")
    (frontend_dir / "persona" / "index.html").write_text(f"<html><script async>{second}</script></html>")
    client = make_client(frontend_dir=frontend_dir)
    page = client.get("/")
    _common_headers_ok(page)
    scripts = _csp(page)["script-src"].split()
    assert scripts[0] == "'self'" and {_sha(first), _sha(second)} <= set(scripts)
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert _csp(page)["connect-src"] == "'self'" and _csp(page)["object-src"] == "'none'"
    assert _csp(client.get("/_next/static/app.js"))["default-src"] == "'none'"
    # a rebuilt explorer is picked up without a restart, whichever page changed (within a second)
    third = "self.__next_f.push([1])"
    page = frontend_dir / "persona" / "index.html"
    page.write_text(f"<html><script>{third}</script></html>")
    stat = page.stat()
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    time.sleep(1.1)
    scripts = _csp(client.get("/persona/"))["script-src"].split()
    assert _sha(third) in scripts and _sha(second) not in scripts and _sha(first) in scripts


def test_docs_page_policy_allows_exactly_its_inline_script(client):
    page = client.get(f"{API}/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    _common_headers_ok(page)
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert len(inline) == 1 and _sha(inline[0]) in _csp(page)["script-src"].split()
    assert "'unsafe-inline'" not in _csp(page)["script-src"]


def test_docs_can_be_turned_off(make_client, monkeypatch):
    monkeypatch.setenv("PERSONAS_DOCS", "false")
    client = make_client()
    assert client.app.state.settings.docs is False
    for path in (f"{API}/docs", f"{API}/openapi.json", f"{API}/redoc"):
        response = client.get(path)
        assert error_answer(response) == (404, "not_found")
    assert client.get(f"{API}/runs/latest").status_code == 200
    assert make_client(docs=True).get(f"{API}/openapi.json").json()["info"]["title"] == "Personas API"


def test_a_revalidated_explorer_page_keeps_the_explorer_policy(make_client, frontend_dir):
    """A 304 has no content type; browsers merge its headers into the cached page, so it must carry
    the explorer's policy, not the API's `default-src 'none'` (which blocked every script)."""
    client = make_client(frontend_dir=frontend_dir)
    first = client.get("/")
    assert first.status_code == 200
    validator = {k: v for k, v in (("if-none-match", first.headers.get("etag")),
                                   ("if-modified-since", first.headers.get("last-modified"))) if v}
    assert validator, "the explorer's pages should be cacheable with a validator"
    again = client.get("/", headers=validator)
    assert again.status_code == 304
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert "default-src 'none'" not in again.headers["content-security-policy"]
