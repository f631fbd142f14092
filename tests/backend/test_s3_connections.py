"""The lean client's connections on the event loop, against a real loopback HTTP server.

The server plays what storage servers do now and then and SeaweedFS never does on cue: it closes
kept-alive connections, answers chunked, answers `Connection: close`, answers too slowly, and
answers 503 before 200.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import boto3
import pytest

from backend.s3 import client as lean_client
from backend.s3.connections import Connections
from backend.settings import Settings
from backend.storage import S3Storage, StorageUnavailableError
from tests.support.lean import no_backoff, run

# What the server does with one request: bytes to send back, then close when the flag says so;
# None closes the connection without answering.
Reply = tuple[bytes, bool] | None


def ok(body: bytes = b"", *, close: bool = False) -> tuple[bytes, bool]:
    """A 200 with a Content-Length body (and `Connection: close` with `close`)."""
    extra = b"Connection: close\r\n" if close else b""
    return (
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body),
        close,
    )


def status(code: int, body: bytes = b"") -> tuple[bytes, bool]:
    """An answer with `code` and a Content-Length body."""
    return b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s" % (code, len(body), body), False


@dataclass
class LoopbackServer:
    """Answers each request with the next reply `answer(n)` gives; counts connections.

    Attributes:
        port: Where it listens on 127.0.0.1.
        requests: Request lines in arrival order.
        connections: Connections accepted.
        most_open: The most connections open at once.
    """

    answer: Callable[[int], Reply]
    delay: float = 0.0
    port: int = 0
    requests: list[str] = field(default_factory=list)
    connections: int = 0
    most_open: int = 0
    _open: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def serve(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open += 1
                self.most_open = max(self.most_open, self._open)
            thread = threading.Thread(target=self._talk, args=(conn,))
            self._threads.append(thread)
            thread.start()

    def _talk(self, conn: socket.socket) -> None:
        with conn:
            buffered = b""
            try:
                while True:
                    while b"\r\n\r\n" not in buffered:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        buffered += chunk
                    head, buffered = buffered.split(b"\r\n\r\n", 1)
                    lines = head.decode("latin-1").split("\r\n")
                    length = next(
                        (
                            int(line.split(":", 1)[1])
                            for line in lines
                            if line.lower().startswith("content-length:")
                        ),
                        0,
                    )
                    while len(buffered) < length:
                        buffered += conn.recv(65536)
                    buffered = buffered[length:]
                    with self._lock:
                        self.requests.append(lines[0])
                        reply = self.answer(len(self.requests) - 1)
                    if reply is None:
                        return
                    if self.delay:
                        time.sleep(self.delay)
                    conn.sendall(reply[0])
                    if reply[1]:
                        return
            except OSError:
                return
            finally:
                with self._lock:
                    self._open -= 1

    def join(self) -> None:
        for thread in self._threads:
            thread.join()


@pytest.fixture
def serving() -> Iterator[Callable[..., LoopbackServer]]:
    """Start a `LoopbackServer(answer, delay)` on 127.0.0.1; stopped after the test."""
    started: list[tuple[LoopbackServer, socket.socket, threading.Thread]] = []

    def start(answer: Callable[[int], Reply], delay: float = 0.0) -> LoopbackServer:
        listener = socket.create_server(("127.0.0.1", 0))
        server = LoopbackServer(answer, delay, port=listener.getsockname()[1])
        thread = threading.Thread(target=server.serve, args=(listener,))
        thread.start()
        started.append((server, listener, thread))
        return server

    yield start
    for server, listener, thread in started:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() that close() alone would not
        listener.close()
        thread.join()
        server.join()


def _pool(server: LoopbackServer, *, size: int = 4, read_timeout: float = 5.0) -> Connections:
    return Connections(
        "http",
        f"127.0.0.1:{server.port}",
        size=size,
        connect_timeout=5.0,
        read_timeout=read_timeout,
        ca_bundle=None,
    )


def _get(pool: Connections, n: int = 1) -> list[tuple[int, bytes]]:
    """`n` GETs one after another on `pool`: `(status, body)` of each."""

    async def gets() -> list[tuple[int, bytes]]:
        try:
            answers = [await pool.request("GET", "/k", {"host": "h"}, b"") for _ in range(n)]
        finally:
            await pool.aclose()
        return [(a.status, a.data) for a in answers]

    return asyncio.run(gets())


def test_a_kept_alive_connection_carries_the_next_request(
    serving: Callable[..., LoopbackServer],
) -> None:
    server = serving(lambda n: ok(b"answer %d" % n))
    assert _get(_pool(server), 3) == [(200, b"answer 0"), (200, b"answer 1"), (200, b"answer 2")]
    assert server.connections == 1


def test_connection_close_is_honoured(serving: Callable[..., LoopbackServer]) -> None:
    server = serving(lambda n: ok(b"bye", close=True))
    assert _get(_pool(server), 2) == [(200, b"bye"), (200, b"bye")]
    assert server.connections == 2


def test_a_chunked_answer_is_read_whole(serving: Callable[..., LoopbackServer]) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\n<Up>a\r\n7\r\nbc</Up>\r\n0\r\n\r\n"
    )
    server = serving(lambda n: (chunked, False))
    assert _get(_pool(server), 2) == [(200, b"<Up>abc</Up>"), (200, b"<Up>abc</Up>")]
    assert server.connections == 1  # the chunked answer ended where its last chunk said


def test_a_connection_closed_after_its_answer_is_not_sent_on_again(
    serving: Callable[..., LoopbackServer],
) -> None:
    # The server closes every connection right after answering (without saying so): the pool
    # sees the connection ended, or finds it ended when it sends, and the request goes out
    # again on a fresh connection, without an error and without counting as a retry.
    server = serving(lambda n: (ok(b"x")[0], True))
    assert _get(_pool(server), 3) == [(200, b"x")] * 3
    assert server.connections == 3
    assert len(server.requests) == 3


def test_a_kept_alive_connection_dropped_at_the_request_is_retried_once_fresh(
    serving: Callable[..., LoopbackServer],
) -> None:
    # The second request reaches the server on the kept-alive connection, which it then closes
    # without a word: exactly what a server's keep-alive timeout does when it races a request.
    server = serving(lambda n: None if n == 1 else ok(b"answer %d" % n))
    assert _get(_pool(server), 2) == [(200, b"answer 0"), (200, b"answer 2")]
    assert server.connections == 2


def test_a_fresh_connection_dropped_before_the_answer_is_an_error(
    serving: Callable[..., LoopbackServer],
) -> None:
    server = serving(lambda n: None)
    with pytest.raises(ConnectionError):
        _get(_pool(server))
    assert server.connections == 1  # no second try inside the pool: the client's retries decide


def test_an_answer_slower_than_the_read_timeout_times_out(
    serving: Callable[..., LoopbackServer],
) -> None:
    server = serving(lambda n: ok(b"late"), delay=1.0)
    with pytest.raises(TimeoutError):
        _get(_pool(server, read_timeout=0.2))


def test_the_pool_opens_at_most_its_size_of_connections(
    serving: Callable[..., LoopbackServer],
) -> None:
    server = serving(lambda n: ok(b"x"), delay=0.05)
    pool = _pool(server, size=2)

    async def burst() -> list[int]:
        try:
            answers = await asyncio.gather(
                *(pool.request("GET", "/k", {"host": "h"}, b"") for _ in range(8))
            )
        finally:
            await pool.aclose()
        return [a.status for a in answers]

    assert asyncio.run(burst()) == [200] * 8
    assert server.most_open <= 2
    assert server.connections == 2


def test_waiters_are_served_oldest_request_first(serving: Callable[..., LoopbackServer]) -> None:
    # One connection: request A's first call holds it while B, then C, make their first calls.
    # A's second call is queued after both, but A began first, so it goes before C (in the
    # order of calls, C would go first and A would wait in the queue once per call).
    server = serving(lambda n: ok(), delay=0.05)
    pool = _pool(server, size=1)

    async def two_calls() -> None:
        await pool.request("GET", "/a1", {"host": "h"}, b"")
        await pool.request("GET", "/a2", {"host": "h"}, b"")

    async def one_call(path: str) -> None:
        await pool.request("GET", path, {"host": "h"}, b"")

    async def requests() -> None:
        try:
            first = asyncio.create_task(two_calls())  # each task is a request of its own
            await asyncio.sleep(0.01)  # A's first call holds the connection
            later = [asyncio.create_task(one_call(p)) for p in ("/b1", "/c1")]
            await asyncio.gather(first, *later)
        finally:
            await pool.aclose()

    asyncio.run(requests())
    assert [line.split()[1] for line in server.requests] == ["/a1", "/b1", "/a2", "/c1"]


def _storage(server: LoopbackServer, read_timeout: int = 5) -> S3Storage:
    return S3Storage(
        Settings(
            bucket="b",
            s3_endpoint_url=f"http://127.0.0.1:{server.port}",
            s3_read_timeout_seconds=read_timeout,
        ),
        session=_session(),
    )


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )


def test_a_503_then_200_is_retried_invisibly(
    serving: Callable[..., LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lean_client, "_backoff", no_backoff)
    server = serving(lambda n: status(503) if n == 0 else ok(b"<Up><UploadId>u-1</UploadId></Up>"))
    storage = _storage(server)
    assert run(storage, storage.create_multipart("k", "video/webm", {})) == "u-1"
    assert [line.split()[0] for line in server.requests] == ["POST", "POST"]


def test_a_storage_slower_than_the_read_timeout_is_unavailable_after_retries(
    serving: Callable[..., LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lean_client, "_backoff", no_backoff)
    server = serving(lambda n: ok(), delay=1.5)
    storage = _storage(server, read_timeout=1)
    with pytest.raises(StorageUnavailableError):
        run(storage, storage.head("k"))
    assert len(server.requests) == 3  # botocore's standard mode: three attempts
