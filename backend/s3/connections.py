"""Keep-alive HTTP/1.1 connections to one storage endpoint, on the event loop.

The backend's routes that call storage are coroutines: a storage call awaits its answer on the
event loop instead of holding one of anyio's worker threads, so a burst of uploads does not queue
for the thread pool or contend for the GIL there. Requests are written by hand and answers read
with httptools (the C parser uvicorn already uses): `http.client` parsed each answer's headers
through the `email` package, the larger part of its 0.18 ms of CPU per call.

What the pool keeps from the thread-based one before it: at most `size` connections (a caller
beyond them waits for one), separate connect and read timeouts, TLS verified against a CA bundle,
and a kept-alive connection that the server closed meanwhile never used, or, when it closes just
as a request goes out, the request sent once more on a fresh connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

from backend.turns import Turns

logger = logging.getLogger(__name__)

_READ_SIZE = 64 * 1024

# When the current request (each runs in its own task, with its own copy of this) first asked for
# storage. Waiters for a connection go oldest request first, not in the order of their calls: when
# a burst fills the pool, a create's second call (CreateMultipartUpload after its HEAD) does not
# queue again behind the first calls of every create that arrived after it.
_since: ContextVar[float | None] = ContextVar("storage_since", default=None)


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole HTTP answer.

    Attributes:
        status: HTTP status.
        headers: Its headers, names in lower case.
        data: Its body, read completely (storage's answers here are small XML documents).
    """

    status: int
    headers: dict[str, str]
    data: bytes


class StaleConnectionError(ConnectionError):
    """A kept-alive connection ended before any byte of the answer (the server had closed it)."""


class _Reading:
    """httptools callbacks: collect one answer."""

    __slots__ = ("body", "done", "headers", "headers_done", "keep_alive", "parser", "received")

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.received = False  # any byte of the answer
        self.keep_alive = False
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.headers_done = False
        self.done = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.headers_done = True
        # The parser forgets this once the message is complete: ask while it knows.
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done = True


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def alive(self) -> bool:
        # The server's FIN was read while the connection was idle: sending on it would fail.
        return not (self.reader.at_eof() or self.writer.is_closing())

    def close(self) -> None:
        # A connection of an event loop that is gone has no transport left to close.
        with contextlib.suppress(RuntimeError):
            self.writer.close()


class _LoopPool:
    """The connections of one event loop (asyncio streams belong to the loop that opened them)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.loop = loop
        self.slots = Turns(size)
        self.idle: list[_Connection] = []

    def take(self) -> _Connection | None:
        while self.idle:
            conn = self.idle.pop()
            if conn.alive():
                return conn
            conn.close()
        return None

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()


class Connections:
    """At most `size` keep-alive connections to `scheme://host:port`, used from one event loop.

    Each coroutine that sends a request holds one connection until its answer is read. An instance
    serves one event loop at a time (uvicorn's); moved to another loop, it drops the idle
    connections of the last one.
    """

    def __init__(
        self,
        scheme: str,
        netloc: str,
        *,
        size: int,
        connect_timeout: float,
        read_timeout: float,
        ca_bundle: str | None,
        verify: bool = True,
    ) -> None:
        """Connect lazily; `ca_bundle` (else the system's) verifies an https endpoint."""
        parts = urlsplit(f"//{netloc}")
        self._scheme = scheme
        self._netloc = netloc
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if scheme == "https" else 80)
        self._size = size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool: _LoopPool | None = None
        self._tls: ssl.SSLContext | None = None
        if scheme == "https":
            self._tls = ssl.create_default_context(cafile=ca_bundle if verify else None)
            if not verify:
                self._tls.check_hostname = False
                self._tls.verify_mode = ssl.CERT_NONE

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> Answer:
        """Send one request and read its whole answer.

        Raises:
            OSError: No connection, a timeout, or the connection broke (the caller may retry).
            httptools.HttpParserError: The server's answer was not HTTP.
        """
        message = _message(method, target, headers, body)
        pool = self._loop_pool()
        since = _since.get()
        if since is None:
            since = time.monotonic()
            _since.set(since)
        async with pool.slots.held(since):
            conn = pool.take()
            if conn is not None:
                try:
                    return await self._exchange(pool, conn, method, target, message, reused=True)
                except StaleConnectionError:
                    pass  # closed by the server as the request went out: once more, fresh
            conn = await self._connect()
            return await self._exchange(pool, conn, method, target, message, reused=False)

    async def aclose(self) -> None:
        """Close the idle connections (of the running loop)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _loop_pool(self) -> _LoopPool:
        loop = asyncio.get_running_loop()
        pool = self._pool
        if pool is None or pool.loop is not loop:
            if pool is not None:
                pool.close()
            pool = self._pool = _LoopPool(loop, self._size)
        return pool

    async def _connect(self) -> _Connection:
        # The TLS handshake counts within the connect timeout, as it did on a blocking socket.
        async with asyncio.timeout(self._connect_timeout):
            reader, writer = await asyncio.open_connection(
                self._host, self._port, ssl=self._tls, limit=_READ_SIZE
            )
        return _Connection(reader, writer)

    async def _exchange(
        self,
        pool: _LoopPool,
        conn: _Connection,
        method: str,
        target: str,
        message: bytes,
        *,
        reused: bool,
    ) -> Answer:
        reading = _Reading()
        try:
            conn.writer.write(message)
            await conn.writer.drain()
            keep = await self._read(conn, reading, head=method == "HEAD")
        except ConnectionError as exc:
            conn.close()
            if reused and not reading.received:
                raise StaleConnectionError("kept-alive connection closed") from exc
            raise
        except BaseException:
            conn.close()
            raise
        status = reading.parser.get_status_code()
        del reading.parser  # the parser and its callbacks refer to each other: no cycle for the GC
        logger.debug("%s://%s %s %s -> %d", self._scheme, self._netloc, method, target, status)
        if keep and conn.alive():
            pool.idle.append(conn)
        else:
            conn.close()
        return Answer(status, reading.headers, b"".join(reading.body))

    async def _read(self, conn: _Connection, reading: _Reading, *, head: bool) -> bool:
        """Read the answer on `conn` into `reading`; whether the connection may be kept."""
        # Each read waits at most the read timeout, as each recv() on a blocking socket did.
        while not (reading.done or (head and reading.headers_done)):
            async with asyncio.timeout(self._read_timeout):
                data = await conn.reader.read(_READ_SIZE)
            if not data:
                if reading.headers_done and _delimited_by_close(reading.headers):
                    break  # no length and not chunked: the body ends where the connection does
                raise ConnectionResetError("connection closed before the whole answer")
            reading.received = True
            reading.parser.feed_data(data)
        return reading.keep_alive and reading.headers.get("connection", "").lower() != "close"


def _delimited_by_close(headers: dict[str, str]) -> bool:
    """An answer whose body runs to the end of the connection."""
    return "content-length" not in headers and "transfer-encoding" not in headers


def _message(method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
    """The request's bytes: request line, headers (`host` among them), body."""
    lines = [f"{method} {target} HTTP/1.1"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name!r} has a line break")
        lines.append(f"{name}: {value}")
    if "content-length" not in headers and (body or method in ("POST", "PUT")):
        lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
