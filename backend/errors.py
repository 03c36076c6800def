"""One JSON error shape for every failure: `{"error": {"code": "...", "message": "..."}}`.

`APIError` is raised by routes; store exceptions and validation errors are translated here so no
traceback ever reaches a client (unexpected errors become a 500 with a generic message and are logged).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ml.store.base import PersonaNotFound, RunNotFound, StoreError

log = logging.getLogger("backend")

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
               422: "invalid_request", 429: "too_many_requests", 503: "unavailable"}


class APIError(Exception):
    """An error with an HTTP status, a stable machine-readable code and a one-line message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


# pydantic names the branch of a union field in the error's location ("timestamp.constrained-str", "user.int")
_BRANCHES = re.compile(r"^(?:str|int|float|bool|list|dict|none|constrained-\w+|function-\w+|[\w-]+\[.*\])$")
# a branch refused for its type: not the branch the value was meant for, whose bound says what is wrong
_TYPE_ERRORS = {"string_type", "int_type", "int_parsing", "float_type", "float_parsing", "bool_type", "bool_parsing",
                "int_from_float", "none_required"}


def _field_name(loc: tuple | list, keep_last: bool = False) -> str:
    """The field a problem is at; a union's branch names left out, but not the last part where that is the key
    itself (``keep_last``: an extra key the client sent that looks like one, {"str": 1})."""
    loc = [str(p) for p in loc if p not in ("body",)]
    parts = [p for k, p in enumerate(loc) if not _BRANCHES.match(p) or (keep_last and k == len(loc) - 1)]
    return ".".join(parts) or "body"


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    if first.get("type") == "json_invalid":  # loc ("body", 23): the character where the JSON broke
        at = first.get("loc", ())[-1]
        why = (first.get("ctx") or {}).get("error")
        return f"body: not valid JSON at character {at}" + (f" ({why})" if why else "")
    # a union's branches fail together: one problem, said by the branch of the value's own type ("timestamp: Input
    # should be greater than or equal to 0", not "timestamp.constrained-str: Input should be a valid string";
    # an API review)
    field = _field_name(first.get("loc", ()), keep_last=first.get("type") == "extra_forbidden")
    same = [e for e in errors if _field_name(e.get("loc", ())) == field]
    said = next((e for e in same if e.get("type") not in _TYPE_ERRORS), first)
    # a schema's own check (a ValueError) reads as its words, without pydantic's "Value error, " in front
    msg = f"{field}: {str(said.get('msg', 'invalid value')).removeprefix('Value error, ')}"
    rest = len({_field_name(e.get("loc", ())) for e in errors}) - 1
    if rest > 0:
        msg += f" (and {rest} more problem{'s' if rest > 1 else ''})"
    return msg


def _bad_id(exc: RequestValidationError) -> bool:
    """A run id or series name in the path (or a run id in a body: ``POST /strategy``) that its pattern refuses: ``invalid_id``, as ``resolve_run`` says of
    ids it refuses itself (an API review got "invalid_request" for "-x" and "invalid_id" for "a..b")."""
    loc = tuple((exc.errors()[:1] or [{}])[0].get("loc", ()))
    return loc in (("path", "run_id"), ("path", "name"), ("body", "run_id"))  # strategy's body names a run too


def _key_message(exc: KeyError, fallback: str) -> str:
    return str(exc.args[0]) if exc.args and isinstance(exc.args[0], str) else fallback


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: Any, scope: Scope) -> list[str]:
    """Every method some endpoint answers at this request's path: each method is tried against the app's routes
    with Starlette's own matching (FastAPI 0.165 nests an included router's routes, so reading ``path_regex`` off
    ``app.routes`` found none and the 405's ``Allow`` was empty); mounts (the explorer's files at ``/``, the docs'
    assets) are left out, as they take any path."""
    from starlette.routing import Match, Mount

    routes = [r for r in app.router.routes if not isinstance(r, Mount)]
    return [m for m in _METHODS if any(r.matches({**scope, "method": m})[0] == Match.FULL for r in routes)]


class UnhandledErrors:
    """Turn an exception no handler took into the JSON 500, logged once, and end the request there.

    Without it Starlette's outermost middleware answers 500 but re-raises, so the server logs a
    second traceback and closes the connection: the client's next keep-alive request fails.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:  # too late for an error response: let the server close the connection
                raise
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            response = error_response(500, "internal_error", "internal server error; see the server log")
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every exception into the JSON error shape."""

    @app.exception_handler(APIError)
    async def _api_error(_: Request, exc: APIError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "json_invalid" for e in exc.errors()[:1]):  # unreadable JSON: 400, as documented
            return error_response(400, "bad_request", _validation_message(exc))
        first = (exc.errors()[:1] or [{}])[0]
        sent = request.headers.get("content-type", "")
        if (tuple(first.get("loc", ())) == ("body",) and first.get("type") != "missing"  # a body, not as JSON
                and "json" not in sent.lower()):
            return error_response(400, "bad_request", "body: send JSON with Content-Type: application/json (got "
                                  f"{sent.split(';')[0].strip() or 'no content type'})")
        return error_response(422, "invalid_id" if _bad_id(exc) else "invalid_request", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 400 and message == "There was an error parsing the body":  # Starlette's, bad UTF-8
            message = "body: not readable as JSON (send UTF-8 JSON with Content-Type: application/json)"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette lists the methods of the first matching route only; one path may have several.
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return error_response(exc.status_code, code, message, headers=headers or None)

    @app.exception_handler(RunNotFound)
    async def _run_not_found(_: Request, exc: RunNotFound) -> JSONResponse:
        from backend.app import API_PREFIX

        message = _key_message(exc, "run not found")
        if message and " " not in message:  # the stores raise it with the bare id
            message = f"run {message!r} not found; GET {API_PREFIX}/runs lists the stored runs"
        return error_response(404, "run_not_found", message)

    @app.exception_handler(PersonaNotFound)
    async def _persona_not_found(request: Request, exc: PersonaNotFound) -> JSONResponse:
        from backend.app import API_PREFIX

        message = _key_message(exc, "")
        if not message and exc.args and isinstance(exc.args[0], int):  # the stores raise it with the bare id
            run = request.path_params.get("run_id")
            message = f"persona {exc.args[0]} not found" + (
                f" in run {run!r}; GET {API_PREFIX}/runs/{run}/personas lists its personas" if run else "")
        return error_response(404, "persona_not_found", message or "persona not found")

    @app.exception_handler(StoreError)
    async def _store_error(_: Request, exc: StoreError) -> JSONResponse:
        log.error("store error: %s", exc)  # its message may name server paths: the log only
        return error_response(503, "store_unavailable", "the results store failed; the server log has the details")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "internal server error; see the server log")
