"""PartSender against small real HTTP and HTTPS servers on 127.0.0.1: plain and TLS bodies, the
one signed checksum header, ETag and checksum answers, early answers, stale kept-alive connections
and cancellation."""

from __future__ import annotations

import base64
import hashlib
import http.server
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from desktop.engine.ratelimit import TokenBucket
from desktop.engine.transfer import CancelledError, IntegrityError, PartSender
from desktop.errors import DataChangedError, NetworkError, UploadExpiredError
from tests.support.checksums import crc64nvme
from tests.support.connectproxy import connect_proxy
from tests.support.tls import self_signed_cert


@dataclass
class Behaviour:
    """What the test server does with the next PUTs."""

    etag_override: str | None = None
    checksum_echo: str | None = None
    early_403: bool = False
    close_after_response: bool = False
    answer_delay: float = 0.0
    slow_reads: bool = False
    drop_after: int | None = None
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


def _handler(behaviour: Behaviour) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_PUT(self) -> None:
            if behaviour.early_403:
                body = (
                    b"<Error><Code>AccessDenied</Code>"
                    b"<Message>Request has expired</Message></Error>"
                )
                self.send_response(403)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True
                return
            length = int(self.headers["Content-Length"])
            if behaviour.drop_after is not None:
                # The connection breaks halfway through the body (a network drop).
                self.rfile.read(behaviour.drop_after)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if behaviour.slow_reads:
                # A receiver slower than the sender: the sender's socket fills up and must wait.
                received = bytearray()
                while len(received) < length:
                    time.sleep(0.001)
                    received += self.rfile.read(min(256 * 1024, length - len(received)))
                data = bytes(received)
            else:
                data = self.rfile.read(length)
            behaviour.bodies.append(data)
            behaviour.headers.append({k.lower(): v for k, v in self.headers.items()})
            time.sleep(behaviour.answer_delay)
            etag = behaviour.etag_override or hashlib.md5(data).hexdigest()
            self.send_response(200)
            self.send_header("ETag", f'"{etag}"')
            if behaviour.checksum_echo is not None:
                self.send_header("x-amz-checksum-crc64nvme", behaviour.checksum_echo)
            self.send_header("Content-Length", "0")
            if behaviour.close_after_response:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()

    return Handler


@contextmanager
def serve(behaviour: Behaviour, context: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve PUTs on 127.0.0.1 (TLS when `context` is given); yields a presigned-looking URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    server.daemon_threads = True
    scheme = "http"
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}/bucket/key?X-Amz-Signature=s"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: (server context, client context trusting it)."""
    cert_path, key_path = self_signed_cert(tmp_path_factory.mktemp("tls"))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


