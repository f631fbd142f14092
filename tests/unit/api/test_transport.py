"""The API's HTTP transport over real sockets: kept-alive connections (and replacing one the server
closed), the CA bundle variables, and https through a CONNECT proxy with credentials."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from desktop.api.client import ApiClient
from desktop.api.transport import api_ca_bundle
from desktop.errors import TlsError
from tests.support.connectproxy import connect_proxy
from tests.support.faultproxy import FaultProxy
from tests.unit.api.servers import CannedServer


@pytest.fixture
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_proxy_variables")
def test_one_kept_alive_connection_serves_consecutive_calls(canned: CannedServer) -> None:
    with FaultProxy(canned.url.removeprefix("http://")) as proxy, ApiClient(proxy.url) as client:
        for _ in range(3):
            assert client.health()["status"] == "ok"
        assert proxy.stats().connections == 1


@pytest.mark.usefixtures("no_proxy_variables")
def test_a_connection_the_server_closed_while_idle_is_replaced(canned: CannedServer) -> None:
    with FaultProxy(canned.url.removeprefix("http://")) as proxy, ApiClient(proxy.url) as client:
        assert client.health()["status"] == "ok"
        proxy.drop_connections()  # the server side ends the idle kept-alive connection
        assert client.health()["status"] == "ok"
        assert proxy.stats().connections == 2


@pytest.mark.usefixtures("no_proxy_variables")
def test_the_ca_bundle_variables_are_honoured_in_requests_order(
    tls_server_ok: tuple[CannedServer, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server, cert = tls_server_ok
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.setenv("CURL_CA_BUNDLE", str(cert))
    assert api_ca_bundle() == (str(cert), "CURL_CA_BUNDLE")
    with ApiClient(server.url) as client:
        assert client.health()["status"] == "ok"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with ApiClient(server.url) as client, pytest.raises(TlsError, match="cannot be read"):
        client.health()
    # The bundle set in Settings wins over both variables.
    with ApiClient(server.url, ca_bundle=str(cert)) as client:
        assert client.health()["status"] == "ok"


@pytest.mark.usefixtures("no_proxy_variables")
def test_https_goes_through_a_connect_tunnel_and_checks_the_server_certificate(
    tls_server_ok: tuple[CannedServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_server_ok
    with connect_proxy() as (proxy_url, heads):
        monkeypatch.setenv("HTTPS_PROXY", proxy_url)
        with ApiClient(server.url, ca_bundle=str(cert)) as client:
            assert client.health()["status"] == "ok"
        with ApiClient(server.url) as client, pytest.raises(TlsError):
            client.health()  # certifi's bundle does not trust the self-signed certificate
    netloc = server.url.removeprefix("https://")
    assert heads[0].startswith(f"CONNECT {netloc} ".encode())
    credentials = base64.b64encode(b"proctor:s@cret").decode()
    assert f"Proxy-Authorization: Basic {credentials}".encode() in heads[0]
    assert len(server.requests) == 1  # the second was refused before any request was sent
