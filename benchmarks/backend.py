"""The reference backend for benchmarks: started against the run's SeaweedFS, with a bench user.

It runs exactly what a site runs: `proctor-backend serve --workers N` (uvicorn's supervisor and N
worker processes sharing one listening socket, one SQLite database in WAL mode, one JWT secret).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.procs import background, free_port, wait_for_port
from benchmarks.seaweed import S3Endpoint
from benchmarks.toolchain import ROOT

USERNAME = "bench"
PASSWORD = "bench-password-loopback-only"


@dataclass(frozen=True, slots=True)
class Backend:
    """A running backend.

    Attributes:
        url: Base URL (without the /api/v1 prefix).
        username: Benchmark user.
        password: Its password (loopback-only throwaway).
        workers: Uvicorn worker processes.
        env: The environment it runs with (for admin commands).
        pid: Process id of the server (the supervisor when workers > 1).
    """

    url: str
    username: str
    password: str
    workers: int
    env: dict[str, str]
    pid: int

    @property
    def api(self) -> str:
        """Base URL of the API routes."""
        return f"{self.url}/api/v1"


def unavailable_reason() -> str | None:
    """None when the backend can be started here, else why not."""
    if importlib.util.find_spec("backend.cli") is None:
        return "backend.cli is not there yet"
    return None


def backend_env(data_dir: Path, endpoint: S3Endpoint, bucket: str, port: int) -> dict[str, str]:
    """The `PROCTOR_BACKEND_*` (and AWS credential) environment of a bench backend."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROCTOR_"))}
    env.update(
        {
            "PROCTOR_BACKEND_HOST": "127.0.0.1",
            "PROCTOR_BACKEND_PORT": str(port),
            "PROCTOR_BACKEND_BUCKET": bucket,
            "PROCTOR_BACKEND_REGION": endpoint.region,
            "PROCTOR_BACKEND_S3_ENDPOINT_URL": endpoint.url,
            "PROCTOR_BACKEND_DATA_DIR": str(data_dir),
            "PROCTOR_BACKEND_LOG_LEVEL": "WARNING",
            "AWS_ACCESS_KEY_ID": endpoint.access_key,
            "AWS_SECRET_ACCESS_KEY": endpoint.secret_key,
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONPATH": str(ROOT),
        }
    )
    if endpoint.ca_file:
        env["AWS_CA_BUNDLE"] = endpoint.ca_file  # the backend's own storage calls over HTTPS
    return env


@contextlib.contextmanager
def running_backend(
    workdir: Path,
    endpoint: S3Endpoint,
    bucket: str,
    *,
    workers: int = 1,
    public_url: str = "",
    integrity: str = "",
    log_name: str = "backend.log",
) -> Iterator[Backend]:
    """Serve the backend against `endpoint`/`bucket` until the block ends.

    Args:
        workdir: Parent of the backend's data folder and log.
        endpoint: SeaweedFS.
        bucket: The bucket (must exist).
        workers: Uvicorn worker processes.
        public_url: Where presigned URLs point (a counting proxy), default the endpoint itself.
        integrity: The backend's `--integrity` (what storage checks every part against), default
            the backend's own default.
        log_name: File name of its log in `workdir` (several backends run side by side).
    """
    data_dir = workdir / f"backend-{os.getpid()}-{time.monotonic_ns()}"
    data_dir.mkdir(parents=True)
    port = free_port()
    env = backend_env(data_dir, endpoint, bucket, port)
    if public_url:
        env["PROCTOR_BACKEND_S3_PUBLIC_ENDPOINT_URL"] = public_url
    if integrity:
        env["PROCTOR_BACKEND_INTEGRITY"] = integrity
    add_user(env)
    bindir = Path(sys.executable).parent
    argv = [str(bindir / "proctor-backend"), "serve", "--workers", str(max(1, workers))]
    with background(argv, env=env, log_path=workdir / log_name, cwd=ROOT) as proc:
        wait_for_port(port, 60, proc)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url)
        yield Backend(url, USERNAME, PASSWORD, workers, env, proc.pid)


def add_user(env: dict[str, str]) -> None:
    """Create the bench user in the database `env` names."""
    bindir = Path(sys.executable).parent
    subprocess.run(
        [str(bindir / "proctor-backend"), "user", "add", USERNAME, "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )


def wait_healthy(url: str, timeout: float = 60) -> None:
    """Block until `url`/health answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def request_json(
    method: str, url: str, body: dict[str, Any] | None = None, token: str = ""
) -> dict[str, Any]:
    """One JSON request with the standard library (housekeeping only, never measured)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as response:
        payload = response.read()
    return json.loads(payload) if payload else {}


def login(backend: Backend) -> dict[str, Any]:
    """A fresh token pair for the bench user."""
    return request_json(
        "POST",
        f"{backend.api}/auth/login",
        {"username": backend.username, "password": backend.password},
    )


@dataclass(frozen=True, slots=True)
class CliLogin:
    """Our CLI, signed in.

    Attributes:
        home: Its `PROCTOR_UPLOADER_HOME`.
        env: Extra environment it needs (its keyring).
        password: Set when the sign-in could not be remembered (no keyring): every command then
            signs in again with `--password-stdin`, as a user without a keyring would.
    """

    home: Path
    env: dict[str, str]
    password: str | None


def signed_in_home(
    backend: Backend, home: Path, tools: Any, keyring_env: dict[str, str]
) -> CliLogin | None:
    """Sign our CLI in to `backend` with `home` as its home; None if the CLI cannot run here."""
    if importlib.util.find_spec("desktop.cli.main") is None:
        return None
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    env.update(keyring_env)
    env.update({"PROCTOR_UPLOADER_HOME": str(home), "PYTHONPATH": str(ROOT)})
    argv = [tools.python, "-m", "desktop", "login", "--server", backend.url]
    argv += ["--username", backend.username, "--password-stdin"]
    done = subprocess.run(
        argv, input=backend.password + "\n", text=True, env=env, capture_output=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(f"our CLI could not sign in: {done.stdout}{done.stderr}\n")
        return None
    remembered = "remembered" in done.stdout
    return CliLogin(home, dict(keyring_env), None if remembered else backend.password)
