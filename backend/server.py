"""Running the app under uvicorn on a socket we bind ourselves (so port 0 reports the real port)."""

from __future__ import annotations

import gc
import logging
import socket
import threading
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from backend.settings import Settings

logger = logging.getLogger(__name__)

# What each `serve --workers N` worker process imports to build its app (uvicorn spawns workers,
# so the app must be importable by name).
WORKER_APP = "backend.server:worker_app"

# Python's own event loop, not uvloop. libuv (since 1.45) accepts one connection per turn of its
# loop, so a worker busy with a burst's requests left hundreds of new connections waiting in the
# listen queue (up to 790 seen) and their first requests reached the app up to a second late,
# behind later requests of workstations already in; asyncio accepts every waiting connection at
# each wake-up. The exam-end burst (1,000 workstations at once) on SQLite, four interleaved
# pairs: p99 1.18-1.39 s against 1.26-2.04 s, for 2.62 against 2.52 ms of CPU per upload.
EVENT_LOOP = "asyncio"


# Allocations between young-generation collections. Python's default (700) runs one every few
# requests under a burst, and each older-generation pass walks every object the app keeps.
_GC_YOUNG_THRESHOLD = 50_000


def settle_heap() -> None:
    """Tune garbage collection for a serving process, once its app is built.

    What start-up allocated (modules, the app, its routes and models) lives as long as the process:
    `gc.freeze` moves it out of every later collection's walk. A larger young-generation threshold
    collects the short-lived objects of many requests at once rather than every few requests.
    Reference counting frees almost everything a request makes anyway; the collector only finds
    cycles, and those still get collected, just less often.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(_GC_YOUNG_THRESHOLD, older, oldest)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Named TCP, the connections it accepts are too, and only then does asyncio turn Nagle's
    # algorithm off on them: otherwise an answer written in two pieces (head, then body) waits
    # for the client's delayed acknowledgement, 40 ms on Linux, on every request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def make_server(app: FastAPI, *, log_level: str = "info") -> uvicorn.Server:
    """A uvicorn server for `app` without uvicorn's own logging setup (ours redacts).

    On Python's own event loop (`EVENT_LOOP`), with httptools parsing HTTP (`http="auto"`).
    """
    config = uvicorn.Config(
        app,
        loop=EVENT_LOOP,
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


def worker_app() -> FastAPI:
    """The app of one worker process of `serve --workers N`.

    Settings come from the `PROCTOR_BACKEND_*` environment the supervisor exported before spawning
    (`Settings.to_env`); the database and the JWT secret file already exist (`prepare_data`), so
    every worker signs and accepts the same tokens.
    """
    from backend.app import create_app
    from backend.log import setup_logging

    settings = Settings.from_env()
    setup_logging(settings.log_level)
    app = create_app(settings)
    settle_heap()
    return app


def serve_workers(settings: Settings, sock: socket.socket) -> None:
    """Run `settings.workers` worker processes on `sock` until SIGINT or SIGTERM.

    uvicorn's supervisor spawns the workers, restarts one that dies, and on SIGINT/SIGTERM stops
    them gracefully. The caller exports the settings to the environment first.
    """
    config = uvicorn.Config(
        WORKER_APP,
        factory=True,
        workers=settings.workers,
        loop=EVENT_LOOP,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=10,
        server_header=False,
    )
    Multiprocess(config, sockets=[sock]).run()
