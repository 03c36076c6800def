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

from backend.errors import error_response

log = logging.getLogger("backend")


class ExplorerFiles(StaticFiles):
    """StaticFiles that answers unknown non-API paths with the export's `404.html` (StaticFiles' own html mode),
    or the app shell (`index.html`) where the export has none; unknown `/api` paths get the JSON error."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path == "api" or path.startswith("api/"):  # an unknown API path: the API's JSON error, not 404.html
            return error_response(404, "not_found", f"no API endpoint at /{path}; GET /api/v1/openapi.json "
                                                    "lists them (docs/api.md)")
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            if scope["method"] not in ("GET", "HEAD"):
                raise
            return await super().get_response("index.html", scope)


def mount_frontend(app: FastAPI, frontend_dir: Path | None) -> bool:
    """Mount the frontend at `/` when `frontend_dir/index.html` exists; True when mounted."""
    if frontend_dir is None or not (Path(frontend_dir) / "index.html").is_file():
        log.info("no built frontend at %s; serving the API only", frontend_dir)
        return False
    app.mount("/", ExplorerFiles(directory=str(frontend_dir), html=True), name="frontend")
    return True
