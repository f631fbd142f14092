"""`proctor-backend dev`: the API, an in-process S3 emulator (moto) and a demo user on 127.0.0.1."""
# ruff: noqa: T201  (a CLI talks to its user through stdout/stderr)

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import boto3
import uvicorn

from backend.app import create_app
from backend.server import bind_socket, make_server, when_started
from backend.settings import Settings
from backend.storage import S3Storage
from backend.users import ensure_user

logger = logging.getLogger(__name__)

DEMO_USERNAME = "demo"
DEMO_PASSWORD = (
    "demo-password"  # documented in docs/api.md and README: this is a local emulator only
)
DEV_BUCKET = "proctor-dev"
READY_PREFIX = "PROCTOR_BACKEND_READY "
# moto accepts any credentials; these never leave this process.
_DEV_ACCESS_KEY = "proctor-dev"
_DEV_SECRET_KEY = "proctor-dev-secret"


def run_dev(*, host: str, port: int, data_dir: Path | None, settings: Settings) -> int:
    """Serve until SIGINT/SIGTERM; print one `PROCTOR_BACKEND_READY {...}` line once serving."""
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    tmp: tempfile.TemporaryDirectory[str] | None = None
    try:
        s3_port = moto.get_host_and_port()[1]
        endpoint = f"http://127.0.0.1:{s3_port}"
        if data_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="proctor-backend-dev-")
            data_dir = Path(tmp.name)
        settings = settings.replace(
            host=host,
            port=port,
            bucket=DEV_BUCKET,
            region="us-east-1",
            s3_endpoint_url=endpoint,
            s3_public_endpoint_url="",
            s3_addressing_style="path",
            data_dir=data_dir,
            db="",
        )
        session = boto3.Session(
            aws_access_key_id=_DEV_ACCESS_KEY,
            aws_secret_access_key=_DEV_SECRET_KEY,
            region_name=settings.region,
        )
        session.client("s3", endpoint_url=endpoint).create_bucket(Bucket=DEV_BUCKET)
        app = create_app(settings, S3Storage(settings, session=session))
        ensure_user(app.state.services.db, DEMO_USERNAME, DEMO_PASSWORD, "user")

        sock = bind_socket(host, port)
        real_port = sock.getsockname()[1]
        url_host = f"[{host}]" if ":" in host else host
        url = f"http://{url_host}:{real_port}"
        server = make_server(app, log_level=settings.log_level)

        def announce() -> None:
            print(f"Proctor backend (dev) serving {url}/api/v1  (API docs: {url}/docs)")
            print(f"S3 emulator (moto): {endpoint}  bucket: {DEV_BUCKET}")
            print(f"Demo sign-in: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}")
            print(f"Data directory: {data_dir}{'  (temporary)' if tmp else ''}")
            print("Press Ctrl+C to stop.")
            ready = {
                "url": url,
                "username": DEMO_USERNAME,
                "password": DEMO_PASSWORD,
                "s3_endpoint_url": endpoint,
                "bucket": DEV_BUCKET,
            }
            print(READY_PREFIX + json.dumps(ready), flush=True)

        when_started(server, announce)
        watch_parent(lambda: _stop_orphan(server))
        server.run(sockets=[sock])
        sock.close()
    finally:
        moto.stop()
        if tmp is not None:
            tmp.cleanup()
        sys.stdout.flush()
    return 0


def _stop_orphan(server: uvicorn.Server) -> None:
    logger.warning("The process that started this dev backend is gone; stopping")
    server.should_exit = True


def watch_parent(on_gone: Callable[[], None], interval: float = 0.5) -> threading.Thread:
    """Call `on_gone` once, from a daemon thread, when the process that started this one exits.

    The desktop app's demo starts `dev` as a child; if the app dies hard (SIGKILL, a crash), nothing
    would stop the backend. A process's parent cannot be watched the same way everywhere: on POSIX
    an orphan is re-parented (its parent pid changes); on Windows the parent's process handle,
    opened now, becomes signalled when it exits. (Linux's PR_SET_PDEATHSIG fires when the parent
    *thread* that started us ends, which an app may do long before it exits: not used.)
    """
    parent = os.getppid()
    if sys.platform == "win32":  # pragma: no cover (CI runs Linux)
        gone = _windows_parent_waiter(parent, interval)
    else:

        def gone() -> bool:
            return os.getppid() != parent

    def watch() -> None:
        while not gone():
            threading.Event().wait(interval)
        on_gone()

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def _windows_parent_waiter(pid: int, interval: float) -> Callable[[], bool]:  # pragma: no cover
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    synchronize, wait_object_0 = 0x00100000, 0
    # Holding the handle keeps the pid from being reused while we watch it.
    handle = kernel32.OpenProcess(synchronize, False, pid)
    if not handle:
        return lambda: True  # already gone
    return lambda: bool(kernel32.WaitForSingleObject(handle, int(interval * 1000)) == wait_object_0)
