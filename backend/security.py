"""API keys and security headers (docs/security.md).

- `ApiKeyAuth` (ASGI middleware): when `PERSONAS_API_KEY` is set, every `/api/v1` request except
  `GET|HEAD /api/v1/health` (liveness) and `OPTIONS` (CORS preflight) needs
  `Authorization: Bearer <key>` (the admin key is accepted too): 401 with `WWW-Authenticate: Bearer`
  without it, 403 with a wrong one. Keys are compared in constant time (`hmac.compare_digest`).
- `require_admin` (dependency of every write endpoint): 403 `writes_disabled` unless writes are on
  (`PERSONAS_ADMIN_KEY` set), then `Authorization: Bearer <admin key>` (401 without, 403 wrong).
- `SecurityHeaders` (ASGI middleware): nosniff, `X-Frame-Options: DENY`, `Referrer-Policy:
  no-referrer` and a Content-Security-Policy on every response: `default-src 'none'` for the API,
  the explorer's own policy for HTML pages (its inline scripts allowed by hash, see `ExplorerPolicy`)
  and the docs page's (Swagger UI from this server, its inline script by hash).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from pydantic import SecretStr
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import APIError, error_response

BEARER_CHALLENGE = 'Bearer realm="personas"'
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_STATIC_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def key_matches(token: str, key: SecretStr | None) -> bool:
    """Constant-time comparison of a presented token with a configured key (False when no key)."""
    if key is None:
        return False
    return hmac.compare_digest(token.encode("utf-8"), key.get_secret_value().encode("utf-8"))


def _unauthorized(message: str) -> APIError:
    return APIError(401, "unauthorized", message, headers={"WWW-Authenticate": BEARER_CHALLENGE})


class ApiKeyAuth:
    """Require `Authorization: Bearer <api key or admin key>` on every request under `prefix`
    except liveness (`GET|HEAD <prefix>/health`) and CORS preflights (`OPTIONS`)."""

    def __init__(self, app: ASGIApp, prefix: str, api_key: SecretStr, admin_key: SecretStr | None) -> None:
        self.app, self.prefix = app, prefix.rstrip("/")
        self.api_key, self.admin_key = api_key, admin_key
        self.open_paths = {f"{self.prefix}/health", f"{self.prefix}/health/"}

    def _protected(self, scope: Scope) -> bool:
        path, method = scope["path"], scope["method"]
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            return False
        if method == "OPTIONS":
            return False
        return not (method in ("GET", "HEAD") and path in self.open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._protected(scope):
            await self.app(scope, receive, send)
            return
        token = bearer_token(Headers(scope=scope).get("authorization"))
        if token is None:
            error = _unauthorized("this API needs a key: send the header 'Authorization: Bearer <key>'")
        else:
            # Both comparisons always run: the time taken does not say which key was close.
            valid = [key_matches(token, self.api_key), key_matches(token, self.admin_key)]
            if any(valid):
                await self.app(scope, receive, send)
                return
            error = APIError(403, "forbidden", "the API key is not valid")
        await send_error(send, error)


async def send_error(send: Send, error: APIError) -> None:
    """Answer an ASGI request with the JSON error shape (for middleware that runs before the routes)."""
    # the response every other error is: the same bytes by construction (an API review saw this one pretty-printed)
    response = error_response(error.status, error.code, error.message, error.headers)
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def require_admin(request: Request) -> None:
    """Dependency of write endpoints: writes on, and the admin key presented."""
    settings = request.app.state.settings
    if not settings.writes_enabled:
        raise APIError(403, "writes_disabled", "writes are disabled on this server; start it with "
                                               "PERSONAS_ADMIN_KEY set to allow them (docs/security.md)")
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise _unauthorized("this endpoint needs the admin key: send 'Authorization: Bearer <admin key>'")
    if not key_matches(token, settings.admin_key):
        raise APIError(403, "forbidden", "this endpoint needs the admin key")


def script_hashes(html: str) -> list[str]:
    """CSP source expressions (`'sha256-...'`) of the inline `<script>` elements of an HTML page."""
    found = []
    for body in _INLINE_SCRIPT.findall(html):
        if not body:
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        found.append(f"'sha256-{digest}'")
    return found


class ExplorerPolicy:
    """The CSP of the explorer's HTML pages: scripts from this origin plus the inline scripts the
    Next.js export wrote, allowed one by one by their SHA-256 (no 'unsafe-inline' for scripts).

    The hashes come from every `*.html` under `frontend_dir`; at most every `recheck_s` seconds the
    pages' modification times are compared and, when any changed, read again (a rebuild needs no
    restart, whichever page the build writes last).
    """

    def __init__(self, frontend_dir: Path | None, recheck_s: float = 1.0) -> None:
        self.frontend_dir = Path(frontend_dir) if frontend_dir is not None else None
        self.recheck_s = recheck_s
        self._checked = float("-inf")
        self._pages: tuple[tuple[str, int], ...] | None = None
        self._header = self.build([])

    @staticmethod
    def build(hashes: list[str]) -> str:
        scripts = " ".join(["'self'", *hashes])
        return (f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
                "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

    def _stamps(self, root: Path) -> tuple[tuple[str, int], ...]:
        found = []
        for page in root.rglob("*.html"):
            try:
                found.append((str(page), page.stat().st_mtime_ns))
            except OSError:  # removed while a rebuild runs
                continue
        return tuple(sorted(found))

    def header(self) -> str:
        now = time.monotonic()
        if self.frontend_dir is None or now - self._checked < self.recheck_s:
            return self._header
        self._checked = now
        pages = self._stamps(self.frontend_dir)
        if pages != self._pages:
            hashes: set[str] = set()
            for page, _ in pages:
                try:
                    hashes.update(script_hashes(Path(page).read_text(encoding="utf-8", errors="replace")))
                except OSError:
                    continue
            self._header, self._pages = self.build(sorted(hashes)), pages
        return self._header


def docs_policy(html: str) -> str:
    """The CSP of the Swagger UI page: its bundle and styles from this server, its one inline script by hash."""
    scripts = " ".join(["'self'", *script_hashes(html)])
    return (f"default-src 'none'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    """Add the security headers to every HTTP response that does not set them itself.

    API responses (`api_prefix`) also get `Cache-Control: no-store`: they may carry data behind a key.
    """

    def __init__(self, app: ASGIApp, api_prefix: str, explorer: ExplorerPolicy,
                 page_policies: dict[str, str] | None = None) -> None:
        self.app, self.api_prefix, self.explorer = app, api_prefix.rstrip("/"), explorer
        self.page_policies = page_policies or {}

    def _policy(self, path: str, status: int, is_api: bool, headers: MutableHeaders) -> str:
        """Pages get the explorer's policy, everything else the API's. A 304 Not Modified outside
        the API counts as a page: it has no content type, and browsers merge its headers into the
        cached page, so the API's `default-src 'none'` on it would block a revisited page's scripts."""
        if path in self.page_policies:
            return self.page_policies[path]
        if headers.get("content-type", "").startswith("text/html") or (status == 304 and not is_api):
            return self.explorer.header()
        return API_CSP

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        is_api = path == self.api_prefix or path.startswith(self.api_prefix + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _STATIC_HEADERS:
                    headers.setdefault(name, value)
                headers.setdefault("content-security-policy", self._policy(path, message["status"], is_api, headers))
                if is_api:
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_docs_page(app: FastAPI, path: str, openapi_url: str, assets_url: str) -> dict[str, str]:
    """Serve Swagger UI at `path` (outside the schema), its bundle, styles and icon from `assets_url`
    (this server; see `backend.app`); returns `{path: its CSP}` for `SecurityHeaders`."""
    html = get_swagger_ui_html(
        openapi_url=openapi_url, title=f"{app.title} - docs",
        swagger_js_url=f"{assets_url}/swagger-ui-bundle.js", swagger_css_url=f"{assets_url}/swagger-ui.css",
        swagger_favicon_url=f"{assets_url}/favicon.png",
        swagger_ui_parameters={"validatorUrl": None}).body.decode()  # no badge from validator.swagger.io

    @app.get(path, include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(html)

    return {path: docs_policy(html)}


def cors_methods(writes_enabled: bool) -> list[str]:
    """Methods a cross-origin page may send: DELETE only while writes are on."""
    return ["GET", "POST", "DELETE"] if writes_enabled else ["GET", "POST"]


def document_bearer_auth(app: FastAPI, open_paths: set[str]) -> None:
    """Declare the bearer scheme in the OpenAPI schema, on every operation but `open_paths`."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {}).setdefault("securitySchemes", {})["apiKey"] = {
            "type": "http", "scheme": "bearer", "description": "PERSONAS_API_KEY (or the admin key)"}
        error = {"description": "Error", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}
        for path, operations in schema.get("paths", {}).items():
            if path not in open_paths:
                for operation in operations.values():
                    operation["security"] = [{"apiKey": []}]
                    # what a key-protected operation answers without a key or with one too weak (an API review:
                    # generated clients knew only 200 and 422)
                    for status in ("401", "403"):
                        operation.setdefault("responses", {}).setdefault(status, error)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
