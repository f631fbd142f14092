"""An HTTP CONNECT proxy on loopback that records what each tunnel was opened with."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def connect_proxy() -> Iterator[tuple[str, list[bytes]]]:
    """An HTTP CONNECT proxy on 127.0.0.1; yields its URL (with credentials) and the head of
    every CONNECT it was sent."""
    listener = socket.create_server(("127.0.0.1", 0))
    heads: list[bytes] = []

    def relay(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def handle(client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += client.recv(4096)
        heads.append(head)
        host, port = head.split()[1].decode().rsplit(":", 1)
        with socket.create_connection((host, int(port))) as upstream, client:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            back = threading.Thread(target=relay, args=(upstream, client), daemon=True)
            back.start()
            relay(client, upstream)
            back.join(5)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                threading.Thread(target=handle, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://proctor:s%40cret@127.0.0.1:{listener.getsockname()[1]}", heads
    finally:
        listener.close()
        thread.join(5)
