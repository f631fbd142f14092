"""Reusable pytest fixtures over the real-server helpers in ``tests/support``.

Use them from a test folder's ``conftest.py`` by importing them (works at any depth)::

    from tests.support.fixtures import secret_service_keyring, use_secret_service  # noqa: F401

or with ``pytest_plugins = ["tests.support.fixtures"]`` in the top-level ``tests/conftest.py``
(pytest refuses ``pytest_plugins`` in nested conftest files when the whole suite runs).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from tests.support.backend_server import RunningBackend, run_backend
from tests.support.postgres import PostgresServer, postgres_bin, postgres_server
from tests.support.secret_service import clear_default_collection, private_secret_service
from tests.support.storage import S3Endpoint, make_bucket, moto_server

#: The password of every account made by the ``account`` fixture.
ACCOUNT_PASSWORD = "correct horse battery staple"
_account_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster for the session (skipped if the server is not installed).

    Its folder is outside pytest's temporary tree: that tree is private to the test user, and the
    server runs as the `postgres` user when the tests run as root.
    """
    if postgres_bin() is None:
        pytest.skip("PostgreSQL server not installed (Debian package postgresql; ./dev setup)")
    workdir = Path(tempfile.mkdtemp(prefix="proctor-pg-"))
    try:
        with postgres_server(workdir) as server:
            yield server
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def secret_service_keyring() -> Iterator[KeyringBackend]:
    """A real Secret Service keyring (private gnome-keyring, private D-Bus), one per session."""
    with private_secret_service() as backend:
        yield backend


@pytest.fixture
def use_secret_service(secret_service_keyring: KeyringBackend) -> Iterator[KeyringBackend]:
    """Make the private Secret Service the keyring default for one test; emptied afterwards.

    Code that calls ``keyring.get_keyring()`` (``KeyringCredentialStore()`` with no backend) then
    uses it.
    """
    previous = keyring.get_keyring()
    keyring.set_keyring(secret_service_keyring)
    try:
        yield secret_service_keyring
    finally:
        keyring.set_keyring(previous)
        clear_default_collection()


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[S3Endpoint]:
    """One moto S3 server (real HTTP on 127.0.0.1) for the whole session."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def api_backend(
    moto_s3: S3Endpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningBackend]:
    """The reference backend under uvicorn on 127.0.0.1, against moto, shared by a test module.

    Tests that share it make their own accounts (``account``), so they never see each other's
    uploads, tokens or sign-in throttling.
    """
    bucket = make_bucket(moto_s3)
    with run_backend(
        moto_s3, bucket=bucket, data_dir=tmp_path_factory.mktemp("backend")
    ) as running:
        yield running


@pytest.fixture
def account(api_backend: RunningBackend) -> tuple[str, str]:
    """A fresh account on ``api_backend``: ``(username, password)``."""
    name = f"proctor{next(_account_numbers)}"
    api_backend.add_user(name, ACCOUNT_PASSWORD)
    return name, ACCOUNT_PASSWORD
