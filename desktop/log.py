"""Logging for the app, CLI and engine: a private rotating file, redaction, a recent-lines buffer.

No Qt here, so the CLI and the engine log the same way: the GUI's log view subscribes to
:class:`RecentLogBuffer`, and Qt's own messages are routed into logging from ``desktop/ui``.

Secrets never reach a log (logs get attached to support tickets): a :class:`RedactingFilter` on
every handler scrubs bearer tokens and ``Authorization`` values, SigV4 query parameters
(``X-Amz-Signature``, ``X-Amz-Credential``, ``X-Amz-Security-Token``), values of
password/token/secret keys in JSON, form, ``repr`` and keyword form, JWTs and AWS access key ids
wherever they appear, and the query string of every URL. Because it sits on the handlers, not on our
loggers, records from third-party libraries (urllib3, botocore) are covered too.
"""

from __future__ import annotations

import collections
import io
import logging
import logging.handlers
import os
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from desktop.config import AppPaths
from desktop.errors import StateStoreError

__all__ = [
    "LOG_FILE_NAME",
    "REDACTED",
    "RecentLogBuffer",
    "RedactingFilter",
    "redact",
    "setup_logging",
]

LOG_FILE_NAME = "proctor-uploader.log"
REDACTED = "[REDACTED]"

_LOG_FORMAT = "%(asctime)s %(levelname)-7s [%(threadName)s] %(name)s: %(message)s"
_MAX_BYTES = 5 * 1024 * 1024
_BACKUPS = 5
#: Chatty libraries that log request lines (and, at DEBUG, headers) stay at WARNING: their
#: lines would carry presigned URLs and drown ours.
_QUIET_LOGGERS = (
    "urllib3",
    "botocore",
    "boto3",
    "s3transfer",
    "httpx",
    "httpcore",
    "keyring",
    "asyncio",
)
# Marks the handlers setup_logging installed, so a second call replaces them.
_MARK = "_proctor_uploader_handler"

# -- redaction ------------------------------------------------------------------------------------

