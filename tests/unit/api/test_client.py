"""ApiClient over real HTTP: the reference backend on 127.0.0.1 (moto storage), a fault proxy in
front of it, canned servers for odd answers, and a self-signed HTTPS server."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from desktop.api.client import ApiClient
from desktop.api.models import UploadReceipt
from desktop.errors import (
    AuthError,
    BackendError,
    InsecureServerError,
    InvalidServerUrlError,
    NetworkError,
    TlsError,
    TooManyAttemptsError,
    UploadNotFoundError,
)
from tests.support.backend_server import RunningBackend
from tests.support.checksums import crc64nvme
from tests.support.faultproxy import FaultProxy
from tests.support.faultrules import Rule, internal_error, reset_after, respond, slow_down, stall
from tests.unit.api.servers import Answer, CannedServer

pytestmark = pytest.mark.integration

META = {"exam_id": "exam-42", "kind": "webcam"}


class Tokens:
    """A TokenProvider scripted by the test: what access_token() returns, what refresh() gives."""

    def __init__(self, access: str | None, refreshed: list[str]) -> None:
        self.access = access
        self.refreshed = list(refreshed)
        self.refresh_calls = 0

    def access_token(self) -> str | None:
        return self.access

    def refresh(self) -> str:
        self.refresh_calls += 1
        if not self.refreshed:
            raise AuthError("no more tokens")
        self.access = self.refreshed.pop(0)
        return self.access


def signed_in(backend: RunningBackend, account: tuple[str, str]) -> ApiClient:
    """A client with a valid access token for ``account``."""
    token = backend.login(*account)["access_token"]
    return ApiClient(backend.url, tokens=Tokens(token, []))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- auth -----------------------------------------------------------------------------------------


def test_health(api_backend: RunningBackend) -> None:
    with ApiClient(api_backend.url + "/") as client:
        assert client.server_url == api_backend.url
        assert client.health()["status"] == "ok"


def test_login_then_me(api_backend: RunningBackend, account: tuple[str, str]) -> None:
    with ApiClient(api_backend.url) as anonymous:
        pair = anonymous.login(*account)
    assert pair.expires_in > 0
    assert pair.access_token != pair.refresh_token
    assert pair.access_token not in repr(pair)
    with ApiClient(api_backend.url, tokens=Tokens(pair.access_token, [])) as client:
        me = client.me()
    assert (me.username, me.role) == (account[0], "user")


def test_wrong_password_is_an_auth_error(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    with ApiClient(api_backend.url) as client, pytest.raises(AuthError) as info:
        client.login(account[0], "not the password")
    assert type(info.value) is AuthError
    assert info.value.title == "Sign-in failed"
    assert "not correct" in info.value.message
    assert not info.value.retryable


def test_repeated_failures_are_too_many_attempts(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    limit = api_backend.settings.login_max_failures
    with ApiClient(api_backend.url) as client:
        for _ in range(limit):
            with pytest.raises(AuthError) as info:
                client.login(account[0], "wrong")
            assert type(info.value) is AuthError
        with pytest.raises(TooManyAttemptsError) as throttled:
            client.login(*account)  # even the right password waits now
    assert throttled.value.retry_after is not None
    assert throttled.value.retry_after > 0
    assert "Try again in about" in throttled.value.message


def test_refresh_rotates_and_reuse_revokes_the_family(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    with ApiClient(api_backend.url) as client:
        first = client.login(*account)
        second = client.refresh(first.refresh_token)
        assert second.refresh_token != first.refresh_token
        with pytest.raises(AuthError, match="sign in again"):
            client.refresh(first.refresh_token)  # reuse of a rotated token ...
        with pytest.raises(AuthError):
            client.refresh(second.refresh_token)  # ... revoked the newer one too


def test_logout_revokes_the_refresh_token(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    with ApiClient(api_backend.url) as client:
        pair = client.login(*account)
        client.logout(pair.refresh_token)
        with pytest.raises(AuthError):
            client.refresh(pair.refresh_token)


def test_401_refreshes_once_and_retries(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    good = api_backend.login(*account)["access_token"]
    tokens = Tokens("stale-token", [good])
    with ApiClient(api_backend.url, tokens=tokens) as client:
        assert client.me().username == account[0]
        assert tokens.refresh_calls == 1
        assert client.me().username == account[0]
        assert tokens.refresh_calls == 1  # the new token is used from now on


def test_still_401_after_refresh_is_an_auth_error(api_backend: RunningBackend) -> None:
    tokens = Tokens("stale-token", ["also-stale", "never-used"])
    with ApiClient(api_backend.url, tokens=tokens) as client, pytest.raises(AuthError):
        client.me()
    assert tokens.refresh_calls == 1


def test_refresh_failure_propagates_as_auth_error(api_backend: RunningBackend) -> None:
    tokens = Tokens("stale-token", [])
    with (
        ApiClient(api_backend.url, tokens=tokens) as client,
        pytest.raises(AuthError, match="no more tokens"),
    ):
        client.list_uploads()
    assert tokens.refresh_calls == 1


def test_missing_access_token_refreshes_first(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    tokens = Tokens(None, [api_backend.login(*account)["access_token"]])
    with ApiClient(api_backend.url, tokens=tokens) as client:
        assert client.me().username == account[0]
    assert tokens.refresh_calls == 1


def test_token_refreshed_by_another_thread_is_reused(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    good = api_backend.login(*account)["access_token"]

    class Racing(Tokens):
        """Another thread refreshes while the first request is in flight."""

        def __init__(self) -> None:
            super().__init__("stale-token", [])
            self.reads = 0

        def access_token(self) -> str | None:
            self.reads += 1
            return "stale-token" if self.reads == 1 else good

    tokens = Racing()
    with ApiClient(api_backend.url, tokens=tokens) as client:
        assert client.me().username == account[0]
    assert tokens.refresh_calls == 0


def test_no_token_provider_means_not_signed_in(api_backend: RunningBackend) -> None:
    with ApiClient(api_backend.url) as client, pytest.raises(AuthError, match="not signed in"):
        client.me()


# -- uploads --------------------------------------------------------------------------------------


def test_full_upload_flow(
    api_backend: RunningBackend, account: tuple[str, str], tmp_path: Path
) -> None:
    data = b"recording bytes " * 1000
    sha = hashlib.sha256(data).hexdigest()
    with signed_in(api_backend, account) as client:
        created = client.create_upload(
            filename="cam 1.webm",
            size=len(data),
            content_type="video/webm",
            metadata=META,
            sha256=sha,
        )
        assert created.part_count == 1
        assert created.key.startswith("recordings/webcam/")
        assert f"/exam-42/{account[0]}/cam" in created.key
        assert created.checksum_algorithm == "CRC64NVME"
        crc = crc64nvme(data)
        signed = client.sign_parts(created.upload_id, [1], checksums={1: crc})
        assert [p.part_number for p in signed.parts] == [1]
        part = signed.parts[0]
        put = requests.put(part.url, data=data, headers=part.headers, timeout=30)
        assert put.status_code == 200
        etag = put.headers["ETag"].strip('"')
        assert etag == hashlib.md5(data).hexdigest()

        remote = client.list_parts(created.upload_id)
        assert [(p.part_number, p.etag, p.size, p.checksum) for p in remote] == [
            (1, etag, len(data), crc)
        ]

        def complete() -> UploadReceipt:
            return client.complete(
                created.upload_id, [(1, etag)], sha256=sha, checksums={1: crc}, checksum=crc
            )

        receipt = complete()
        assert (receipt.upload_id, receipt.key, receipt.size) == (
            created.upload_id,
            created.key,
            len(data),
        )
        assert receipt.sha256 == sha
        assert receipt.etag.endswith("-1")
        assert (receipt.checksum_algorithm, receipt.checksum) == ("CRC64NVME", crc)
        assert complete() == receipt  # idempotent

        page = client.list_uploads(status="completed")
        assert [u.upload_id for u in page.items] == [created.upload_id]
        assert page.items[0].status == "completed"
        assert page.items[0].key == created.key
        assert (page.items[0].exam_id, page.items[0].kind) == ("exam-42", "webcam")
        assert page.items[0].username == account[0]


def test_sign_parts_splits_batches_over_the_server_limit(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    with signed_in(api_backend, account) as client:
        created = client.create_upload(
            filename="long.mp4",
            size=150 * 5 * 1024 * 1024,
            content_type="video/mp4",
            metadata=META,
            part_size=5 * 1024 * 1024,
        )
        assert created.part_count == 150
        sums = {n: crc64nvme(n.to_bytes(2, "big")) for n in range(1, 151)}
        signed = client.sign_parts(created.upload_id, range(1, 151), checksums=sums)
        assert [p.part_number for p in signed.parts] == list(range(1, 151))
        assert all("X-Amz-Signature" in p.url for p in signed.parts)
        assert all(p.url not in repr(p) for p in signed.parts)
        assert all(
            p.headers == {"x-amz-checksum-crc64nvme": sums[p.part_number]} for p in signed.parts
        )
        client.abort(created.upload_id)


def test_aborted_and_unknown_uploads_are_not_found(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    with signed_in(api_backend, account) as client:
        created = client.create_upload(
            filename="a.mp4", size=10, content_type="video/mp4", metadata=META
        )
        client.abort(created.upload_id)
        with pytest.raises(UploadNotFoundError) as info:
            client.sign_parts(created.upload_id, [1])
        assert info.value.status == 404
        assert info.value.code == "upload_not_found"
        with pytest.raises(UploadNotFoundError):
            client.list_parts("no-such-upload")
        with pytest.raises(UploadNotFoundError):
            client.complete("../../etc/passwd", [(1, "x")])  # an odd id stays one path segment


def test_someone_elses_upload_is_not_found(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    api_backend.add_user(account[0] + "-other", account[1])
    with signed_in(api_backend, account) as mine:
        created = mine.create_upload(
            filename="a.mp4", size=10, content_type="video/mp4", metadata=META
        )
    with signed_in(api_backend, (account[0] + "-other", account[1])) as theirs:
        with pytest.raises(UploadNotFoundError):
            theirs.list_parts(created.upload_id)
        with pytest.raises(UploadNotFoundError):
            theirs.abort(created.upload_id)


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"metadata": {"exam_id": "e", "kind": "bogus"}}, 422),
        ({"size": -1}, 422),
        ({"filename": "../escape.mp4"}, 422),
        ({"size": 10**20}, 422),
    ],
    ids=["unknown-kind", "negative-size", "path-traversal", "too-large"],
)
def test_invalid_requests_are_clear_backend_errors(
    api_backend: RunningBackend, account: tuple[str, str], changes: dict[str, object], status: int
) -> None:
    args: dict[str, object] = {
        "filename": "a.mp4",
        "size": 10,
        "content_type": "video/mp4",
        "metadata": META,
    }
    args.update(changes)
    with signed_in(api_backend, account) as client, pytest.raises(BackendError) as info:
        client.create_upload(**args)  # type: ignore[arg-type]
    error = info.value
    assert type(error) is BackendError
    assert 400 <= error.status < 500
    assert error.code
    assert not error.retryable
    assert error.message.startswith("The server refused the request (")


def test_part_numbers_out_of_range_are_refused(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    with signed_in(api_backend, account) as client:
        created = client.create_upload(
            filename="a.mp4", size=10, content_type="video/mp4", metadata=META
        )
        with pytest.raises(BackendError) as info:
            client.sign_parts(created.upload_id, [2])
    assert info.value.status == 422
    assert "between 1 and 1" in info.value.message


def test_list_uploads_pages_with_a_cursor(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    with signed_in(api_backend, account) as client:
        ids = {
            client.create_upload(
                filename=f"f{n}.mp4", size=10, content_type="video/mp4", metadata=META
            ).upload_id
            for n in range(3)
        }
        first = client.list_uploads(limit=2)
        assert len(first.items) == 2
        assert first.next_cursor is not None
        second = client.list_uploads(limit=2, cursor=first.next_cursor)
        assert second.next_cursor is None
        assert {u.upload_id for u in first.items + second.items} == ids
        assert all(u.status == "in_progress" for u in first.items + second.items)


# -- faults between the client and the backend ----------------------------------------------------


@pytest.fixture
def proxy(api_backend: RunningBackend) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=api_backend.url) as running:
        yield running


@pytest.mark.parametrize(
    ("action", "status"),
    [(internal_error(), 500), (respond(502, b"bad gateway"), 502), (slow_down(), 503)],
    ids=["500", "502", "503"],
)
def test_server_errors_are_retryable_backend_errors(
    proxy: FaultProxy, action: object, status: int
) -> None:
    proxy.add_rule(Rule(action=action, path="/health"))  # type: ignore[arg-type]
    with ApiClient(proxy.url) as client, pytest.raises(BackendError) as info:
        client.health()
    assert info.value.status == status
    assert info.value.retryable
    assert info.value.code == f"http_{status}"


def test_storage_unavailable_keeps_the_backend_code_and_retry_after(
    api_backend: RunningBackend, account: tuple[str, str], moto_s3: object, proxy: FaultProxy
) -> None:
    proxy.add_rule(
        Rule(
            action=respond(
                503,
                b'{"error": {"code": "storage_unavailable", "message": "Storage is down."}}',
                content_type="application/json",
            ),
            method="POST",
            path="/uploads$",
        )
    )
    token = api_backend.login(*account)["access_token"]
    with (
        ApiClient(proxy.url, tokens=Tokens(token, [])) as client,
        pytest.raises(BackendError) as info,
    ):
        client.create_upload(filename="a.mp4", size=1, content_type="video/mp4", metadata=META)
    assert (info.value.status, info.value.code, info.value.retryable) == (
        503,
        "storage_unavailable",
        True,
    )
    assert "Storage is down." in info.value.message


def test_connection_reset_is_a_network_error(proxy: FaultProxy, account: tuple[str, str]) -> None:
    proxy.add_rule(Rule(action=reset_after(0), path="/auth/login"))
    with ApiClient(proxy.url) as client, pytest.raises(NetworkError) as info:
        client.login(*account)
    assert info.value.retryable
    assert account[1] not in info.value.message


def test_a_silent_server_times_out(proxy: FaultProxy) -> None:
    proxy.add_rule(Rule(action=stall(5), path="/health"))
    with ApiClient(proxy.url, timeout=0.5) as client, pytest.raises(NetworkError) as info:
        client.health()
    assert info.value.title in ("Server not answering", "Connection dropped")
    assert info.value.retryable


def test_network_down_then_up(proxy: FaultProxy) -> None:
    with ApiClient(proxy.url) as client:
        proxy.network_down(refuse=True)
        with pytest.raises(NetworkError) as info:
            client.health()
        assert info.value.title == "Server not reachable"
        proxy.network_up()
        assert client.health()["status"] == "ok"


def test_html_error_page_means_wrong_server(proxy: FaultProxy) -> None:
    proxy.add_rule(Rule(action=respond(404, b"<html>nope</html>", content_type="text/html")))
    with ApiClient(proxy.url) as client, pytest.raises(BackendError) as info:
        client.health()
    assert info.value.title == "Not a Proctor Uploader server"


# -- canned answers -------------------------------------------------------------------------------


def test_non_json_success_is_an_invalid_response(canned: CannedServer) -> None:
    canned.answer = Answer(200, b"<html>welcome</html>", {"Content-Type": "text/html"})
    with ApiClient(canned.url) as client, pytest.raises(BackendError) as info:
        client.health()
    assert info.value.code == "invalid_response"


def test_wrong_json_shape_is_an_invalid_response(canned: CannedServer) -> None:
    canned.answer = Answer(200, b'{"token": 1}')
    with ApiClient(canned.url) as client, pytest.raises(BackendError) as info:
        client.login("u", "p")
    assert info.value.code == "invalid_response"
    canned.answer = Answer(200, b"[1, 2]")
    with ApiClient(canned.url) as client, pytest.raises(BackendError):
        client.health()


def test_redirects_are_not_followed(canned: CannedServer) -> None:
    canned.answer = Answer(
        301, b"", {"Location": "https://elsewhere.example/api/v1/auth/login?session=secret"}
    )
    with ApiClient(canned.url) as client, pytest.raises(BackendError) as info:
        client.login("u", "p")
    assert info.value.code == "redirected"
    assert "https://elsewhere.example/api/v1/auth/login" in info.value.message
    assert "secret" not in info.value.message
    assert len(canned.requests) == 1


def test_login_429_carries_retry_after(canned: CannedServer) -> None:
    canned.answer = Answer(
        429,
        b'{"error": {"code": "too_many_attempts", "message": "Slow down."}}',
        {"Content-Type": "application/json", "Retry-After": "120"},
    )
    with ApiClient(canned.url) as client, pytest.raises(TooManyAttemptsError) as info:
        client.login("u", "p")
    assert info.value.retry_after == 120
    assert "about 2 minute(s)" in info.value.message


def test_bearer_token_and_user_agent_are_sent(canned: CannedServer) -> None:
    canned.answer = Answer(200, b'{"username": "u", "role": "user"}')
    with ApiClient(canned.url, tokens=Tokens("tok-123", [])) as client:
        client.me()
    method, path, headers = canned.requests[0]
    assert (method, path) == ("GET", "/api/v1/me")
    assert headers["Authorization"] == "Bearer tok-123"
    assert headers["User-Agent"].startswith("proctor-uploader/")


# -- addresses and TLS ----------------------------------------------------------------------------


def test_unreachable_server() -> None:
    with (
        ApiClient(f"http://127.0.0.1:{closed_port()}") as client,
        pytest.raises(NetworkError) as info,
    ):
        client.health()
    assert info.value.title == "Server not reachable"
    assert info.value.retryable


def test_unknown_host_name() -> None:
    with (
        ApiClient("https://proctor-uploader.invalid") as client,
        pytest.raises(NetworkError) as info,
    ):
        client.health()
    assert info.value.title == "Server not found"


def test_bad_addresses_are_refused_before_any_request() -> None:
    with pytest.raises(InvalidServerUrlError):
        ApiClient("ftp://uploads.example.edu")
    with pytest.raises(InsecureServerError):
        ApiClient("http://uploads.example.edu")
    assert ApiClient("http://uploads.example.edu", allow_insecure_http=True).server_url == (
        "http://uploads.example.edu"
    )


def test_self_signed_certificate_is_a_tls_error(tls_server_ok: tuple[CannedServer, Path]) -> None:
    server, _ = tls_server_ok
    with ApiClient(server.url) as client, pytest.raises(TlsError) as info:
        client.health()
    assert not info.value.retryable
    assert "CA bundle" in info.value.message
    assert server.requests == []


def test_a_ca_bundle_makes_the_certificate_trusted(
    tls_server_ok: tuple[CannedServer, Path],
) -> None:
    server, cert = tls_server_ok
    with ApiClient(server.url, ca_bundle=str(cert)) as client:
        assert client.health()["status"] == "ok"


def test_certificate_for_another_name_is_a_tls_error(
    tls_server_wrong_name: tuple[CannedServer, Path],
) -> None:
    server, cert = tls_server_wrong_name
    with ApiClient(server.url, ca_bundle=str(cert)) as client, pytest.raises(TlsError) as info:
        client.health()
    assert "different name" in info.value.message


def test_https_to_a_plain_http_port_is_a_tls_error(canned: CannedServer) -> None:
    with ApiClient(canned.url.replace("http://", "https://")) as client, pytest.raises(TlsError):
        client.health()


def test_missing_ca_bundle_is_reported_at_construction(tmp_path: Path) -> None:
    with pytest.raises(TlsError, match="does not exist"):
        ApiClient("https://uploads.example.edu", ca_bundle=str(tmp_path / "missing.pem"))


def test_checksums_are_bound_into_the_signature(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    data = b"x" * 1000
    crc = crc64nvme(data)
    with signed_in(api_backend, account) as client:
        created = client.create_upload(
            filename="c.mp4", size=len(data), content_type="video/mp4", metadata=META
        )
        signed = client.sign_parts(created.upload_id, [1], checksums={1: crc})
        part = signed.parts[0]
        assert part.headers == {"x-amz-checksum-crc64nvme": crc}
        put = requests.put(part.url, data=data, headers=part.headers, timeout=30)
        assert put.status_code == 200
        client.abort(created.upload_id)


def test_proxies_from_the_environment_are_used(
    canned: CannedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", canned.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    # 127.0.0.2 serves nothing: only the proxy can answer.
    with ApiClient(f"http://127.0.0.2:{closed_port()}") as client:
        assert client.health()["status"] == "ok"
    method, target, _ = canned.requests[0]
    assert (method, target) == ("GET", f"{client.server_url}/api/v1/health")


def test_all_proxy_serves_a_scheme_without_its_own(
    canned: CannedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", canned.url)
    with ApiClient(f"http://127.0.0.2:{closed_port()}") as client:
        assert client.health()["status"] == "ok"
    assert canned.requests[0][1] == f"{client.server_url}/api/v1/health"


def test_no_proxy_address_ranges_bypass_the_proxy(
    canned: CannedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")  # nothing listens
    monkeypatch.setenv("NO_PROXY", "uploads.example, 10.0.0.0/8 ,127.0.0.0/24")
    monkeypatch.delenv("no_proxy", raising=False)
    with ApiClient(canned.url) as client:
        assert client.health()["status"] == "ok"
    assert canned.requests[0][1] == "/api/v1/health"


def test_an_unreachable_proxy_is_a_network_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with ApiClient("http://127.0.0.2:8000") as client, pytest.raises(NetworkError) as info:
        client.health()
    assert "proxy" in info.value.message


def test_a_body_cut_off_is_a_network_error(canned: CannedServer) -> None:
    canned.answer = Answer(200, b'{"status": "o', truncate=True)
    with ApiClient(canned.url) as client, pytest.raises(NetworkError) as info:
        client.health()
    assert info.value.retryable


def test_empty_and_malformed_answers(canned: CannedServer) -> None:
    canned.answer = Answer(204, b"")
    with ApiClient(canned.url) as client, pytest.raises(BackendError, match="empty answer"):
        client.health()
    canned.answer = Answer(200, b'{"parts": 5}')
    with (
        ApiClient(canned.url, tokens=Tokens("t", [])) as client,
        pytest.raises(BackendError, match="malformed"),
    ):
        client.list_parts("u1")


def test_a_ca_bundle_removed_after_start_is_a_tls_error(
    tls_server_ok: tuple[CannedServer, Path], tmp_path: Path
) -> None:
    server, cert = tls_server_ok
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(cert.read_bytes())
    with ApiClient(server.url, ca_bundle=str(bundle)) as client:
        assert client.health()["status"] == "ok"
        bundle.unlink()
        with pytest.raises(TlsError, match="cannot be read"):
            client.health()