@pytest.fixture(autouse=True)
def close_connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every sender's kept-alive connections after each test (no ResourceWarning)."""
    made: list[PartSender] = []
    original = PartSender.__init__

    def tracking(self: PartSender, **kwargs: object) -> None:
        original(self, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(PartSender, "__init__", tracking)
    yield
    for sender in made:
        sender.close_thread_connections()


@pytest.fixture
def part_file(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "rec.mp4"
    path.write_bytes(data)
    return path, data


def _put(
    sender: PartSender,
    url: str,
    path: Path,
    offset: int,
    length: int,
    *,
    headers: dict[str, str] | None = None,
    expect_etag: str | None = None,
) -> list[int]:
    moved: list[int] = []
    result = sender.put_part(
        url=url,
        headers=headers or {"x-amz-meta-test": "1"},
        path=str(path),
        offset=offset,
        length=length,
        cancelled=threading.Event(),
        progress=moved.append,
        expect_etag=expect_etag,
    )
    assert result.size == length
    return moved


def test_plain_http_sends_the_exact_range_with_only_the_signed_header(
    part_file: tuple[Path, bytes],
) -> None:
    path, data = part_file
    behaviour = Behaviour()
    sender = PartSender(bucket=TokenBucket(0))
    expected = data[1000 : 1000 + 2 * 1024 * 1024]
    signed = {"x-amz-checksum-crc64nvme": crc64nvme(expected)}
    with serve(behaviour) as url:
        moved = _put(sender, url, path, 1000, 2 * 1024 * 1024, headers=signed)
        _put(sender, url, path, 0, 0)  # an empty part (the only part of an empty file)
    assert behaviour.bodies == [expected, b""]
    # Every x-amz-* header on a presigned request must be signed: only the one given goes out.
    sent = {k: v for k, v in behaviour.headers[0].items() if k.startswith("x-amz-")}
    assert sent == signed
    assert "content-md5" not in behaviour.headers[0]
    assert sum(moved) == len(expected)


def test_a_slow_receiver_gets_every_byte_of_a_sendfile_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain HTTP bodies leave by sendfile; when the socket is full it waits, then goes on."""
    import select

    waits: list[int] = []
    real_poll = select.poll

    class CountingPoll:
        def __init__(self) -> None:
            self._poll = real_poll()

        def register(self, fd: int, mask: int) -> None:
            self._poll.register(fd, mask)

        def poll(self, timeout: float) -> list[tuple[int, int]]:
            waits.append(1)
            ready: list[tuple[int, int]] = self._poll.poll(timeout)
            return ready

    monkeypatch.setattr(select, "poll", CountingPoll)
    # More than loopback's socket buffers hold (up to 4 MiB sent + 32 MiB received here).
    data = os.urandom(48 * 1024 * 1024)
    path = tmp_path / "big.mp4"
    path.write_bytes(data)
    behaviour = Behaviour(slow_reads=True)
    sender = PartSender(bucket=TokenBucket(0))
    with serve(behaviour) as url:
        moved = _put(sender, url, path, 0, len(data))
    assert behaviour.bodies == [data]
    assert sum(moved) == len(data)
    assert waits  # the socket did fill up: the waiting path was taken


def test_a_body_broken_halfway_rewinds_all_the_progress_it_reported(tmp_path: Path) -> None:
    data = os.urandom(24 * 1024 * 1024)  # several 4 MiB chunks, each reported as it leaves
    path = tmp_path / "big.mp4"
    path.write_bytes(data)
    sender = PartSender(bucket=TokenBucket(0), timeout=5)
    moved: list[int] = []
    with serve(Behaviour(drop_after=9 * 1024 * 1024)) as url, pytest.raises(NetworkError):
        sender.put_part(
            url=url, headers={}, path=str(path), offset=0, length=len(data),
            cancelled=threading.Event(), progress=moved.append,
        )  # fmt: skip
    assert max(moved) > 0  # chunks were reported before the break...
    assert sum(moved) == 0  # ...and all of them taken back


def test_tls_bodies_go_through_the_buffer(
    part_file: tuple[Path, bytes], tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    path, data = part_file
    behaviour = Behaviour()
    server_ctx, client_ctx = tls
    sender = PartSender(bucket=TokenBucket(0), ssl_context=client_ctx)
    with serve(behaviour, server_ctx) as url:
        _put(sender, url, path, 0, len(data))
        _put(sender, url, path, 5, 10)  # the kept-alive TLS connection is reused
    assert behaviour.bodies == [data, data[5:15]]


def test_tls_verification_is_on(
    part_file: tuple[Path, bytes], tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    path, _ = part_file
    server_ctx, _ = tls
    sender = PartSender(bucket=TokenBucket(0))  # system CAs: the self-signed cert is refused
    with serve(Behaviour(), server_ctx) as url, pytest.raises(NetworkError):
        _put(sender, url, path, 0, 10)


def test_wrong_etag_is_an_integrity_error_and_rewinds_progress(
    part_file: tuple[Path, bytes],
) -> None:
    path, data = part_file
    sender = PartSender(bucket=TokenBucket(0))
    moved: list[int] = []
    md5 = hashlib.md5(data[:4096]).hexdigest()
    with serve(Behaviour(etag_override="0" * 32)) as url, pytest.raises(IntegrityError):
        sender.put_part(
            url=url, headers={}, path=str(path), offset=0, length=4096,
            cancelled=threading.Event(), progress=moved.append, expect_etag=md5,
        )  # fmt: skip
    assert sum(moved) == 0
    with serve(Behaviour()) as url:  # the right ETag (an MD5 upload) is accepted
        _put(sender, url, path, 0, 4096, expect_etag=md5)


def test_a_different_checksum_answer_is_an_integrity_error(part_file: tuple[Path, bytes]) -> None:
    path, data = part_file
    sender = PartSender(bucket=TokenBucket(0))
    signed = {"x-amz-checksum-crc64nvme": crc64nvme(data[:4096])}
    with serve(Behaviour(checksum_echo=crc64nvme(b"other"))) as url, pytest.raises(IntegrityError):
        _put(sender, url, path, 0, 4096, headers=signed)
    with serve(Behaviour(checksum_echo=signed["x-amz-checksum-crc64nvme"])) as url:
        _put(sender, url, path, 0, 4096, headers=signed)


def test_an_early_403_is_read_even_when_the_body_is_refused(
    part_file: tuple[Path, bytes],
) -> None:
    path, data = part_file
    sender = PartSender(bucket=TokenBucket(0))
    with serve(Behaviour(early_403=True)) as url, pytest.raises(UploadExpiredError):
        _put(sender, url, path, 0, len(data))


def test_a_connection_the_server_closed_is_replaced_silently(
    part_file: tuple[Path, bytes],
) -> None:
    path, _ = part_file
    behaviour = Behaviour(close_after_response=True)
    sender = PartSender(bucket=TokenBucket(0))
    with serve(behaviour) as url:
        for _ in range(3):
            _put(sender, url, path, 0, 1024)
    assert len(behaviour.bodies) == 3


def test_cancellation_and_truncated_files(part_file: tuple[Path, bytes], tmp_path: Path) -> None:
    path, data = part_file
    sender = PartSender(bucket=TokenBucket(0))
    cancelled = threading.Event()
    cancelled.set()
    with serve(Behaviour()) as url:
        with pytest.raises(CancelledError):
            sender.put_part(
                url=url, headers={}, path=str(path), offset=0, length=len(data),
                cancelled=cancelled, progress=lambda n: None,
            )  # fmt: skip
        with pytest.raises(DataChangedError, match="shorter"):
            _put(sender, url, path, len(data) - 10, 20)
        with pytest.raises(DataChangedError, match="no longer exists"):
            _put(sender, url, tmp_path / "gone.mp4", 0, 1)


def test_unreachable_storage_is_a_retryable_network_error(part_file: tuple[Path, bytes]) -> None:
    path, _ = part_file
    sender = PartSender(bucket=TokenBucket(0), timeout=2)
    with pytest.raises(NetworkError) as info:
        _put(sender, "http://127.0.0.1:9/bucket/key?X-Amz-Signature=s", path, 0, 10)
    assert info.value.retryable


def test_systems_without_preadv_read_by_seeking(
    part_file: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows has neither preadv nor sendfile: the portable path must send the same bytes."""
    import desktop.engine.transfer as transfer

    monkeypatch.setattr(transfer, "_HAS_PREADV", False)
    monkeypatch.setattr(transfer, "_HAS_SENDFILE", False)
    path, data = part_file
    behaviour = Behaviour()
    sender = PartSender(bucket=TokenBucket(0))
    with serve(behaviour) as url:
        _put(sender, url, path, 123, 1024 * 1024 + 5)
    assert behaviour.bodies == [data[123 : 123 + 1024 * 1024 + 5]]


def test_http_proxy_from_the_environment_is_used(
    part_file: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storage PUTs honour HTTP_PROXY like the API client does (absolute-form request line)."""
    from tests.support.faultproxy import FaultProxy

    path, data = part_file
    behaviour = Behaviour()
    with serve(behaviour) as url:
        upstream = url.split("/")[2]
        with FaultProxy(upstream) as proxy:
            monkeypatch.setenv("http_proxy", proxy.url)
            monkeypatch.delenv("no_proxy", raising=False)
            monkeypatch.delenv("NO_PROXY", raising=False)
            _put(PartSender(bucket=TokenBucket(0)), url, path, 0, 4096)
            assert proxy.stats().bytes_forwarded_by_method.get("PUT") == 4096
    assert behaviour.bodies == [data[:4096]]


def test_https_parts_go_through_the_proxy_tunnel_with_its_credentials(
    part_file: tuple[Path, bytes],
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Storage PUTs take the route the API client takes (one rule): through HTTPS_PROXY's
    CONNECT tunnel, opened with the credentials in the proxy's URL, the server still verified."""
    path, data = part_file
    behaviour = Behaviour()
    server_ctx, client_ctx = tls
    with serve(behaviour, server_ctx) as url, connect_proxy() as (proxy_url, heads):
        monkeypatch.setenv("HTTPS_PROXY", proxy_url)
        for name in ("no_proxy", "NO_PROXY", "https_proxy"):
            monkeypatch.delenv(name, raising=False)
        _put(PartSender(bucket=TokenBucket(0), ssl_context=client_ctx), url, path, 0, 4096)
    netloc = url.split("/")[2]
    assert len(heads) == 1
    assert heads[0].startswith(f"CONNECT {netloc} ".encode())
    credentials = base64.b64encode(b"proctor:s@cret").decode()
    assert f"Proxy-Authorization: Basic {credentials}".encode() in heads[0]
    assert behaviour.bodies == [data[:4096]]
    # The credentials went to the proxy only, never through the tunnel to storage.
    assert "proxy-authorization" not in behaviour.headers[0]


def test_an_answer_slower_than_the_socket_timeout_still_counts(
    part_file: tuple[Path, bytes],
) -> None:
    """A server that stores the part but answers late (after our timeout fired) gave a real 200:
    the part is done, not a failure (a bug once turned it into "refused a part (200)")."""
    path, data = part_file
    behaviour = Behaviour(answer_delay=1.0)
    sender = PartSender(bucket=TokenBucket(0), timeout=0.5)
    with serve(behaviour) as url:
        moved = _put(sender, url, path, 0, 8192)
    assert behaviour.bodies == [data[:8192]]
    assert sum(moved) == 8192


def test_an_answer_that_never_comes_is_a_retryable_network_error(
    part_file: tuple[Path, bytes],
) -> None:
    path, _ = part_file
    behaviour = Behaviour(answer_delay=4.0)
    sender = PartSender(bucket=TokenBucket(0), timeout=0.5)
    moved: list[int] = []
    with serve(behaviour) as url, pytest.raises(NetworkError) as info:
        sender.put_part(
            url=url, headers={}, path=str(path), offset=0, length=8192,
            cancelled=threading.Event(), progress=moved.append,
        )  # fmt: skip
    assert info.value.retryable
    assert sum(moved) == 0
