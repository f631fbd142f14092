"""Everything a run talks to, started together on 127.0.0.1 and stopped together.

SeaweedFS (S3, signature-checking), the discard sink (the ceiling), and, when it is available, the
reference backend against that SeaweedFS with a benchmark user, plus a signed-in home for our CLI.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import backend as backend_mod
from benchmarks.procs import background, free_port, wait_for_port
from benchmarks.seaweed import S3Endpoint, s3_client, seaweedfs
from benchmarks.toolchain import ROOT

logger = logging.getLogger(__name__)
BUCKET = "proctor-bench"


@dataclass(frozen=True, slots=True)
class Stack:
    """The running servers.

    Attributes:
        endpoint: SeaweedFS S3.
        bucket: The one bucket every tool writes to.
        sink_url: The discard server.
        backend: The backend, or None when it cannot run here yet.
        workdir: Scratch folder of this run.
        keyring_env: Environment that gives our CLI a keyring (a private Secret Service), or
            the `fail` backend when none could be started.
    """

    endpoint: S3Endpoint
    bucket: str
    sink_url: str
    backend: backend_mod.Backend | None
    workdir: Path
    keyring_env: dict[str, str]


@contextlib.contextmanager
def running_stack(
    workdir: Path, *, with_backend: bool = True, workers: int = 1, tls: bool = False
) -> Iterator[Stack]:
    """Start SeaweedFS, the sink and (if possible) the backend; stop all of them afterwards.

    `workdir` is emptied first: our CLI's home (its queue history), the backend's database and the
    storage all start fresh in every run, as on a new machine.
    """
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        endpoint = stack.enter_context(seaweedfs(workdir, tls=tls))
        client: Any = s3_client(endpoint)
        client.create_bucket(Bucket=BUCKET)
        sink_port = free_port()
        sink = stack.enter_context(
            background(
                [sys.executable, "-m", "benchmarks.sink", "serve", "--port", str(sink_port)],
                log_path=workdir / "sink.log",
                cwd=ROOT,
            )
        )
        wait_for_port(sink_port, 30, sink)
        keyring_env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        backend = None
        if with_backend:
            keyring_env = _keyring(stack)
            reason = backend_mod.unavailable_reason()
            if reason:
                logger.warning("backend not started: %s", reason)
            else:
                backend = stack.enter_context(
                    backend_mod.running_backend(workdir, endpoint, BUCKET, workers=workers)
                )
        sink_url = f"http://127.0.0.1:{sink_port}"
        yield Stack(endpoint, BUCKET, sink_url, backend, workdir, keyring_env)


def _keyring(stack: contextlib.ExitStack) -> dict[str, str]:
    # A real user's sign-in is remembered in the OS keyring; give our CLI a real one (a private
    # gnome-keyring on a private D-Bus), so each upload restores it instead of signing in again.
    try:
        from tests.support.secret_service import private_secret_service

        stack.enter_context(private_secret_service())
    except (ImportError, RuntimeError, OSError) as exc:
        logger.warning("no keyring for our CLI (%s): it will sign in on every command", exc)
        return {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return {
        "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
        "DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"],
    }
