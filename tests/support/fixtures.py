"""Reusable pytest fixtures over the real-server helpers in ``tests/support``.

Use them from a test folder's ``conftest.py`` by importing them (works at any depth)::

    from tests.support.fixtures import secret_service_keyring, use_secret_service  # noqa: F401

or with ``pytest_plugins = ["tests.support.fixtures"]`` in the top-level ``tests/conftest.py``
(pytest refuses ``pytest_plugins`` in nested conftest files when the whole suite runs).
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend

from tests.support.secret_service import clear_default_collection, private_secret_service


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