# The query string of any URL: presigned URLs carry their signature there (SigV4 query auth).
_URL_QUERY = re.compile(r"""(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#"'<>]*)\?[^\s#"'<>]*""")
# Atomic groups (?>...) stop the separator from backtracking, so already-redacted text is left alone
# (redaction must be idempotent) and a value never starts with a quote or a space.
_SEP = r"""(?>["']?\s*[:=]\s*["']?)"""
_NOT_DONE = r"(?!\[REDACTED\])"
# Header-style credentials: everything after the header name to the end of the quoted value or line.
_AUTH_HEADER = re.compile(
    r"(?i)(\b(?:proxy-)?authorization\b|\bset-cookie\b|\bcookie\b|\bx-api-key\b)"
    rf"""({_SEP}){_NOT_DONE}[^"'\r\n]+"""
)
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*")
_AMZ_PARAM = re.compile(
    r"(?i)(\bX-Amz-(?:Signature|Credential|Security-Token)\b)"
    rf"""({_SEP}){_NOT_DONE}[^&\s"',;}}]+"""
)
# A secret-looking key and its value: JSON ("k": "v"), repr ('k': 'v'), keyword (k='v'), form
# (k=v&) or prose (k: v). A quoted value runs to its closing quote, skipping escaped quotes.
_SECRET_KEY = (
    r"[A-Za-z0-9_.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key)[A-Za-z0-9_.-]*"
)
_SECRET_PAIR = re.compile(
    rf"""(?i)(?P<key>(?P<q>\\?["']?)\b{_SECRET_KEY}(?P=q))(?P<sep>(?>\s*[:=]\s*))"""
    r"""(?:(?P<vq>\\?["'])(?P<quoted>(?:(?!(?P=vq))(?:\\.|.))*)(?P=vq)"""
    rf"""|{_NOT_DONE}(?P<bare>[^\s&,;'"}}\])]+))"""
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")


def _secret_value(match: re.Match[str]) -> str:
    quote = match.group("vq")
    value = f"{quote}{REDACTED}{quote}" if quote is not None else REDACTED
    return f"{match.group('key')}{match.group('sep')}{value}"


def redact(text: str) -> str:
    """``text`` with every secret this app knows about replaced by ``[REDACTED]``.

    Idempotent: redacting already-redacted text changes nothing, so several handlers may share a
        record.
    """
    text = _URL_QUERY.sub(rf"\1?{REDACTED}", text)
    text = _AUTH_HEADER.sub(rf"\1\2{REDACTED}", text)
    text = _BEARER.sub(f"Bearer {REDACTED}", text)
    text = _AMZ_PARAM.sub(rf"\1\2{REDACTED}", text)
    text = _SECRET_PAIR.sub(_secret_value, text)
    text = _JWT.sub(REDACTED, text)
    return _AWS_KEY_ID.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Scrubs a record's message, exception text and stack before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place (merging its arguments into the message) and keep it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            # Arguments that do not fit the format: keep both, redacted, not lose the record.
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# -- handlers -------------------------------------------------------------------------------------


class RecentLogBuffer(logging.Handler):
    """The last ``capacity`` formatted lines, for the app's log view.

    ``emit`` runs on whatever thread logged; subscribers are called on that thread and must only
    hand the line over (e.g. emit a Qt signal), never block or log.
    """

    def __init__(self, capacity: int = 1000, level: int = logging.NOTSET) -> None:
        """Keep at most ``capacity`` lines."""
        super().__init__(level)
        self._lines: collections.deque[str] = collections.deque(maxlen=capacity)
        self._buffer_lock = threading.Lock()
        self._subscribers: list[Callable[[str], None]] = []
        self.setFormatter(logging.Formatter(_LOG_FORMAT))
        self.addFilter(RedactingFilter())

    def emit(self, record: logging.LogRecord) -> None:
        """Store the formatted record and pass it to the subscribers."""
        try:
            line = self.format(record)
            with self._buffer_lock:
                self._lines.append(line)
                subscribers = list(self._subscribers)
            for callback in subscribers:
                callback(line)
        except Exception:  # noqa: BLE001 - a handler must never raise into the code that logged
            self.handleError(record)

    def lines(self) -> list[str]:
        """A copy of the buffered lines, oldest first."""
        with self._buffer_lock:
            return list(self._lines)

    def subscribe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback(line)`` for every new line; returns a function that unsubscribes."""
        with self._buffer_lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._buffer_lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are created readable by the user only (0600)."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        # The handler owns the stream (and fd) from here on, so no context manager.
        stream = open(fd, "a", encoding=self.encoding, errors=self.errors)  # noqa: SIM115
        os.chmod(self.baseFilename, 0o600)  # an older file may have been created with the umask
        return stream


def setup_logging(
    paths: AppPaths,
    *,
    verbose: bool = False,
    stderr: bool = False,
    buffer: RecentLogBuffer | None = None,
) -> Path:
    """Send all logging to a rotating, private file in the log folder; call once at start-up.

    Calling it again replaces the handlers it installed before (nothing is logged twice).

    Args:
        paths: The app's folders; the log goes to ``paths.log_dir``.
        verbose: Log DEBUG records (our code only; chatty libraries stay at WARNING).
        stderr: Also log to standard error (development, ``--verbose`` in the CLI).
        buffer: Also keep recent lines here, for the GUI's log view.

    Returns:
        The log file's path.

    Raises:
        StateStoreError: The log folder or file cannot be created.
    """
    paths.create()
    log_file = paths.log_dir / LOG_FILE_NAME
    try:
        file_handler = _PrivateRotatingFileHandler(
            log_file, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        raise StateStoreError(
            f"The log file {log_file} cannot be created ({exc.strerror or exc}). Check that the "
            "disk is not full.",
            title="Cannot write the log",
        ) from exc
    handlers: list[logging.Handler] = [file_handler]
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    if buffer is not None:
        handlers.append(buffer)

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        if old is not buffer:
            old.close()
    formatter = logging.Formatter(_LOG_FORMAT)
    for handler in handlers:
        handler.setFormatter(formatter)
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return log_file
