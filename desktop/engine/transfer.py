"""PUT one part to a presigned URL, streaming it from disk, never holding it in memory.

The part was hashed before (by the run's sequential reader, or by the sender just before), and its
URL is signed with that checksum: the one header the backend returned (``x-amz-checksum-crc64nvme``,
or ``Content-MD5`` on stores without flexible checksums) goes with the bytes, so storage itself
refuses (400 BadDigest) any byte that differs from what was hashed, and nothing is hashed here.
The body goes out in chunks, so progress, the shared bandwidth limit and cancellation act between
chunks. Over plain HTTP each chunk is one ``sendfile``: the kernel copies the page-cache pages into
the socket, without the ``pread`` into our buffer that ``sendall`` needs (0.17 against 0.21
CPU-s/GiB on loopback, where the reader has just hashed the part, so it is in the page cache).
Over TLS, where ``sendfile`` falls back to an 8 KiB copy loop (1.4 CPU-s/GiB), and where the OS
has no ``sendfile`` (Windows), the body is read with ``pread`` into one reusable 512 KiB buffer
per worker thread and sent with ``sendall``.

Memory per part in flight is one buffer, whatever the part size. Connections are kept alive per
worker thread. Every failure leaves here as an :class:`UploaderError` that says whether a retry can
help.
"""

from __future__ import annotations

import http.client
import io
import logging
import os
import select
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from desktop import error_frames
from desktop.api.proxies import Route, new_connection, route_of
from desktop.engine import sourcefile
from desktop.engine.ratelimit import TokenBucket
from desktop.errors import (
    BackendError,
    ClockSkewError,
    DataChangedError,
    NetworkError,
    UploaderError,
    UploadExpiredError,
    UploadNotFoundError,
    parse_retry_after,
)

logger = logging.getLogger(__name__)

BUFFER_SIZE = 512 * 1024
SEND_CHUNK = 4 * 1024 * 1024


class StorageError(UploaderError):
    """Storage refused a part for a reason other than expiry, clock or a missing upload.

    Attributes:
        status: HTTP status (0 when there was no response).
        code: S3 error code, e.g. ``SlowDown``.
        retry_after: Seconds from a Retry-After header, when given.
    """

    default_title = "Storage error"
    default_message = "The storage server refused part of the upload."

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int = 0,
        code: str = "",
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Create the error from the storage response."""
        super().__init__(message, retryable=retryable)
        self.status = status
        self.code = code
        self.retry_after = retry_after


class IntegrityError(UploaderError):
    """The bytes storage received do not match the checksum the part was signed with (BadDigest,
    or an ETag/checksum answer that differs): damaged on the way, or the file changed."""

    default_title = "Integrity check failed"
    default_message = "A part arrived damaged and is sent again."
    default_retryable = True


class CancelledError(Exception):
    """The part was interrupted because its job was paused, cancelled or suspended."""


@dataclass(frozen=True, slots=True)
class PartResult:
    """A part storage accepted.

    Attributes:
        etag: ETag without quotes.
        size: Bytes sent.
    """

    etag: str
    size: int


def redact_url(url: str) -> str:
    """The URL without its query string: presigned queries carry credentials and signatures."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def read_at(file: io.FileIO, view: memoryview, offset: int) -> int:
    """Read into `view` from `offset` without moving a shared position (``preadv`` where the OS
    has it; elsewhere, e.g. Windows, each part has its own file object, so seeking is safe)."""
    if _HAS_PREADV:
        return os.preadv(file.fileno(), [view], offset)
    file.seek(offset)
    return file.readinto(view) or 0


_HAS_PREADV = hasattr(os, "preadv")
_HAS_SENDFILE = hasattr(os, "sendfile") and hasattr(select, "poll")


