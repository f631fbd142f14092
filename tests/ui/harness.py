"""Builds a real `AppController` for tests: real engine and backend; only OS edges replaced.

The OS edges replaced here: the keep-awake inhibitor (a recorder; the real ones are tested in
tests/unit/test_keepawake.py), the system tray's availability (offscreen has none; tests choose),
and `QApplication.quit` (recorded, so the test's event loop keeps running).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop import wiring
from desktop.auth.credentials import MemoryCredentialStore
from desktop.config import AppConfig, AppPaths
from desktop.engine.retry import Backoff
from desktop.keepawake import KeepAwake
from desktop.log import RecentLogBuffer
from desktop.ui.controller import AppController, Services
from tests.support.backend_server import RunningBackend, run_backend
from tests.support.faultproxy import FaultProxy
from tests.support.storage import S3Endpoint, make_bucket

MIB = 1024 * 1024
PASSWORD = "correct horse battery staple"
FAST = Backoff(base=0.05, cap=0.3)


class RecordingInhibitor:
    """Stands in for the OS sleep inhibitor; records acquire/release."""

    name = "test inhibitor"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            self.calls.append("acquire")

    def release(self) -> None:
        with self._lock:
            self.calls.append("release")


@dataclass
class Harness:
    """A controller with everything it talks to.

    Attributes:
        controller: The app's controller (its window is not shown until `start*`).
        paths: The app's folders (under the test's PROCTOR_UPLOADER_HOME).
        inhibitor: Records keep-awake requests.
        store: The credential store the app's session uses (in memory).
        quits: How often the app asked Qt to quit.
        engine: Settings for the queues the controller creates.
    """

    controller: AppController
    paths: AppPaths
    inhibitor: RecordingInhibitor
    store: MemoryCredentialStore
    quits: list[int] = field(default_factory=list)
    engine: dict[str, Any] = field(default_factory=dict)


#: What the UI tests change in the engine the app builds: small parts, quick retries, short waits.
TEST_TUNING: dict[str, Any] = {
    "part_size": 5 * MIB,
    "backoff": FAST,
    "probe_cap": 0.5,
    "timeout": 10.0,
}


def make_harness(config: AppConfig | None = None, *, tray: bool = False, **engine: Any) -> Harness:
    """A controller with a memory credential store, a real engine factory and a recorded quit."""
    paths = AppPaths.default()
    inhibitor = RecordingInhibitor()
    store = MemoryCredentialStore()
    harness_ref: list[Harness] = []

    services = Services(
        paths=paths,
        session=wiring.auth_session(lambda: harness_ref[0].controller.config, store),
        make_queue=wiring.queue_factory(paths, lambda: {**TEST_TUNING, **harness_ref[0].engine}),
        keep_awake=KeepAwake(reason="test", inhibitors=[inhibitor]),
        log_path=paths.log_dir / "proctor-uploader.log",
        log_buffer=RecentLogBuffer(),
        tray_available=lambda: tray,
        acquire_engine_lock=wiring.engine_lock(paths),
        quit_app=lambda: harness_ref[0].quits.append(1),
    )
    controller = AppController(config or AppConfig(), services)
    harness = Harness(controller, paths, inhibitor, store, engine=dict(engine))
    harness_ref.append(harness)
    return harness


def close_harness(harness: Harness) -> None:
    """Shut the controller down and close its window for good."""
    controller = harness.controller
    controller.shutdown()
    controller.services.session.close()
    controller.window.allow_close()
    controller.window.close()
    controller.window.deleteLater()
    controller.deleteLater()


@dataclass
class UiStack:
    """moto <- storage fault proxy <- (presigned PUTs) ... backend on 127.0.0.1, and an account.

    Attributes:
        backend: The backend (uvicorn in a thread).
        storage_proxy: Every part PUT goes through it (faults can be injected).
        username: A fresh account.
        password: Its password.
    """

    backend: RunningBackend
    storage_proxy: FaultProxy
    username: str
    password: str = PASSWORD

    @property
    def url(self) -> str:
        """The backend's address."""
        return self.backend.url


@contextmanager
def ui_stack(endpoint: S3Endpoint, data_dir: Path, **backend_settings: Any) -> Iterator[UiStack]:
    """Start a storage proxy and a backend presigning against it; stop both afterwards."""
    with ExitStack() as stack:
        proxy = stack.enter_context(FaultProxy(endpoint.endpoint_url))
        settings: dict[str, Any] = {
            "s3_public_endpoint_url": proxy.url,
            "default_part_size": 5 * MIB,
        }
        settings.update(backend_settings)
        backend = stack.enter_context(
            run_backend(endpoint, bucket=make_bucket(endpoint), data_dir=data_dir, **settings)
        )
        backend.add_user("proctor", PASSWORD)
        yield UiStack(backend=backend, storage_proxy=proxy, username="proctor")


def write_recording(path: Path, size: int) -> Path:
    """A file of `size` random bytes (a stand-in for a video)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        left = size
        while left:
            chunk = os.urandom(min(left, 1 << 20))
            handle.write(chunk)
            left -= len(chunk)
    return path


def signed_in_config(stack: UiStack, **changes: Any) -> AppConfig:
    """Settings pointing at `stack`, with `changes`."""
    return dataclasses.replace(
        AppConfig(), server_url=stack.url, username=stack.username, **changes
    )
