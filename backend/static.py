"""Serve the built explorer (Next.js static export in `frontend/out/`) at `/`.

Files are served with `html=True` semantics (`/persona/` → `persona/index.html`); unknown non-API
paths get the export's `404.html` (status 404), or the app shell `index.html` where the export has none;
`/api/...` paths that no endpoint answers get the API's JSON `not_found` error.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from backend.errors import allowed_methods, error_response

log = logging.getLogger("backend")


class ExplorerFiles(StaticFiles):
    """StaticFiles that answers unknown non-API paths with the export's `404.html` (StaticFiles' own html mode),
    or the app shell (`index.html`) where the export has none; unknown `/api` paths get the JSON error."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path == "api" or path.startswith("api/"):  # an unknown API path: the API's JSON error, not 404.html
            return _api_miss(path, scope)
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            if scope["method"] not in ("GET", "HEAD"):
                raise
            return await super().get_response("index.html", scope)


def _api_miss(path: str, scope: Scope) -> Response:
    """An /api path no route took: 405 with ``Allow`` when an endpoint is there under other methods (the explorer's
    mount at ``/`` took them all before, so ``PUT /api/v1/runs/ID`` read "no API endpoint"); a trailing slash
    names the path without it; else 404."""
    full = str(scope.get("path") or f"/{path}")  # as sent: StaticFiles drops a trailing slash from `path`
    allowed = allowed_methods(scope["app"], scope)
    if allowed:
        return error_response(405, "method_not_allowed", f"{scope['method']} is not allowed on {full}; it "
                              f"answers {', '.join(allowed)}", headers={"Allow": ", ".join(allowed)})
    bare = full.rstrip("/")
    if full.endswith("/") and allowed_methods(scope["app"], {**scope, "path": bare}):
        return error_response(404, "not_found", f"no API endpoint at {full}: drop the trailing slash ({bare})")
    return error_response(404, "not_found", f"no API endpoint at {full}; GET /api/v1/openapi.json "
                                            "lists them (docs/api.md)")


def mount_frontend(app: FastAPI, frontend_dir: Path | None) -> bool:
    """Mount the frontend at `/` when `frontend_dir/index.html` exists; True when mounted."""
    if frontend_dir is None or not (Path(frontend_dir) / "index.html").is_file():
        log.info("no built frontend at %s; serving the API only", frontend_dir)
        return False
    app.mount("/", ExplorerFiles(directory=str(frontend_dir), html=True), name="frontend")
    return True