def _error_code(body: bytes) -> tuple[str, str]:
    """The S3 error ``Code`` and ``Message`` from an XML body (empty strings when absent)."""
    import xml.etree.ElementTree as ET  # only errors need it: not loaded at start-up

    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return "", ""

    def text(tag: str) -> str:
        for el in root.iter():
            if el.tag.rsplit("}", 1)[-1] == tag:
                return (el.text or "").strip()
        return ""

    return text("Code"), text("Message")


def _retry_after(resp: http.client.HTTPResponse) -> float | None:
    return parse_retry_after(resp.getheader("Retry-After"))


def classify_response(status: int, body: bytes, retry_after: float | None = None) -> UploaderError:
    """Turn a non-2xx storage answer into the error the queue acts on."""
    code, message = _error_code(body)
    lowered = message.lower()
    if code == "RequestTimeTooSkewed":
        return ClockSkewError()
    if status == 403 and (
        code in ("ExpiredToken", "RequestExpired", "TokenRefreshRequired")
        or "expired" in lowered
        or code == "SignatureDoesNotMatch"
    ):
        # An expired or no-longer-valid signature: a fresh URL fixes it.
        return UploadExpiredError()
    if code == "NoSuchUpload" or (status == 404 and not code):
        return UploadNotFoundError(status=404, code="NoSuchUpload")
    if code in ("BadDigest", "InvalidDigest"):
        return IntegrityError(error_frames.PART_DAMAGED)
    retryable = (
        status >= 500
        or status < 400  # not an error status at all: a confused answer, try again
        or status in (408, 429)
        or code in ("SlowDown", "RequestTimeout")
    )
    what = f"{status} {code}".strip() if code else str(status)
    return StorageError(
        error_frames.PART_REFUSED.format(answer=what),
        status=status,
        code=code,
        retryable=retryable,
        retry_after=retry_after,
    )


