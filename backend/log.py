"""Logging with redaction, and an access log that never prints query strings or Authorization."""

from __future__ import annotations

import logging
import re
import sys
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("backend.access")

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Presigned-URL query parameters (SigV4 and SigV2 forms).
    (
        re.compile(
            r"(?i)(X-Amz-(?:Signature|Credential|Security-Token)|Signature|AWSAccessKeyId)=[^&\s\"'<>]+"
        ),
        r"\1=REDACTED",
    ),
    # A quoted Authorization value (headers dumped as a dict) goes whole: SigV4 ones contain spaces.
    (
        re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*b?)([\"'])(?:(?!\2).)*\2"),
        r"\1\2REDACTED\2",
    ),
    (
        re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*)(bearer\s+)?[^\s\"',}]+"),
        r"\1\2REDACTED",
    ),
    (re.compile(r"(?i)\b(Credential|Signature)=[^,\s\"'&]+"), r"\1=REDACTED"),
    # botocore.auth at DEBUG prints "Signature:\n<hex>" for every request it signs, presigned too.
    (re.compile(r"(?i)\b(Signature:\s*)[0-9a-f]{64}"), r"\1REDACTED"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer REDACTED"),
    # JSON-ish or key=value secrets.
    (
        re.compile(
            r"(?i)([\"']?(?:password|passwd|secret|token|access_token|refresh_token|jwt_secret)"
            r"[\"']?\s*[:=]\s*)([\"'])(?:(?!\2).)*\2"
        ),
        r"\1\2REDACTED\2",
    ),
    (
        re.compile(r"(?i)\b(password|passwd|secret|token|access_token|refresh_token)=[^&\s]+"),
        r"\1=REDACTED",
    ),
    # Anything shaped like a JWT.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+"), "REDACTED.JWT"),
]


# A word at least one of the patterns above needs to match (case-insensitive: a superset). Most
# lines have none (the access log, upload events): one search clears them instead of nine
# substitutions, which cost ~25 us a line and were about a tenth of the backend's CPU per upload.
_ANY_SECRET = re.compile(
    r"(?i)signature|credential|security-token|awsaccesskeyid|authorization|bearer|passw|secret"
    r"|token|eyj"
)


def redact(text: str) -> str:
    """`text` with tokens, passwords and presigned-URL signatures replaced by REDACTED."""
    if _ANY_SECRET.search(text) is None:
        return text
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites every record's final message through `redact` (third-party records too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 (a broken format string must not kill logging)
            return True
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(level: str = "INFO") -> None:
    """Root logging to stderr with redaction on the handler; quiet chatty libraries."""
    handler = logging.StreamHandler(sys.stderr)
    # The process id tells the workers of `serve --workers N` apart.
    handler.setFormatter(
        logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # psycopg's pool logs three INFO lines for every connection it lends (requested, given,
    # returned): ~27 lines per upload on PostgreSQL, none of them news to an operator.
    for name in ("botocore", "boto3", "urllib3", "s3transfer", "werkzeug", "psycopg.pool"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # uvicorn's own access log prints the full request line; ours below prints the path only.
    logging.getLogger("uvicorn.access").disabled = True


class AccessLog:
    """Log method, path (no query string), status, duration and client: never headers.

    A plain ASGI middleware: Starlette's `BaseHTTPMiddleware` (`app.middleware("http")`) adds a task
    and a pair of memory streams to every request, ~15 % of the backend's CPU under a burst. When
    INFO is off for `backend.access`, requests pass straight through.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self._app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_status)
        finally:
            client = scope.get("client")
            logger.info(
                "%s %s %d %.1fms %s",
                scope["method"],
                scope["path"],
                status or 500,
                (time.perf_counter() - start) * 1000,
                client[0] if client else "-",
            )
