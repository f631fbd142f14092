"""API client tests: the real backend (shared fixtures), plus small real servers that misbehave."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fixtures import account, api_backend, moto_s3
from tests.unit.api.servers import CannedServer, tls_server

__all__ = ["account", "api_backend", "moto_s3"]


@pytest.fixture
def canned() -> Iterator[CannedServer]:
    """A plain-HTTP canned server."""
    server = CannedServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def tls_server_ok(tmp_path: Path) -> Iterator[tuple[CannedServer, Path]]:
    """An HTTPS canned server, self-signed certificate for 127.0.0.1; yields (server, cert)."""
    server, cert = tls_server(tmp_path, names=["localhost"], ips=["127.0.0.1"])
    try:
        yield server, cert
    finally:
        server.close()


@pytest.fixture
def tls_server_wrong_name(tmp_path: Path) -> Iterator[tuple[CannedServer, Path]]:
    """An HTTPS canned server whose certificate names only ``other.example``."""
    server, cert = tls_server(tmp_path, names=["other.example"], ips=[])
    try:
        yield server, cert
    finally:
        server.close()