class PartSender:
    """Sends parts over kept-alive connections, one set of connections per worker thread.

    Attributes:
        bucket: The shared bandwidth limit.
        timeout: Socket timeout in seconds for connect, each send and each receive (a stalled
            transfer fails after this long and is retried).
    """

    def __init__(
        self,
        *,
        bucket: TokenBucket,
        timeout: float = 60.0,
        ssl_context: ssl.SSLContext | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        """Create a sender sharing `bucket` across all its threads.

        Args:
            bucket: The shared bandwidth limit.
            timeout: Socket timeout, seconds.
            ssl_context: TLS settings for https storage (verification on). Default: the
                system's CA store (or `ca_bundle`), loaded on the first https connection, not
                here: reading the CA store costs ~20 ms of CPU that plain-http storage never needs.
            ca_bundle: A CA bundle file for the default context.
        """
        self.bucket = bucket
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._ca_bundle = ca_bundle
        self._ssl_lock = threading.Lock()
        self._local = threading.local()

    @property
    def _ssl(self) -> ssl.SSLContext:
        with self._ssl_lock:
            if self._ssl_context is None:
                self._ssl_context = ssl.create_default_context(cafile=self._ca_bundle)
            return self._ssl_context

    def close_thread_connections(self) -> None:
        """Close the calling thread's connections (a worker calls this before it exits)."""
        conns: dict[Route, http.client.HTTPConnection] = getattr(self._local, "conns", {})
        for conn in conns.values():
            conn.close()
        conns.clear()

    def _buffer(self) -> bytearray:
        buf: bytearray | None = getattr(self._local, "buf", None)
        if buf is None:
            buf = bytearray(BUFFER_SIZE)
            self._local.buf = buf
        return buf

    def _connection(self, route: Route) -> tuple[http.client.HTTPConnection, bool]:
        conns: dict[Route, http.client.HTTPConnection] | None = getattr(self._local, "conns", None)
        if conns is None:
            conns = {}
            self._local.conns = conns
        conn = conns.get(route)
        if conn is not None and conn.sock is not None:
            return conn, True
        # The TLS context is made on the first https connection only: reading the CA bundle costs.
        context = self._ssl if route.scheme == "https" else None
        conn = new_connection(route, timeout=self.timeout, context=context)
        conns[route] = conn
        return conn, False

    def _drop(self, route: Route) -> None:
        conns: dict[Route, http.client.HTTPConnection] = getattr(self._local, "conns", {})
        conn = conns.pop(route, None)
        if conn is not None:
            conn.close()

    def put_part(
        self,
        *,
        url: str,
        headers: Mapping[str, str],
        path: str,
        offset: int,
        length: int,
        cancelled: threading.Event,
        progress: Callable[[int], None],
        expect_etag: str | None = None,
    ) -> PartResult:
        """Upload bytes ``[offset, offset+length)`` of `path` to the presigned `url`.

        Args:
            url: Presigned PUT URL (a secret: never logged).
            headers: Headers the backend said the PUT must carry (the signed checksum).
            path: Source file.
            offset: First byte of the part.
            length: Bytes in the part.
            cancelled: Checked between chunks; when set the part stops with :class:`CancelledError`.
            progress: Called with the bytes just sent (negative to rewind after a failure).
            expect_etag: The ETag storage must answer (the part's MD5, on MD5 uploads).

        Raises:
            CancelledError: `cancelled` was set.
            UploaderError: The part was not stored; ``retryable`` says whether to try again.
        """
        file = sourcefile.open_for_reading(path)
        try:
            split = urllib.parse.urlsplit(url)
            try:
                route = route_of(split)
            except http.client.InvalidURL:
                # The URL is a secret (its signature): the message names the problem only.
                raise BackendError(
                    "The server gave an upload address that is not an http(s) URL.",
                    code="invalid_response",
                    retryable=False,
                ) from None
            target = route.target(url, split)
            if route.proxy:
                headers = {**headers, **route.proxy_headers()}
            for fresh_retry in (False, True):
                conn, reused = self._connection(route)
                try:
                    return self._put_once(
                        conn,
                        target,
                        headers,
                        file,
                        offset,
                        length,
                        cancelled,
                        progress,
                        expect_etag,
                    )
                except _StaleConnectionError as exc:
                    self._drop(route)
                    # A kept-alive connection the server had already closed: one immediate retry on
                    # a fresh one is safe (a part PUT is idempotent) and is not a failure.
                    if reused and not fresh_retry:
                        continue
                    raise exc.error from None
                except BaseException:
                    self._drop(route)
                    raise
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            file.close()

    def _put_once(
        self,
        conn: http.client.HTTPConnection,
        target: str,
        headers: Mapping[str, str],
        file: io.FileIO,
        offset: int,
        length: int,
        cancelled: threading.Event,
        progress: Callable[[int], None],
        expect_etag: str | None,
    ) -> PartResult:
        sent = 0

        def counted(n: int) -> None:
            # What was reported so far, so that a failure halfway through rewinds exactly that.
            nonlocal sent
            sent += n
            progress(n)

        started = time.monotonic()
        try:
            conn.putrequest("PUT", target, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.putheader("Content-Length", str(length))
            conn.endheaders()
            sock = conn.sock
            assert sock is not None
            self._send_body(sock, file, offset, length, cancelled, counted)
            resp = conn.getresponse()
            body = resp.read()
        except CancelledError:
            progress(-sent)
            raise
        except (OSError, http.client.HTTPException) as exc:
            late = self._late_response(conn)
            if late is not None and late[0].status // 100 == 2 and sent == length:
                # The answer only came after the socket timeout (a slow server): it counts.
                resp, body = late
            else:
                progress(-sent)
                if late is not None:
                    raise classify_response(
                        late[0].status, late[1], _retry_after(late[0])
                    ) from None
                err = NetworkError(
                    error_frames.STORAGE_CONNECTION_FAILED.format(name=type(exc).__name__)
                )
                raise _StaleConnectionError(err) from None
        if resp.status // 100 != 2:
            progress(-sent)
            conn.close()
            raise classify_response(resp.status, body, _retry_after(resp))
        etag = (resp.getheader("ETag") or "").strip().strip('"')
        if not etag or not _answer_matches(resp, headers, etag, expect_etag):
            progress(-sent)
            raise IntegrityError(error_frames.PART_CHECKSUM_DIFFERS)
        logger.debug(
            "part stored: %d bytes in %.3f s at offset %d",
            length,
            time.monotonic() - started,
            offset,
        )
        return PartResult(etag=etag, size=length)

    def _send_body(
        self,
        sock: socket.socket,
        file: io.FileIO,
        offset: int,
        length: int,
        cancelled: threading.Event,
        progress: Callable[[int], None],
    ) -> None:
        """Send the body in chunks (``sendfile`` over plain HTTP, the thread's buffer otherwise),
        calling `progress` after each."""
        limited = self.bucket.rate > 0
        chunk = min(self.bucket.burst, SEND_CHUNK) if limited else SEND_CHUNK
        plain = _HAS_SENDFILE and not isinstance(sock, ssl.SSLSocket)
        send = self._sendfile if plain else self._send_buffered
        sent = 0
        while sent < length:
            if cancelled.is_set():
                raise CancelledError
            n = min(chunk, length - sent)
            if not self.bucket.acquire(n, cancelled):
                raise CancelledError
            send(sock, file, offset + sent, n)
            sent += n
            progress(n)

    def _send_buffered(self, sock: socket.socket, file: io.FileIO, offset: int, n: int) -> None:
        """Send `n` bytes from `offset` through the thread's buffer (TLS; systems without
        sendfile)."""
        buf = self._buffer()
        view = memoryview(buf)
        done = 0
        while done < n:
            got = read_at(file, view[: min(len(buf), n - done)], offset + done)
            if got <= 0:
                raise DataChangedError("The file became shorter while it was being uploaded.")
            sock.sendall(view[:got])
            done += got

    def _sendfile(self, sock: socket.socket, file: io.FileIO, offset: int, n: int) -> None:
        """Send `n` bytes from `offset` with ``sendfile``, waiting for room in the socket as
        ``sendall`` does (a socket with a timeout is non-blocking underneath)."""
        out, src = sock.fileno(), file.fileno()
        poller: select.poll | None = None
        done = 0
        while done < n:
            try:
                got = os.sendfile(out, src, offset + done, n - done)
            except BlockingIOError:
                if poller is None:
                    poller = select.poll()
                    poller.register(out, select.POLLOUT)
                if not poller.poll(self.timeout * 1000):
                    raise TimeoutError("timed out sending to storage") from None
                continue
            if got == 0:
                raise DataChangedError("The file became shorter while it was being uploaded.")
            done += got

    @staticmethod
    def _late_response(
        conn: http.client.HTTPConnection,
    ) -> tuple[http.client.HTTPResponse, bytes] | None:
        """A response that arrived anyway: sent before the server stopped reading the body (e.g.
        403 expired), or after our socket timeout fired while waiting for it."""
        sock = conn.sock
        if sock is None:
            return None
        try:
            sock.settimeout(2.0)
            resp = conn.getresponse()
            return resp, resp.read(64 * 1024)
        except (OSError, http.client.HTTPException):
            return None


def _answer_matches(
    resp: http.client.HTTPResponse,
    headers: Mapping[str, str],
    etag: str,
    expect_etag: str | None,
) -> bool:
    """Whether storage's answer names the checksum the part was signed with (a second check:
    storage already refused other bytes). Servers that do not echo the checksum pass."""
    if expect_etag is not None and etag.lower() != expect_etag.lower():
        return False
    for name, value in headers.items():
        if name.lower().startswith("x-amz-checksum-"):
            echoed = resp.getheader(name)
            if echoed is not None and echoed.strip() != value:
                return False
    return True


class _StaleConnectionError(Exception):
    def __init__(self, error: UploaderError) -> None:
        super().__init__(error.message)
        self.error = error
