"""Running the app under uvicorn on a socket we bind ourselves (so port 0 reports the real port)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

logger = logging.getLogger(__name__)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def make_server(app: FastAPI, *, log_level: str = "info") -> uvicorn.Server:
    """A uvicorn server for `app` without uvicorn's own logging setup (ours redacts)."""
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level=log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=10,
        server_header=False,
    )
    return uvicorn.Server(config)


def when_started(server: uvicorn.Server, callback: Callable[[], None]) -> threading.Thread:
    """Call `callback` from a helper thread once `server` accepts connections."""

    def wait() -> None:
        while not server.started:
            if server.should_exit:
                return
            threading.Event().wait(0.02)
        callback()

    thread = threading.Thread(target=wait, name="server-started", daemon=True)
    thread.start()
    return thread
