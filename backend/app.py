"""`create_app(settings)`: the FastAPI application (API under `/api/v1`, explorer at `/`)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.assign_queue import AssignQueues
from backend.deps import ModelRegistry, ReadCache
from backend.errors import APIError, UnhandledErrors, install_error_handlers
from backend.routes import api_router
from backend.security import (
    ApiKeyAuth,
    ExplorerPolicy,
    SecurityHeaders,
    add_docs_page,
    cors_methods,
    document_bearer_auth,
    send_error,
)
from backend.settings import Settings, get_settings
from backend.static import mount_frontend
from backend.strategy_schema import document_strategy

API_PREFIX = "/api/v1"


class BodySizeLimit:
    """Reject request bodies over `max_bytes` with 413 (by Content-Length, or while streaming)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await self._reject(send)
                return
        elif scope["method"] in ("POST", "PUT", "PATCH"):
            # No Content-Length (chunked): read up to the limit first, then replay to the app.
            messages, received = [], 0
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    await self._reject(send)
                    return
                if not message.get("more_body", False):
                    break
            replay = iter(messages)

            async def replay_receive() -> Message:
                return next(replay, None) or await receive()

            await self.app(scope, replay_receive, send)
            return
        await self.app(scope, receive, send)

    async def _reject(self, send: Send) -> None:
        await send_error(send, APIError(413, "payload_too_large",
                                        f"request body over {self.max_bytes} bytes; send smaller batches"))


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Nothing is opened or loaded here: the store and models load on first use."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Personas API",
        version="1.0.0",
        description="Explore behavioural personas found in customer conversations; assign new "
                    "conversations to them; generate engagement strategies. Errors are "
                    '`{"error": {"code", "message"}}`.',
        openapi_url=f"{API_PREFIX}/openapi.json" if settings.docs else None,
        docs_url=None,  # served by add_docs_page, with its own CSP
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.lock = threading.Lock()
    app.state.store = None
    app.state.read_cache = ReadCache(settings.cache_ttl_s)
    app.state.models = ModelRegistry(settings, capacity=settings.model_cache_size)
    app.state.assign_queues = AssignQueues(settings)
    install_error_handlers(app)
    document_strategy(app)
    app.include_router(api_router, prefix=API_PREFIX)
    _add_middleware(app, settings)
    app.state.frontend_mounted = mount_frontend(app, settings.frontend_dir)

    return app


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost first: security headers, CORS (answers preflights), API key, body size, and a
    catch-all that turns a crash into the JSON 500 (docs/security.md)."""
    policies = _add_docs(app) if app.openapi_url else {}
    app.add_middleware(UnhandledErrors)  # added first = innermost
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.api_key is not None:
        app.add_middleware(ApiKeyAuth, prefix=API_PREFIX, api_key=settings.api_key, admin_key=settings.admin_key)
        document_bearer_auth(app, open_paths={f"{API_PREFIX}/health"})
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=cors_methods(settings.writes_enabled),
                           allow_headers=["Authorization", "Content-Type"],
                           # readable by cross-origin code: the wait of a 429/503 and a download's file name
                           expose_headers=["Retry-After", "Content-Disposition"])
    app.add_middleware(SecurityHeaders, api_prefix=API_PREFIX, explorer=ExplorerPolicy(settings.frontend_dir),
                       page_policies=policies)


def _add_docs(app: FastAPI) -> dict[str, str]:
    """Swagger UI at /api/v1/docs with its assets (Swagger UI 5, which reads OpenAPI 3.1) from the
    installed `fastapi-offline` package, served under /api/v1/docs/assets, so the page works offline;
    returns the page's CSP."""
    from importlib.resources import files

    assets = f"{API_PREFIX}/docs/assets"
    directory = Path(str(files("fastapi_offline") / "static"))
    app.mount(assets, StaticFiles(directory=directory), name="docs-assets")
    return add_docs_page(app, f"{API_PREFIX}/docs", str(app.openapi_url), assets)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.assign_queues.close()  # refuse queued assigns, stop the encoder process and worker threads
    store = getattr(app.state, "store", None)
    if store is not None:
        store.close()
