"""The loopback ceiling: an HTTP sink that discards request bodies, and a lean client for it.

Neither side does any S3 work, hashing or signing, so their throughput is what 127.0.0.1 and this
machine's memory bandwidth allow two processes to move; every real uploader lands below it.

- `python -m benchmarks.sink serve --port P`: one thread per connection, bodies read into one
  reused 1 MiB buffer and dropped, `200` with an ETag for every request (keep-alive).
- `python -m benchmarks.sink put --url URL --file F --concurrency N --part-mib M`: N threads, one
  persistent connection each, every part sent with `os.sendfile` straight from the page cache.
"""

from __future__ import annotations

import argparse
import os
import queue
import socket
import socketserver
import sys
import threading
import urllib.parse

_BUF = 1 << 20
_RESPONSE = b'HTTP/1.1 200 OK\r\nETag: "sink"\r\nContent-Length: 0\r\n\r\n'


class _SinkHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        buf = bytearray(_BUF)
        view = memoryview(buf)
        pending = b""
        while True:
            head, pending = _read_head(sock, pending)
            if head is None:
                return
            remaining = _content_length(head) - len(pending)
            pending = b""
            while remaining > 0:
                n = sock.recv_into(view, min(remaining, _BUF))
                if n == 0:
                    return
                remaining -= n
            sock.sendall(_RESPONSE)


def _read_head(sock: socket.socket, pending: bytes) -> tuple[bytes | None, bytes]:
    data = pending
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def serve(port: int) -> None:
    """Serve on 127.0.0.1:`port` until killed."""
    with _Server(("127.0.0.1", port), _SinkHandler) as server:
        server.serve_forever()


def put(url: str, path: str, concurrency: int, part_size: int) -> int:
    """Send `path` as parts of `part_size` over `concurrency` connections; return bytes sent."""
    parsed = urllib.parse.urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    size = os.path.getsize(path)
    parts: queue.Queue[tuple[int, int, int]] = queue.Queue()
    for number, offset in enumerate(range(0, size, part_size), start=1):
        parts.put((number, offset, min(part_size, size - offset)))
    sent = [0] * concurrency
    errors: list[BaseException] = []

    def worker(slot: int) -> None:
        try:
            with socket.create_connection((host, port)) as sock, open(path, "rb") as f:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                reader = sock.makefile("rb")
                while True:
                    try:
                        number, offset, length = parts.get_nowait()
                    except queue.Empty:
                        return
                    head = (
                        f"PUT /sink/object?partNumber={number} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                        f"Content-Length: {length}\r\n\r\n"
                    )
                    sock.sendall(head.encode())
                    done = 0
                    while done < length:
                        done += os.sendfile(sock.fileno(), f.fileno(), offset + done, length - done)
                    status = reader.readline()
                    if b" 200 " not in status:
                        raise RuntimeError(f"sink answered {status!r}")
                    while reader.readline() not in (b"\r\n", b""):
                        pass
                    sent[slot] += length
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return sum(sent)


def main(argv: list[str] | None = None) -> int:
    """Command line: `serve` or `put`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sink")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    p = sub.add_parser("put")
    p.add_argument("--url", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--part-mib", type=int, default=16)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port)
        return 0
    total = put(args.url, args.file, args.concurrency, args.part_mib * 1024 * 1024)
    expected = os.path.getsize(args.file)
    if total != expected:
        print(f"sent {total} of {expected} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
