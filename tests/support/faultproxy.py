"""A fault-injection HTTP/1.1 reverse proxy on 127.0.0.1, for tests, the chaos soak and manual runs.

Put it between the client and storage (the backend presigns against the proxy's URL; request
bytes, Host header included, are forwarded unchanged so SigV4 signatures made for the proxy's
host:port still validate upstream) or between the client and the backend. Bodies are streamed in
64 KiB segments, never buffered whole; connections are kept alive; request-body bytes forwarded are
counted per request, per method and in total. Faults come from live, thread-safe rules
(:mod:`tests.support.faultrules`)::

    with FaultProxy(upstream="127.0.0.1:9000") as proxy:
        rule_id = proxy.add_rule(Rule(method="PUT", action=reset_after(1 << 20), times=1))
        ...  # point the client at proxy.url
        proxy.network_down(); proxy.network_up()
        assert proxy.stats().bytes_forwarded_by_method["PUT"] > 0

Standalone: ``python -m tests.support.faultproxy --upstream HOST:PORT --port P``.
"""

from __future__ import annotations

import argparse
import contextlib
import select
import signal
import socket
import struct
import sys
import threading
import time
import types
from collections import Counter
from dataclasses import dataclass, field

from tests.support.faultrules import (
    Action,
    ActionKind,
    Rule,
    RuleBook,
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
from tests.support.httpframes import (
    Eof,
    Head,
    ProtocolError,
    SocketReader,
    body_segments,
    canned_response,
    is_close_delimited,
    parse_head,
    response_has_body,
    wants_keep_alive,
)

__all__ = [
    "Action",
    "ActionKind",
    "FaultProxy",
    "ProxyStats",
    "RequestRecord",
    "Rule",
    "clock_skewed",
    "delay",
    "internal_error",
    "no_such_upload",
    "reset_after",
    "respond",
    "slow_down",
    "stall",
    "url_expired",
]

_EXPECT_WAIT = (
    2.0  # seconds to wait for an upstream "100 Continue" before streaming the body anyway
)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the proxy saw.

    Attributes:
        method: HTTP method.
        path: Request path without the query string (presigned signatures never reach the log).
        status: Status relayed or sent to the client; None when no response reached it.
        bytes_forwarded: Request-body bytes sent upstream.
        bytes_received: Request-body bytes read from the client (drained bodies of canned
            answers included).
        fault: The action kind applied, ``"network_down"``, ``"upstream_unreachable"``,
            ``"client_gone"``, or None for a clean pass-through.
        rule_id: Id of the rule that fired, if any.
    """

    method: str
    path: str
    status: int | None
    bytes_forwarded: int
    bytes_received: int
    fault: str | None
    rule_id: int | None


@dataclass(frozen=True, slots=True)
class ProxyStats:
    """A snapshot of the proxy's counters.

    Attributes:
        requests: Finished requests (``len(log)``; those still in flight are not counted).
        connections: Client connections accepted.
        bytes_forwarded: Request-body bytes sent upstream, including requests still in flight.
        bytes_forwarded_by_method: The same, per HTTP method.
        bytes_received: Request-body bytes read from clients, forwarded or not.
        log: Finished requests, in completion order.
        rules_fired: Firings per live rule id.
    """

    requests: int
    connections: int
    bytes_forwarded: int
    bytes_forwarded_by_method: dict[str, int]
    bytes_received: int
    log: tuple[RequestRecord, ...]
    rules_fired: dict[int, int]


@dataclass(slots=True)
class _Pending:
    method: str
    path: str
    status: int | None = None
    bytes_forwarded: int = 0
    bytes_received: int = 0
    fault: str | None = None
    rule_id: int | None = None
    logged: bool = False


@dataclass(slots=True)
class _Counters:
    connections: int = 0
    forwarded: Counter[str] = field(default_factory=Counter)
    received: int = 0
    log: list[RequestRecord] = field(default_factory=list)


def _abort(sock: socket.socket | None) -> None:
    """Close with SO_LINGER 0 so the peer gets a TCP RST, not a FIN."""
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    """A threaded reverse proxy to one upstream ``host:port`` that injects faults on demand.

    Attributes:
        url: ``http://127.0.0.1:PORT``, the address clients use.
        port: The port it listens on (free one by default).
        upstream: ``(host, port)`` it forwards to.
    """

    def __init__(self, upstream: str, *, port: int = 0, host: str = "127.0.0.1") -> None:
        up_host, _, up_port = upstream.removeprefix("http://").rstrip("/").rpartition(":")
        self.upstream = (up_host, int(up_port))
        self._host = host
        self._rules = RuleBook()
        self._lock = threading.Lock()
        self._counters = _Counters()
        self._socks: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._closing = threading.Event()
        self._down = False
        self._refuse = False
        self._listener_state = threading.Condition(self._lock)
        self._listener: socket.socket | None = self._bind(port)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._acceptor = threading.Thread(
            target=self._accept_loop, name="faultproxy-accept", daemon=True
        )
        self._acceptor.start()

    # ----------------------------------------------------------------- public API
    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_rule(self, rule: Rule) -> int:
        """Add a fault rule (checked after those already present) and return its id."""
        return self._rules.add(rule)

    def remove_rule(self, rule_id: int) -> None:
        """Remove one rule."""
        self._rules.remove(rule_id)

    def clear_rules(self) -> None:
        """Remove every rule: traffic passes untouched again."""
        self._rules.clear()

    def network_down(self, *, refuse: bool = False) -> None:
        """Cut the network: drop every open connection (RST) and reset each new one as soon as it is
        accepted; with ``refuse=True`` stop listening instead, so connects are refused."""
        with self._lock:
            self._down = True
            self._refuse = refuse
            socks = list(self._socks)
        self._drop(socks)
        if refuse:
            with self._listener_state:
                self._listener_state.wait_for(
                    lambda: self._listener is None or self._closing.is_set()
                )

    def network_up(self) -> None:
        """Restore the network (and the listening socket, on the same port, after ``refuse``)."""
        with self._listener_state:
            self._down = False
            self._refuse = False
            self._listener_state.wait_for(
                lambda: self._listener is not None or self._closing.is_set()
            )

    def drop_connections(self) -> None:
        """Reset every open connection once, without cutting the network."""
        with self._lock:
            socks = list(self._socks)
        self._drop(socks)

    def stats(self) -> ProxyStats:
        """A consistent snapshot of the counters and the request log."""
        with self._lock:
            c = self._counters
            return ProxyStats(
                requests=len(c.log),
                connections=c.connections,
                bytes_forwarded=sum(c.forwarded.values()),
                bytes_forwarded_by_method=dict(c.forwarded),
                bytes_received=c.received,
                log=tuple(c.log),
                rules_fired=self._rules.fired(),
            )

    def reset_stats(self) -> None:
        """Zero the counters and the log (rules keep their own counts)."""
        with self._lock:
            self._counters = _Counters()

    def close(self) -> None:
        """Stop accepting, drop every connection and join every thread."""
        self._closing.set()
        self._acceptor.join(timeout=5)
        with self._lock:
            socks = list(self._socks)
            threads = list(self._threads)
        self._drop(socks)
        for thread in threads:
            thread.join(timeout=5)

    # ----------------------------------------------------------------- accepting
    def _bind(self, port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self._host, port))
        listener.listen(128)
        listener.settimeout(0.1)  # lets the loop notice close() and refuse mode promptly
        return listener

    def _accept_loop(self) -> None:
        try:
            while not self._closing.is_set():
                with self._listener_state:
                    if self._refuse and self._listener is not None:
                        self._listener.close()
                        self._listener = None
                        self._listener_state.notify_all()
                    elif not self._refuse and self._listener is None:
                        self._listener = self._bind(self.port)
                        self._listener_state.notify_all()
                    listener = self._listener
                if listener is None:
                    self._closing.wait(0.05)
                    continue
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                client.settimeout(None)
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with self._lock:
                    self._counters.connections += 1
                    if self._down:
                        _abort(client)
                        continue
                    thread = threading.Thread(
                        target=self._serve, args=(client,), name="faultproxy-conn", daemon=True
                    )
                    self._threads.add(thread)
                    self._socks.add(client)
                thread.start()
        finally:
            with self._listener_state:
                if self._listener is not None:
                    self._listener.close()
                    self._listener = None
                self._listener_state.notify_all()

    def _drop(self, socks: list[socket.socket]) -> None:
        # Only wake the owning threads here (shutdown); they close, with linger 0, themselves, so a
        # descriptor is never closed while another thread still blocks on it.
        for sock in socks:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.add(sock)

    def _forget(self, sock: socket.socket | None) -> None:
        if sock is not None:
            with self._lock:
                self._socks.discard(sock)

    # ----------------------------------------------------------------- one client connection
    def _serve(self, client: socket.socket) -> None:
        reader = SocketReader(client)
        conn = _Connection(self, client, reader)
        try:
            while not self._closing.is_set():
                raw = reader.read_head()
                if raw is None:
                    return
                head = parse_head(raw)
                target = head.target
                path, _, query = target.partition("?")
                pending = _Pending(method=head.method, path=path)
                try:
                    keep = conn.handle(head, raw, pending, query)
                finally:
                    self._finish(pending)
                if not keep:
                    return
        except (OSError, Eof, ProtocolError):
            pass
        finally:
            conn.close()
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _finish(self, pending: _Pending) -> None:
        """Log a request once (idempotent: called early on success, again on every exit path)."""
        if pending.logged:
            return
        pending.logged = True
        record = RequestRecord(
            method=pending.method,
            path=pending.path,
            status=pending.status,
            bytes_forwarded=pending.bytes_forwarded,
            bytes_received=pending.bytes_received,
            fault=pending.fault,
            rule_id=pending.rule_id,
        )
        with self._lock:
            self._counters.log.append(record)

    def _count(self, method: str, *, forwarded: int = 0, received: int = 0) -> None:
        with self._lock:
            if forwarded:
                self._counters.forwarded[method] += forwarded
            self._counters.received += received


class _Connection:
    """One client connection and the upstream connection it reuses across keep-alive requests."""

    def __init__(self, proxy: FaultProxy, client: socket.socket, reader: SocketReader) -> None:
        self._proxy = proxy
        self._client = client
        self._reader = reader
        self._up: socket.socket | None = None
        self._up_reader: SocketReader | None = None
        self._aborted = False

    def handle(self, head: Head, raw: bytes, pending: _Pending, query: str) -> bool:
        """Serve one request; return whether the client connection stays open."""
        proxy = self._proxy
        if proxy._down:
            pending.fault = "network_down"
            self._abort_all()
            return False
        decision = proxy._rules.decide(head.method, pending.path, query)
        if decision is None:
            return self._forward(head, raw, pending, budget=None)
        pending.rule_id, action = decision
        pending.fault = str(action.kind)
        if action.kind is ActionKind.RESPOND:
            return self._respond(head, pending, action)
        if action.kind is ActionKind.STALL:
            proxy._closing.wait(action.seconds)
            return False
        if action.kind is ActionKind.DELAY:
            if proxy._closing.wait(action.seconds):
                return False
            return self._forward(head, raw, pending, budget=None)
        if action.kind is ActionKind.FLIP:
            return self._forward(head, raw, pending, budget=None, flip_at=action.n_bytes)
        return self._forward(head, raw, pending, budget=action.n_bytes)

    def close(self) -> None:
        """Release both sockets (the client's with RST if the exchange was aborted)."""
        self._close_upstream()
        self._proxy._forget(self._client)
        if self._aborted:
            _abort(self._client)
        else:
            self._client.close()

    # ------------------------------------------------------------------ actions
    def _respond(self, head: Head, pending: _Pending, action: Action) -> bool:
        expects_continue = head.header("expect").lower() == "100-continue"
        keep = wants_keep_alive(head) and not expects_continue
        if not expects_continue:  # drain the body so the connection can carry the next request
            for segment in body_segments(self._reader, head, is_response=False):
                pending.bytes_received += len(segment)
                self._proxy._count(head.method, received=len(segment))
        pending.status = action.status
        self._proxy._finish(pending)
        self._client.sendall(
            canned_response(action.status, action.body, action.content_type, keep_alive=keep)
        )
        return keep

    def _forward(
        self,
        head: Head,
        raw: bytes,
        pending: _Pending,
        *,
        budget: int | None,
        flip_at: int | None = None,
    ) -> bool:
        try:
            up, up_reader = self._upstream()
        except OSError:
            pending.fault = pending.fault or "upstream_unreachable"
            self._abort_all()
            return False
        up.sendall(raw)
        if head.header("expect").lower() == "100-continue":
            final = self._await_continue(up, up_reader)
            if final is not None:  # upstream answered without wanting the body
                self._relay_response(head, pending, up_reader, first=final)
                return False
        sent = 0
        try:
            for segment in body_segments(self._reader, head, is_response=False):
                pending.bytes_received += len(segment)
                if budget is not None and sent + len(segment) >= budget:
                    segment = segment[: budget - sent]
                if flip_at is not None and sent <= flip_at < sent + len(segment):
                    damaged = bytearray(segment)
                    damaged[flip_at - sent] ^= 0xFF
                    segment = bytes(damaged)
                up.sendall(segment)
                sent += len(segment)
                pending.bytes_forwarded = sent
                self._proxy._count(head.method, forwarded=len(segment), received=len(segment))
                if budget is not None and sent >= budget:
                    break
        except Eof:
            pending.fault = pending.fault or "client_gone"
            self._abort_all()
            raise
        if budget is not None:
            self._abort_all()
            return False
        return self._relay_response(head, pending, up_reader, first=None)

    def _await_continue(
        self, up: socket.socket, up_reader: SocketReader
    ) -> tuple[bytes, Head] | None:
        """Relay an upstream ``100 Continue``; return the upstream's final head if it sent that.

        Gives up waiting (and streams the body) once the client starts sending or after a while, as
        real clients do, so an upstream that never sends 100 cannot deadlock the exchange.
        """
        deadline = time.monotonic() + _EXPECT_WAIT
        while self._reader.buffered() == 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([self._client, up], [], [], remaining)
            if up in readable:
                raw = up_reader.read_head()
                if raw is None:
                    raise Eof("upstream closed before answering")
                head = parse_head(raw)
                if 100 <= head.status < 200:
                    self._client.sendall(raw)
                    return None
                return raw, head
            if readable:
                return None
        return None

    def _relay_response(
        self,
        request: Head,
        pending: _Pending,
        up_reader: SocketReader,
        *,
        first: tuple[bytes, Head] | None,
    ) -> bool:
        while True:
            if first is not None:
                raw, response = first
                first = None
            else:
                got = up_reader.read_head()
                if got is None:
                    pending.fault = pending.fault or "upstream_closed"
                    self._abort_all()
                    return False
                raw, response = got, parse_head(got)
            if not 100 <= response.status < 200:
                break
            self._client.sendall(raw)
        pending.status = response.status
        close_delimited = False
        # The request is logged before its last byte goes out, so a client that has its whole
        # response always finds the request in stats(): the last segment is held back until then.
        if not response_has_body(request.method, response.status):
            self._proxy._finish(pending)
            self._client.sendall(raw)
        else:
            close_delimited = is_close_delimited(response)
            held = raw
            for segment in body_segments(up_reader, response, is_response=True):
                self._client.sendall(held)
                held = segment
            self._proxy._finish(pending)
            self._client.sendall(held)
        keep = wants_keep_alive(request) and wants_keep_alive(response) and not close_delimited
        if not keep:
            self._close_upstream()
        return keep

    # ------------------------------------------------------------------ sockets
    def _upstream(self) -> tuple[socket.socket, SocketReader]:
        if self._up is not None and self._up_reader is not None:
            readable, _, _ = select.select([self._up], [], [], 0)
            # An idle keep-alive connection that is readable was closed (or sent junk): replace it.
            if not readable and self._up_reader.buffered() == 0:
                return self._up, self._up_reader
            self._close_upstream()
        up = socket.create_connection(self._proxy.upstream, timeout=10)
        up.settimeout(None)
        up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._proxy._track(up)
        self._up, self._up_reader = up, SocketReader(up)
        return up, self._up_reader

    def _close_upstream(self) -> None:
        up, self._up, self._up_reader = self._up, None, None
        if up is None:
            return
        self._proxy._forget(up)
        # FIN, not RST, towards the upstream even when the exchange is aborted: an RST makes the
        # upstream's kernel discard bytes received but not yet read, so it would see fewer bytes
        # than the proxy counted as forwarded. A truncated body plus FIN is just as incomplete.
        with contextlib.suppress(OSError):
            up.shutdown(socket.SHUT_WR)
        up.close()

    def _abort_all(self) -> None:
        """Cut the exchange: the client gets an RST (in :meth:`close`), the upstream a FIN."""
        self._aborted = True
        self._close_upstream()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.faultproxy", description="Fault-injection HTTP proxy."
    )
    parser.add_argument("--upstream", required=True, help="HOST:PORT to forward to")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: free)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random rules")
    parser.add_argument("--reset-prob", type=float, default=0.0, help="share of bodies cut short")
    parser.add_argument("--reset-max", type=int, default=8 << 20, help="largest cut point, bytes")
    parser.add_argument("--slowdown-prob", type=float, default=0.0, help="share of 503 SlowDown")
    parser.add_argument("--error-prob", type=float, default=0.0, help="share of 500 InternalError")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the proxy in the foreground until SIGINT or SIGTERM, then print its counters."""
    args = _parse_args(argv)
    stop = threading.Event()

    def _on_signal(_signum: int, _frame: types.FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    seed = args.seed
    with FaultProxy(upstream=args.upstream, port=args.port) as proxy:
        if args.reset_prob:
            cut = reset_after(0, args.reset_max)
            proxy.add_rule(Rule(action=cut, probability=args.reset_prob, seed=seed))
        if args.slowdown_prob:
            proxy.add_rule(Rule(action=slow_down(), probability=args.slowdown_prob, seed=seed + 1))
        if args.error_prob:
            proxy.add_rule(
                Rule(action=internal_error(), probability=args.error_prob, seed=seed + 2)
            )
        if args.latency:
            proxy.add_rule(Rule(action=delay(args.latency)))
        print(f"faultproxy {proxy.url} -> {args.upstream}", flush=True)
        stop.wait()
        stats = proxy.stats()
    print(
        f"requests={stats.requests} connections={stats.connections} "
        f"bytes_forwarded={stats.bytes_forwarded} by_method={stats.bytes_forwarded_by_method}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
