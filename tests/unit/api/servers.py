"""Small real servers that misbehave on purpose, for the API client tests.

``CannedServer`` is a real HTTP(S) server on 127.0.0.1 that answers every request with whatever
the test set (status, headers, body): redirects, HTML pages, Retry-After, broken JSON. It can
serve TLS with a self-signed certificate made here with ``cryptography``.
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.tls import self_signed_cert

__all__ = ["Answer", "CannedServer", "self_signed_cert", "tls_server"]


@dataclass
class Answer:
    """What the canned server sends back."""

    status: int = 200
    body: bytes = b'{"status": "ok", "version": "test"}'
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    truncate: bool = False  # promise more bytes than sent, then close: a body cut off on the way


class CannedServer:
    """A threaded HTTP(S) server on 127.0.0.1 answering every request with ``answer``.

    Attributes:
        url: ``http(s)://127.0.0.1:PORT``.
        answer: What to send; tests replace it.
        requests: ``(method, path, headers)`` of every request received.
    """

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.answer = Answer()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                owner.requests.append((self.command, self.path, dict(self.headers)))
                answer = owner.answer
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                promised = len(answer.body) + (1000 if answer.truncate else 0)
                self.send_header("Content-Length", str(promised))
                self.end_headers()
                self.wfile.write(answer.body)
                if answer.truncate:
                    self.close_connection = True

            do_GET = do_POST = do_DELETE = _reply

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving and join the server thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def tls_server(folder: Path, *, names: list[str], ips: list[str]) -> tuple[CannedServer, Path]:
    """A canned HTTPS server with a new self-signed certificate; returns (server, cert)."""
    cert, key = self_signed_cert(folder, names=names, ips=ips)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return CannedServer(tls=context), cert
