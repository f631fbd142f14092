"""One JSON error shape for every failure: `{"error": {"code": ..., "message": ...}}`.

Clients branch on `code` (a stable list in docs/api.md), never on `message`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.db.errors import ConstraintError, DatabaseError

logger = logging.getLogger(__name__)

# Status codes Starlette raises itself (unknown route, wrong method...) and the code we give them.
_HTTP_CODES = {
    400: "invalid_json",  # FastAPI raises a bare 400 only when it cannot parse the body
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """An error that leaves the service as a JSON body with a status.

    Attributes:
        status: HTTP status.
        code: Stable machine-readable code.
        message: Human-readable explanation, safe to show (never a secret).
        headers: Extra response headers (e.g. `Retry-After`, `WWW-Authenticate`).
    """

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def unauthorized(message: str) -> ApiError:
    """A 401 that tells HTTP clients a bearer token is expected."""
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def not_found(what: str = "upload") -> ApiError:
    """The same 404 whether the thing is missing or belongs to someone else."""
    return ApiError(404, "not_found", f"No such {what}.")


def error_body(code: str, message: str) -> dict[str, Any]:
    """The JSON body of every error response."""
    return {"error": {"code": code, "message": message}}


def _json_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """Turn pydantic's error list into one readable sentence per problem, without echoing input."""
    lines = []
    for err in errors[:10]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        where = ".".join(loc) if loc else "body"
        msg = str(err.get("msg", "is invalid"))
        # pydantic prefixes custom ValueError messages; the prefix adds nothing for a reader.
        msg = msg.removeprefix("Value error, ")
        lines.append(f"{where}: {msg}")
    if len(errors) > 10:
        lines.append(f"... and {len(errors) - 10} more problems")
    return "; ".join(lines)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _json_error(exc.status, exc.code, exc.message, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    # A body that is not JSON at all is a 400; a JSON body of the wrong shape is a 422.
    if any(e.get("type") == "json_invalid" for e in errors):
        return _json_error(400, "invalid_json", "The request body is not valid JSON.")
    return _json_error(422, "invalid_request", describe_validation_errors(errors))


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    if exc.status_code == 404:
        message = "Not found."
    elif exc.status_code == 400:
        message = "The request body could not be parsed; send UTF-8 JSON."
    return _json_error(exc.status_code, code, message, dict(exc.headers or {}))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Only a bug gets here: log it with the traceback (path only, never the query string).
    logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    # The server drops the connection after an unhandled error: say so, so clients do not reuse it.
    return _json_error(
        500,
        "internal_error",
        "The server failed unexpectedly; see its log.",
        {"Connection": "close"},
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ConstraintError):  # a rule the code should have checked first: a bug
        return await _unexpected_error(request, exc)
    logger.warning("Database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return _json_error(
        503,
        "database_unavailable",
        "The database is not answering; retry shortly.",
        {"Retry-After": "5"},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception type to the one JSON error shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DatabaseError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with `413 payload_too_large` in the one error shape.

    A declared Content-Length over the limit is refused before the app sees anything. A chunked
    body is counted as it streams: past the limit the app sees a disconnect, whatever it answers is
    dropped, and the 413 goes out instead. (Starlette's own limiter answers in plain text, hence
    this one.)
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        """Wrap `app`."""
        self._app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self._max:
                # Never handed to the app; a bounded remainder is discarded so the client, still
                # sending, gets the 413 rather than a reset.
                await _drain(receive, self._max * 8)
                await self._too_large()(scope, receive, send)
                return
        seen = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self._max:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return msg

        async def guarded(msg: Message) -> None:
            nonlocal started
            if exceeded:
                return
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self._app(scope, counted, guarded)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _drain(receive, self._max * 8)
            await self._too_large()(scope, receive, send)

    def _too_large(self) -> JSONResponse:
        # Built only when needed: a JSON response per request was measurable CPU under a burst.
        return _json_error(
            413,
            "payload_too_large",
            f"The request body is larger than {self._max} bytes.",
            {"Connection": "close"},
        )


async def _drain(receive: Receive, limit: int) -> None:
    """Read and discard the rest of a refused body, up to `limit` bytes.

    A client still sending when the server answers and closes gets a connection reset instead of
    the 413 (seen under load with chunked bodies). Reading a bounded remainder first lets the answer
    arrive; a body longer than `limit` is cut off by the close as before.
    """
    drained = 0
    while drained <= limit:
        msg = await receive()
        if msg["type"] != "http.request":
            return
        drained += len(msg.get("body", b""))
        if not msg.get("more_body", False):
            return
