"""Everything a run talks to, started together on 127.0.0.1 and stopped together.

SeaweedFS (S3, signature-checking; plain HTTP, and HTTPS on a second port of the same gateway when
asked), the discard sink (the ceiling), and, when it is available, the reference backend against
that SeaweedFS with a benchmark user. A backend signs URLs for one storage endpoint and one
integrity scheme, so each (transport, integrity) our CLI is measured over gets a backend of its own.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import backend as backend_mod
from benchmarks.procs import background, free_port, wait_for_port
from benchmarks.seaweed import S3Endpoint, s3_client, seaweedfs
from benchmarks.toolchain import ROOT

logger = logging.getLogger(__name__)
BUCKET = "proctor-bench"
TRANSPORTS = ("http", "https")
#: The backend's default `--integrity`, what the product ships (issue 12).
DEFAULT_INTEGRITY = "crc64nvme"
#: A backend's place in a run: the transport its URLs point at, and its `--integrity`.
Lane = tuple[str, str]
PRIMARY: Lane = ("http", DEFAULT_INTEGRITY)


@dataclass(frozen=True, slots=True)
class Stack:
    """The running servers.

    Attributes:
        endpoint: SeaweedFS S3 over plain HTTP (the sections that compare no transports).
        bucket: The one bucket every tool writes to.
        sink_url: The discard server.
        backend: The backend over plain HTTP with the default integrity and the run's workers,
            or None when it cannot run here yet.
        workdir: Scratch folder of this run.
        keyring_env: Environment that gives our CLI a keyring (a private Secret Service), or
            the `fail` backend when none could be started.
        endpoints: The same storage by transport (`http`, and `https` when served).
        backends: Every backend by lane (transport, integrity), `backend` included under PRIMARY.
    """

    endpoint: S3Endpoint
    bucket: str
    sink_url: str
    backend: backend_mod.Backend | None
    workdir: Path
    keyring_env: dict[str, str]
    endpoints: Mapping[str, S3Endpoint] = field(default_factory=dict)
    backends: Mapping[Lane, backend_mod.Backend] = field(default_factory=dict)


@contextlib.contextmanager
def running_stack(
    workdir: Path,
    *,
    with_backend: bool = True,
    workers: int = 1,
    https: bool = False,
    lanes: Iterable[Lane] = (),
) -> Iterator[Stack]:
    """Start SeaweedFS, the sink and (if possible) the backends; stop all of them afterwards.

    `workdir` is emptied first: our CLI's home (its queue history), the backend's database and the
    storage all start fresh in every run, as on a new machine.

    Args:
        workdir: Scratch folder of the run.
        with_backend: Start the PRIMARY backend (and those of `lanes`).
        workers: Uvicorn workers of the PRIMARY backend (the others serve one CLI: one worker).
        https: Serve S3 over HTTPS too.
        lanes: Further (transport, integrity) backends to start besides PRIMARY.
    """
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        endpoints = stack.enter_context(
            seaweedfs(workdir, https=https or any(t == "https" for t, _ in lanes))
        )
        endpoint = endpoints["http"]
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
        backends: dict[Lane, backend_mod.Backend] = {}
        if with_backend:
            keyring_env = _keyring(stack)
            reason = backend_mod.unavailable_reason()
            if reason:
                logger.warning("backend not started: %s", reason)
            else:
                for lane in dict.fromkeys([PRIMARY, *lanes]):
                    transport, integrity = lane
                    backends[lane] = stack.enter_context(
                        backend_mod.running_backend(
                            workdir,
                            endpoints[transport],
                            BUCKET,
                            workers=workers if lane == PRIMARY else 1,
                            integrity=integrity,
                            log_name=f"backend-{transport}-{integrity}.log",
                        )
                    )
        sink_url = f"http://127.0.0.1:{sink_port}"
        yield Stack(
            endpoint,
            BUCKET,
            sink_url,
            backends.get(PRIMARY),
            workdir,
            keyring_env,
            endpoints,
            backends,
        )


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
