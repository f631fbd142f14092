"""Just enough HTTP/1.1 framing for :mod:`tests.support.faultproxy` to relay messages byte for byte.

Heads are kept as the raw bytes that arrived (the proxy forwards them unchanged) and parsed only to
find the method, path, status and body framing. Bodies are yielded in bounded segments, so nothing
is ever held whole in memory.
"""

from __future__ import annotations

import http
import socket
from collections.abc import Iterator
from dataclasses import dataclass

SEGMENT = 64 * 1024
_HEAD_LIMIT = 64 * 1024


class Eof(Exception):
    """The peer closed the connection in the middle of a message."""


class ProtocolError(Exception):
    """The peer sent something that is not HTTP/1.x."""


class SocketReader:
    """A small read buffer over a blocking socket (``makefile`` objects die after one timeout)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = bytearray()

    def buffered(self) -> int:
        """Bytes already received and not yet consumed."""
        return len(self._buf)

    def _fill(self) -> bool:
        data = self._sock.recv(SEGMENT)
        if not data:
            return False
        self._buf += data
        return True

    def read_head(self) -> bytes | None:
        """The next message head, through its blank line; None on a clean close between messages."""
        start = 0
        while True:
            end = self._buf.find(b"\r\n\r\n", start)
            if end >= 0:
                head = bytes(self._buf[: end + 4])
                del self._buf[: end + 4]
                return head
            if len(self._buf) > _HEAD_LIMIT:
                raise ProtocolError("message head too large")
            start = max(0, len(self._buf) - 3)
            if not self._fill():
                if self._buf:
                    raise Eof("connection closed inside a message head")
                return None

    def readline(self) -> bytes:
        """One line, CRLF included."""
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                line = bytes(self._buf[: end + 1])
                del self._buf[: end + 1]
                return line
            if len(self._buf) > _HEAD_LIMIT:
                raise ProtocolError("line too long")
            if not self._fill():
                raise Eof("connection closed inside a line")

    def read_some(self, limit: int) -> bytes:
        """Between 1 and ``limit`` bytes; raises :class:`Eof` if the peer has closed."""
        if not self._buf and not self._fill():
            raise Eof("connection closed inside a body")
        chunk = bytes(self._buf[:limit])
        del self._buf[:limit]
        return chunk


@dataclass(frozen=True, slots=True)
class Head:
    """A parsed request or response head.

    Attributes:
        method: Request method ("" for a response).
        target: Request target, query included ("" for a response).
        version: ``HTTP/1.1`` or ``HTTP/1.0``.
        status: Response status (0 for a request).
        headers: (name, value) pairs in arrival order.
    """

    method: str
    target: str
    version: str
    status: int
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str:
        """The last value of header ``name`` (case-insensitive), or ""."""
        wanted = name.lower()
        value = ""
        for key, val in self.headers:
            if key.lower() == wanted:
                value = val
        return value


def parse_head(raw: bytes) -> Head:
    """Parse a head read by :meth:`SocketReader.read_head`."""
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2:
        raise ProtocolError(f"bad start line {lines[0][:80]!r}")
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError("bad header line")
        headers.append((name.strip(), value.strip()))
    if parts[0].startswith("HTTP/"):
        try:
            status = int(parts[1])
        except ValueError as exc:
            raise ProtocolError(f"bad status {parts[1]!r}") from exc
        return Head("", "", parts[0], status, tuple(headers))
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise ProtocolError(f"bad request line {lines[0][:80]!r}")
    return Head(parts[0], parts[1], parts[2], 0, tuple(headers))


def is_chunked(head: Head) -> bool:
    """Whether the message body uses chunked transfer coding."""
    return "chunked" in head.header("transfer-encoding").lower()


def content_length(head: Head) -> int | None:
    """The declared Content-Length, or None."""
    raw = head.header("content-length")
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise ProtocolError(f"bad Content-Length {raw!r}") from exc
    if value < 0:
        raise ProtocolError("negative Content-Length")
    return value


def response_has_body(request_method: str, status: int) -> bool:
    """RFC 9112 section 6.3: HEAD answers, 1xx, 204 and 304 never carry a body."""
    return not (request_method == "HEAD" or 100 <= status < 200 or status in (204, 304))


def is_close_delimited(head: Head) -> bool:
    """A response whose body runs until the connection closes."""
    return not is_chunked(head) and content_length(head) is None


def wants_keep_alive(head: Head) -> bool:
    """Whether this side of the exchange keeps the connection open afterwards."""
    connection = head.header("connection").lower()
    if head.version == "HTTP/1.0":
        return "keep-alive" in connection
    return "close" not in connection


def body_segments(reader: SocketReader, head: Head, *, is_response: bool) -> Iterator[bytes]:
    """Yield the raw bytes of the message body in segments of at most :data:`SEGMENT` bytes.

    Chunked bodies are yielded with their framing (size lines, CRLFs, trailers) so they can be
    relayed unchanged; a request without Content-Length or chunking has no body; a response
    without either runs until the upstream closes.
    """
    if is_chunked(head):
        yield from _chunked(reader)
        return
    length = content_length(head)
    if length is not None:
        while length:
            segment = reader.read_some(min(length, SEGMENT))
            length -= len(segment)
            yield segment
        return
    if is_response:
        while True:
            try:
                segment = reader.read_some(SEGMENT)
            except Eof:
                return
            yield segment


def _chunked(reader: SocketReader) -> Iterator[bytes]:
    while True:
        line = reader.readline()
        yield line
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise ProtocolError("bad chunk size") from exc
        if size == 0:
            while True:
                trailer = reader.readline()
                yield trailer
                if trailer in (b"\r\n", b"\n"):
                    return
        remaining = size + 2  # the data and its CRLF
        while remaining:
            segment = reader.read_some(min(remaining, SEGMENT))
            remaining -= len(segment)
            yield segment


def canned_response(status: int, body: bytes, content_type: str, *, keep_alive: bool) -> bytes:
    """A complete response with a Content-Length body."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Fault"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "x-amz-request-id: faultproxy\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode("latin-1") + body
