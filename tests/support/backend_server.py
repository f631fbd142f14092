"""The backend on 127.0.0.1 for tests: in a thread (fast) or as a restartable subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import uvicorn

from backend.app import create_app
from backend.db import open_database
from backend.deps import Services
from backend.server import bind_socket, make_server
from backend.settings import Settings
from backend.storage import S3Storage, Storage
from backend.users import add_user as _add_user
from tests.support.storage import S3Endpoint, free_port

# A fixed secret so tokens survive a subprocess restart and tests need no secret file.
TEST_JWT_SECRET = "test-jwt-secret-" + "x" * 32


def backend_settings(
    endpoint: S3Endpoint, *, bucket: str, data_dir: Path, **overrides: Any
) -> Settings:
    """Settings for a test backend against `endpoint`; `overrides` are Settings fields."""
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "bucket": bucket,
        "region": endpoint.region,
        "s3_endpoint_url": endpoint.endpoint_url,
        "s3_addressing_style": "path",
        "data_dir": data_dir,
        "jwt_secret": TEST_JWT_SECRET,
        # Storage-down tests should fail fast rather than wait for long timeouts.
        "s3_connect_timeout_seconds": 2,
        "s3_read_timeout_seconds": 30,
    }
    values.update(overrides)
    return Settings(**values)


def add_user_to_db(database: Path | str, name: str, password: str, role: str = "user") -> None:
    """Create an account directly in a backend's database (works while it runs: WAL)."""
    db = open_database(database)
    try:
        _add_user(db, name, password, role)
    finally:
        db.close()


@dataclass
class RunningBackend:
    """A backend served by uvicorn in a thread of the test process.

    Attributes:
        url: `http://127.0.0.1:PORT` (append `/api/v1/...`).
        settings: Its settings.
        services: Its live services (database, storage...), for assertions.
    """

    url: str
    settings: Settings
    services: Services
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def api(self) -> str:
        """`url` + `/api/v1`."""
        return self.url + "/api/v1"

    def add_user(self, name: str, password: str, role: str = "user") -> None:
        """Create an account."""
        _add_user(self.services.db, name, password, role)

    def login(self, name: str, password: str) -> dict[str, Any]:
        """Sign in and return the token response (raises on a non-200)."""
        resp = requests.post(
            self.api + "/auth/login", json={"username": name, "password": password}, timeout=30
        )
        resp.raise_for_status()
        body: dict[str, Any] = resp.json()
        return body


@contextmanager
def run_backend(
    endpoint: S3Endpoint,
    *,
    bucket: str,
    data_dir: Path,
    storage: Storage | None = None,
    **overrides: Any,
) -> Iterator[RunningBackend]:
    """Serve the backend in a thread on a free 127.0.0.1 port until the block exits.

    `overrides` are Settings fields (e.g. `url_ttl_seconds=5`, `s3_public_endpoint_url=proxy_url`).
    Credentials go to boto3 explicitly, so the test process's environment stays untouched.
    """
    settings = backend_settings(endpoint, bucket=bucket, data_dir=data_dir, **overrides)
    storage = storage or S3Storage(settings, session=endpoint.session())
    app = create_app(settings, storage)
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = make_server(app, log_level="warning")
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="backend-uvicorn", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the backend did not start")
            time.sleep(0.01)
        yield RunningBackend(
            url=f"http://127.0.0.1:{port}",
            settings=settings,
            services=app.state.services,
            _server=server,
            _thread=thread,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        app.state.services.db.close()


class BackendProcess:
    """`python -m backend serve` as a subprocess that can be stopped and restarted on the same port.

    Attributes:
        url: `http://127.0.0.1:PORT`, stable across restarts.
        settings: The settings it is started with (passed as `PROCTOR_BACKEND_*` variables).
        log_path: Where its stdout and stderr go (appended across restarts).
    """

    def __init__(
        self, endpoint: S3Endpoint, *, bucket: str, data_dir: Path, port: int = 0, **overrides: Any
    ) -> None:
        """Prepare (not start) a backend against `endpoint`; `port` 0 picks a free one now."""
        self._endpoint = endpoint
        self.settings = backend_settings(
            endpoint, bucket=bucket, data_dir=data_dir, port=port or free_port(), **overrides
        )
        self.url = f"http://127.0.0.1:{self.settings.port}"
        self.log_path = data_dir / "backend.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._last_returncode: int | None = None

    @property
    def api(self) -> str:
        """`url` + `/api/v1`."""
        return self.url + "/api/v1"

    @property
    def running(self) -> bool:
        """True while the subprocess lives."""
        return self._proc is not None and self._proc.poll() is None

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_BACKEND_")}
        env.update(self._endpoint.env())
        for name in Settings.__slots__:
            value = getattr(self.settings, name)
            env["PROCTOR_BACKEND_" + name.upper()] = str(value)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self, timeout: float = 60) -> None:
        """Start it and wait until /api/v1/health answers."""
        if self.running:
            return
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        root = Path(__file__).resolve().parents[2]
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "backend", "serve"],
                env=self._env(),
                cwd=root,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the backend exited early:\n{self.log_tail()}")
            try:
                if requests.get(self.api + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the backend did not start:\n{self.log_tail()}")

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, then SIGKILL if it does not exit in `timeout` seconds."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=timeout)
        self._last_returncode = self._proc.returncode
        self._proc = None

    def kill(self) -> None:
        """SIGKILL (a crash), no graceful shutdown."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=20)
        if self._proc is not None:
            self._last_returncode = self._proc.returncode
        self._proc = None

    def restart(self) -> None:
        """Stop, then start again on the same port with the same data."""
        self.stop()
        self.start()

    @property
    def pid(self) -> int:
        """Its process id (it must be running)."""
        assert self._proc is not None, "the backend is not running"
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        """Exit code of the last stopped process (None while running or never stopped)."""
        return self._proc.poll() if self._proc is not None else self._last_returncode

    def add_user(self, name: str, password: str, role: str = "user") -> None:
        """Create an account in its database (works whether or not it runs)."""
        add_user_to_db(self.settings.database, name, password, role)

    def log_tail(self, chars: int = 4000) -> str:
        """The end of its log."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-chars:]

    def __enter__(self) -> BackendProcess:
        """Start."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop."""
        self.stop()
