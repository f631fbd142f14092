"""FaultProxy against a real upstream on 127.0.0.1: a threaded http.server recording what it got."""

from __future__ import annotations

import hashlib
import http.client
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.support.faultproxy import (
    FaultProxy,
    Rule,
    clock_skewed,
    delay,
    internal_error,
    no_such_upload,
    reset_after,
    respond,
    slow_down,
    stall,
    url_expired,
)

REPO = Path(__file__).resolve().parents[3]


@dataclass
class Seen:
    """What the upstream observed, shared with the test."""

    requests: list[dict[str, object]] = field(default_factory=list)
    partial_bodies: list[int] = field(default_factory=list)  # bytes read before the peer vanished
    first_mib: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _payload(n: int) -> bytes:
    return (b"0123456789abcdef" * (n // 16 + 1))[:n]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 20  # an idle keep-alive connection never outlives the test by much
    seen: Seen

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads ``seen`` instead."""

    def _read_body(self) -> bytes:
        body = bytearray()
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            while size := int(self.rfile.readline().split(b";")[0], 16):
                body += self.rfile.read(size)
                self.rfile.readline()
                if len(body) >= 1 << 20:
                    self.seen.first_mib.set()
            self.rfile.readline()
            return bytes(body)
        remaining = int(self.headers.get("Content-Length", "0"))
        while remaining:
            try:
                chunk = self.rfile.read1(min(remaining, 65536))
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                with self.seen.lock:
                    self.seen.partial_bodies.append(len(body))
                raise ConnectionError("client vanished")
            body += chunk
            remaining -= len(chunk)
            if len(body) >= 1 << 20:
                self.seen.first_mib.set()
        return bytes(body)

    def _record(self, body: bytes) -> dict[str, object]:
        entry: dict[str, object] = {
            "method": self.command,
            "path": self.path,
            "headers": list(self.headers.items()),
            "client_port": self.client_address[1],
            "length": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        with self.seen.lock:
            self.seen.requests.append(entry)
        return entry

    def _reply(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (extra or {"Content-Length": str(len(body))}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_PUT(self) -> None:
        entry = self._record(self._read_body())
        self._reply(200, json.dumps(entry).encode(), None)

    do_POST = do_PUT

    def do_HEAD(self) -> None:
        self._record(b"")
        self._reply(200, _payload(1000))

    def do_GET(self) -> None:
        self._record(b"")
        if self.path.startswith("/bytes/"):
            self._reply(200, _payload(int(self.path.rsplit("/", 1)[1])))
        elif self.path == "/chunked":
            self._reply(200, b"", {"Transfer-Encoding": "chunked"})
            for piece in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/until-close":
            self._reply(200, b"", {"Connection": "close"})
            self.wfile.write(_payload(5000))
            self.close_connection = True
        elif self.path == "/hold":
            self.seen.release.wait(10)
            self._reply(200, b"released")
        else:
            self._reply(200, json.dumps({"path": self.path}).encode())


@pytest.fixture
def upstream() -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    handler = type("Handler", (_Handler,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="test-upstream")
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", seen
    seen.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def proxy(upstream: tuple[str, Seen]) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=upstream[0]) as running:
        yield running


@pytest.fixture
def seen(upstream: tuple[str, Seen]) -> Seen:
    return upstream[1]


def test_forwards_head_bytes_unchanged_including_host(proxy: FaultProxy, seen: Seen) -> None:
    port = proxy.url.rsplit(":", 1)[1]
    with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
        sock.sendall(
            f"PUT /b/k?X-Amz-Signature=abc HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "x-MiXeD-Case: 1\r\nContent-Length: 5\r\n"
            "x-amz-date: 20240101T000000Z\r\n\r\nhello".encode()
        )
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 200
        response.read()
    (got,) = seen.requests
    assert got["path"] == "/b/k?X-Amz-Signature=abc"
    assert got["headers"] == [
        ("Host", f"127.0.0.1:{port}"),
        ("x-MiXeD-Case", "1"),
        ("Content-Length", "5"),
        ("x-amz-date", "20240101T000000Z"),
    ]
    assert got["sha256"] == hashlib.sha256(b"hello").hexdigest()
    (record,) = proxy.stats().log
    assert (record.method, record.path, record.status, record.bytes_forwarded) == (
        "PUT",
        "/b/k",
        200,
        5,
    )


def test_keep_alive_reuses_one_connection_each_side(proxy: FaultProxy, seen: Seen) -> None:
    with requests.Session() as session:
        for n in (10, 70000, 0):
            response = session.put(f"{proxy.url}/obj", data=_payload(n), timeout=10)
            assert response.json()["length"] == n
        assert session.get(f"{proxy.url}/bytes/300000", timeout=10).content == _payload(300000)
    assert proxy.stats().connections == 1
    assert len({r["client_port"] for r in seen.requests}) == 1


def test_relays_chunked_close_delimited_and_head_responses(proxy: FaultProxy) -> None:
    with requests.Session() as session:
        assert session.get(f"{proxy.url}/chunked", timeout=10).content == b"hello chunked world"
        head = session.head(f"{proxy.url}/x", timeout=10)
        assert (head.status_code, head.headers["Content-Length"], head.content) == (
            200,
            "1000",
            b"",
        )
        assert session.get(f"{proxy.url}/until-close", timeout=10).content == _payload(5000)
        assert session.get(f"{proxy.url}/after", timeout=10).json() == {"path": "/after"}


def test_streams_content_length_body_without_buffering_it(proxy: FaultProxy, seen: Seen) -> None:
    """The upstream has the first MiB while the client still holds back the rest."""
    total = 4 << 20

    def body() -> Iterator[bytes]:
        yield _payload(total)[: 1 << 20]
        assert seen.first_mib.wait(10), "upstream got nothing before the body was complete"
        yield _payload(total)[1 << 20 :]

    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    conn.request("PUT", "/big", body=body(), headers={"Content-Length": str(total)})
    assert (
        json.loads(conn.getresponse().read())["sha256"]
        == hashlib.sha256(_payload(total)).hexdigest()
    )
    conn.close()


def test_streams_chunked_request_body(proxy: FaultProxy, seen: Seen) -> None:
    def body() -> Iterator[bytes]:
        yield _payload(1 << 20)
        assert seen.first_mib.wait(10)
        yield b"tail"

    response = requests.put(f"{proxy.url}/chunky", data=body(), timeout=10)
    assert response.json()["sha256"] == hashlib.sha256(_payload(1 << 20) + b"tail").hexdigest()


def test_counts_bytes_per_method_and_logs_each_request(proxy: FaultProxy) -> None:
    with requests.Session() as session:
        session.put(f"{proxy.url}/a?partNumber=1&X-Amz-Signature=s", data=b"x" * 1000, timeout=10)
        session.post(f"{proxy.url}/b", data=b"y" * 24, timeout=10)
        session.get(f"{proxy.url}/c", timeout=10)
    stats = proxy.stats()
    assert stats.bytes_forwarded_by_method == {"PUT": 1000, "POST": 24}
    assert stats.bytes_forwarded == stats.bytes_received == 1024
    assert [(r.method, r.path, r.status, r.bytes_forwarded) for r in stats.log] == [
        ("PUT", "/a", 200, 1000),
        ("POST", "/b", 200, 24),
        ("GET", "/c", 200, 0),
    ]
    proxy.reset_stats()
    assert proxy.stats().bytes_forwarded == 0


@pytest.mark.parametrize("cut", [0, 1, 65536, 200_001])
def test_reset_after_forwards_exactly_n_bytes_then_resets(
    proxy: FaultProxy, seen: Seen, cut: int
) -> None:
    rule_id = proxy.add_rule(Rule(method="PUT", path=r"^/obj$", action=reset_after(cut)))
    with pytest.raises(requests.ConnectionError):
        requests.put(f"{proxy.url}/obj", data=_payload(1 << 20), timeout=10)
    (record,) = proxy.stats().log
    assert (record.bytes_forwarded, record.status, record.fault, record.rule_id) == (
        cut,
        None,
        "reset",
        rule_id,
    )
    proxy.close()  # flush: the upstream handler has surely seen the abort once the proxy is gone
    deadline = time.monotonic() + 10
    while not seen.partial_bodies and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen.partial_bodies == [cut]
    assert seen.requests == []


def test_reset_after_longer_than_body_loses_the_response(proxy: FaultProxy, seen: Seen) -> None:
    proxy.add_rule(Rule(method="PUT", action=reset_after(10_000)))
    with pytest.raises(requests.ConnectionError):
        requests.put(f"{proxy.url}/small", data=b"z" * 100, timeout=10)
    assert proxy.stats().log[0].bytes_forwarded == 100


def test_reset_range_draws_from_the_rule_seed(proxy: FaultProxy) -> None:
    proxy.add_rule(Rule(method="PUT", action=reset_after(1000, 60000), seed=7))
    for _ in range(4):
        with pytest.raises(requests.ConnectionError):
            requests.put(f"{proxy.url}/o", data=_payload(100_000), timeout=10)
    cuts = [r.bytes_forwarded for r in proxy.stats().log]
    other = Rule(method="PUT", action=reset_after(1000, 60000), seed=7)
    assert cuts == [other.consider("PUT", "/o", "").n_bytes for _ in range(4)]  # type: ignore[union-attr]
    assert all(1000 <= c <= 60000 for c in cuts)
    assert len(set(cuts)) > 1


def test_nth_match_only(proxy: FaultProxy) -> None:
    proxy.add_rule(Rule(method="GET", path=r"^/x", nth=2, action=internal_error()))
    with requests.Session() as session:
        codes = [session.get(f"{proxy.url}/x{i}", timeout=10).status_code for i in range(4)]
        assert session.get(f"{proxy.url}/y", timeout=10).status_code == 200
    assert codes == [200, 500, 200, 200]


def test_times_limits_firings_and_query_regex_selects(proxy: FaultProxy) -> None:
    rule_id = proxy.add_rule(Rule(query=r"partNumber=3\b", action=slow_down(), times=2))
    with requests.Session() as session:
        url = f"{proxy.url}/up?uploadId=u&partNumber="
        codes = [session.put(url + n, data=b"p", timeout=10).status_code for n in "3331"]
        codes.append(session.put(url + "30", data=b"p", timeout=10).status_code)
    assert codes == [503, 503, 200, 200, 200]
    assert proxy.stats().rules_fired == {rule_id: 2}


def test_probability_is_reproducible_with_a_seed(upstream: tuple[str, Seen]) -> None:
    outcomes = []
    for _ in range(2):
        with FaultProxy(upstream=upstream[0]) as proxy, requests.Session() as session:
            proxy.add_rule(Rule(action=internal_error(), probability=0.5, seed=42))
            outcomes.append(
                [session.get(f"{proxy.url}/p", timeout=10).status_code for _ in range(30)]
            )
    assert outcomes[0] == outcomes[1]
    assert {200, 500} == set(outcomes[0])


@pytest.mark.parametrize(
    ("action", "status", "code"),
    [
        (internal_error(), 500, "InternalError"),
        (slow_down(), 503, "SlowDown"),
        (url_expired(), 403, "AccessDenied</Code><Message>Request has expired"),
        (clock_skewed(), 403, "RequestTimeTooSkewed"),
        (no_such_upload(), 404, "NoSuchUpload"),
    ],
)
def test_canned_s3_errors_never_reach_upstream(
    proxy: FaultProxy, seen: Seen, action: object, status: int, code: str
) -> None:
    proxy.add_rule(Rule(method="PUT", action=action, times=1))  # type: ignore[arg-type]
    with requests.Session() as session:
        response = session.put(f"{proxy.url}/o", data=_payload(300_000), timeout=10)
        assert response.status_code == status
        assert f"<Code>{code}" in response.text
        assert response.headers["Content-Type"] == "application/xml"
        # The body was drained, so the same connection carries the next request.
        assert session.put(f"{proxy.url}/o", data=b"ok", timeout=10).json()["length"] == 2
    assert proxy.stats().connections == 1
    assert [r["length"] for r in seen.requests] == [2]
    assert proxy.stats().log[0].bytes_received == 300_000
    assert proxy.stats().log[0].bytes_forwarded == 0


def test_respond_with_custom_json(proxy: FaultProxy) -> None:
    body = b'{"error": {"code": "unavailable", "message": "try later"}}'
    proxy.add_rule(Rule(method="POST", action=respond(503, body, content_type="application/json")))
    response = requests.post(f"{proxy.url}/uploads", json={}, timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (503, "unavailable")


def test_delay_holds_the_request(proxy: FaultProxy) -> None:
    proxy.add_rule(Rule(action=delay(0.3)))
    started = time.monotonic()
    assert requests.get(f"{proxy.url}/d", timeout=10).status_code == 200
    assert time.monotonic() - started >= 0.3  # a lower bound: cannot flake on a busy machine


def test_stall_reads_nothing_then_closes(proxy: FaultProxy, seen: Seen) -> None:
    proxy.add_rule(Rule(method="PUT", action=stall(60), times=1))
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.put(f"{proxy.url}/s", data=b"abc", timeout=0.5)
    proxy.clear_rules()
    proxy.add_rule(Rule(method="PUT", action=stall(0.05)))
    with pytest.raises(requests.ConnectionError):
        requests.put(f"{proxy.url}/s", data=b"abc", timeout=10)
    assert seen.requests == []


def test_network_down_drops_open_connections_and_new_ones(proxy: FaultProxy, seen: Seen) -> None:
    errors: list[BaseException] = []

    def in_flight() -> None:
        try:
            requests.get(f"{proxy.url}/hold", timeout=10)
        except requests.ConnectionError as exc:
            errors.append(exc)

    worker = threading.Thread(target=in_flight)
    worker.start()
    deadline = time.monotonic() + 10
    while not seen.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    proxy.network_down()
    worker.join(10)
    assert len(errors) == 1
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{proxy.url}/x", timeout=10)
    proxy.network_up()
    assert requests.get(f"{proxy.url}/x", timeout=10).status_code == 200


def test_network_down_refuse_mode(proxy: FaultProxy) -> None:
    proxy.network_down(refuse=True)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=5).close()
    proxy.network_up()
    assert requests.get(f"{proxy.url}/again", timeout=10).status_code == 200


def test_expect_100_continue_is_relayed(proxy: FaultProxy, seen: Seen) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(
            b"PUT /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
        )
        interim = sock.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100")
        sock.sendall(b"abc")
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert json.loads(response.read())["length"] == 3


def test_unreachable_upstream_resets_the_client() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    with FaultProxy(upstream=f"127.0.0.1:{dead_port}") as proxy:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{proxy.url}/x", timeout=10)
        assert proxy.stats().log[0].fault == "upstream_unreachable"


def test_close_leaves_no_thread(upstream: tuple[str, Seen]) -> None:
    before = set(threading.enumerate())
    with FaultProxy(upstream=upstream[0]) as proxy, requests.Session() as session:
        session.get(f"{proxy.url}/x", timeout=10)
    leftover = [
        t for t in threading.enumerate() if t not in before and t.name.startswith("faultproxy")
    ]
    assert leftover == []


def test_runs_standalone(upstream: tuple[str, Seen]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.faultproxy", "--upstream", upstream[0]],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split()[1]
        assert requests.put(f"{url}/cli", data=b"12345", timeout=10).json()["length"] == 5
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "bytes_forwarded=5" in err
