"""AuthSession against the real backend over HTTP, with memory, keyring and failing stores."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from keyring.backend import KeyringBackend

from desktop.api.client import ApiClient
from desktop.api.models import TokenPair
from desktop.auth.credentials import KeyringCredentialStore, MemoryCredentialStore
from desktop.auth.session import AuthSession
from desktop.errors import (
    AuthError,
    CredentialStoreError,
    InsecureServerError,
    NetworkError,
    TooManyAttemptsError,
)
from tests.support.backend_server import RunningBackend, run_backend
from tests.support.storage import S3Endpoint, free_port, make_bucket

pytestmark = pytest.mark.integration


class CountingClient(ApiClient):
    """A real ApiClient that counts the refresh calls it sends."""

    refreshes = 0
    lock = threading.Lock()

    def refresh(self, refresh_token: str) -> TokenPair:
        with CountingClient.lock:
            CountingClient.refreshes += 1
        return super().refresh(refresh_token)


@pytest.fixture(autouse=True)
def _reset_counter() -> None:
    CountingClient.refreshes = 0


class FlakyStore(MemoryCredentialStore):
    """A store whose saves start failing after ``ok_saves`` (a keyring that got locked)."""

    def __init__(self, ok_saves: int) -> None:
        super().__init__()
        self.ok_saves = ok_saves

    def save(self, server_url: str, username: str, refresh_token: str) -> None:
        if self.ok_saves <= 0:
            raise CredentialStoreError("locked", title="Password store locked")
        self.ok_saves -= 1
        super().save(server_url, username, refresh_token)


def refresh_is_refused(backend: RunningBackend, token: str) -> bool:
    """Whether the backend refuses ``token`` (a refused token is dead, so nothing is revoked)."""
    answer = requests.post(backend.api + "/auth/refresh", json={"refresh_token": token}, timeout=30)
    return answer.status_code == 401


def session_with(store: object, **kwargs: object) -> AuthSession:
    return AuthSession(store=store, api_factory=CountingClient, **kwargs)  # type: ignore[arg-type]


# -- sign in --------------------------------------------------------------------------------------


def test_sign_in_remembered(api_backend: RunningBackend, account: tuple[str, str]) -> None:
    store = MemoryCredentialStore()
    session = session_with(store)
    session.sign_in(api_backend.url + "/", *account, remember=True)

    assert session.is_signed_in
    assert session.remembered
    assert (session.server_url, session.username) == (api_backend.url, account[0])
    assert session.access_token() is not None
    stored = store.load(api_backend.url, account[0])
    assert stored is not None
    assert session.api().me().username == account[0]
    assert session.api() is session.api()
    session.close()


def test_sign_in_session_only_forgets_an_earlier_remembered_token(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    store = MemoryCredentialStore()
    store.save(api_backend.url, account[0], "an-old-remembered-token")
    session = session_with(store)
    session.sign_in(api_backend.url, *account, remember=False)
    assert session.is_signed_in
    assert not session.remembered
    assert store.load(api_backend.url, account[0]) is None


def test_wrong_password_changes_nothing(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    store = MemoryCredentialStore()
    session = session_with(store)
    with pytest.raises(AuthError, match="not correct"):
        session.sign_in(api_backend.url, account[0], "wrong", remember=True)
    assert not session.is_signed_in
    assert session.server_url is None
    assert store.load(api_backend.url, account[0]) is None
    with pytest.raises(AuthError):
        session.api()


def test_too_many_attempts(api_backend: RunningBackend, account: tuple[str, str]) -> None:
    session = session_with(MemoryCredentialStore())
    for _ in range(api_backend.settings.login_max_failures):
        with pytest.raises(AuthError):
            session.sign_in(api_backend.url, account[0], "wrong", remember=False)
    with pytest.raises(TooManyAttemptsError):
        session.sign_in(api_backend.url, *account, remember=False)
    assert not session.is_signed_in


def test_insecure_address_is_refused_before_any_request(account: tuple[str, str]) -> None:
    session = session_with(MemoryCredentialStore())
    with pytest.raises(InsecureServerError):
        session.sign_in("http://uploads.example.edu", *account, remember=False)


def test_remember_without_a_keyring_sends_nothing(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    # The process default keyring is keyring.backends.fail (tests/conftest.py). Nothing listens
    # at the address: had the password been sent, this would be a NetworkError.
    session = session_with(KeyringCredentialStore())
    with pytest.raises(CredentialStoreError) as info:
        session.sign_in(f"http://127.0.0.1:{free_port()}", *account, remember=True)
    assert "this session only" in info.value.message
    with pytest.raises(CredentialStoreError):
        session.check_remembering()
    assert not session.is_signed_in
    assert not session.is_signed_in
    assert session.access_token() is None
    # The session-only sign-in the app then offers:
    session.sign_in(api_backend.url, *account, remember=False)
    assert session.is_signed_in
    assert session.api().me().username == account[0]


def test_a_keyring_that_refuses_the_token_after_sign_in_revokes_it(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    # The keyring looked usable but refused the save (a dismissed unlock prompt): nothing is kept.
    session = session_with(FlakyStore(ok_saves=0))
    with pytest.raises(CredentialStoreError):
        session.sign_in(api_backend.url, *account, remember=True)
    assert not session.is_signed_in
    assert session.access_token() is None


def test_remembered_in_a_real_secret_service(
    api_backend: RunningBackend, account: tuple[str, str], use_secret_service: KeyringBackend
) -> None:
    store = KeyringCredentialStore()
    first = session_with(store)
    first.sign_in(api_backend.url, *account, remember=True)
    assert store.load(api_backend.url, account[0]) is not None

    # Next start of the app: a new session restores silently from the keyring.
    second = session_with(KeyringCredentialStore())
    assert second.restore(api_backend.url, account[0])
    assert second.api().me().username == account[0]

    second.sign_out()
    assert store.load(api_backend.url, account[0]) is None
    assert not session_with(KeyringCredentialStore()).restore(api_backend.url, account[0])


# -- restore and refresh --------------------------------------------------------------------------


def test_restore_rotates_and_saves_the_new_token(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    store = MemoryCredentialStore()
    session_with(store).sign_in(api_backend.url, *account, remember=True)
    old = store.load(api_backend.url, account[0])
    assert old is not None

    restored = session_with(store)
    assert restored.restore(api_backend.url, account[0])
    new = store.load(api_backend.url, account[0])
    assert new is not None
    assert new != old
    assert restored.remembered
    assert restored.access_token() is not None
    assert CountingClient.refreshes == 1

    restored.refresh()
    newer = store.load(api_backend.url, account[0])
    assert newer not in (None, new)
    assert restored.api().me().username == account[0]


def test_restore_without_a_remembered_token(api_backend: RunningBackend) -> None:
    session = session_with(MemoryCredentialStore())
    assert not session.restore(api_backend.url, "nobody")
    assert not session.is_signed_in
    assert not session_with(KeyringCredentialStore()).restore(api_backend.url, "nobody")
    assert not session.restore("not a url", "nobody")


def test_restore_with_a_revoked_token_forgets_it(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    store = MemoryCredentialStore()
    with ApiClient(api_backend.url) as client:
        pair = client.login(*account)
        client.logout(pair.refresh_token)
    store.save(api_backend.url, account[0], pair.refresh_token)

    session = session_with(store)
    assert not session.restore(api_backend.url, account[0])
    assert not session.is_signed_in
    assert store.load(api_backend.url, account[0]) is None


def test_restore_while_offline_keeps_the_sign_in(
    moto_s3: S3Endpoint, account: tuple[str, str], tmp_path: Path
) -> None:
    """A proctor starting the app without network stays signed in; the first call refreshes."""
    with run_backend(
        moto_s3, bucket=make_bucket(moto_s3), data_dir=tmp_path / "backend"
    ) as backend:
        backend.add_user(*account)
        store = MemoryCredentialStore()
        session_with(store).sign_in(backend.url, *account, remember=True)
        url = backend.url
    # The backend is gone now: its port refuses connections.
    offline = session_with(store)
    assert offline.restore(url, account[0])
    assert offline.is_signed_in
    assert offline.access_token() is None
    with pytest.raises(NetworkError):
        offline.api().me()
    assert offline.is_signed_in  # a network failure never signs anyone out


def test_concurrent_refreshes_rotate_once(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    store = MemoryCredentialStore()
    session = session_with(store)
    session.sign_in(api_backend.url, *account, remember=True)
    barrier = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(session.refresh())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert CountingClient.refreshes == 1
    assert len(set(results)) == 1
    # Had two threads rotated the same token, the family would be revoked and this would fail.
    assert session.api().me().username == account[0]
    session.refresh()
    assert CountingClient.refreshes == 2


def test_server_side_expiry_refreshes_once(
    moto_s3: S3Endpoint, account: tuple[str, str], tmp_path: Path
) -> None:
    # A frozen clock makes the session trust its access token; the server expires it after 1 s.
    with run_backend(
        moto_s3,
        bucket=make_bucket(moto_s3),
        data_dir=tmp_path / "backend",
        access_token_ttl_seconds=1,
    ) as backend:
        backend.add_user(*account)
        session = session_with(MemoryCredentialStore(), clock=lambda: 0.0)
        session.sign_in(backend.url, *account, remember=False)
        token = session.access_token()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            probe = requests.get(
                backend.api + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            if probe.status_code == 401:
                break
            time.sleep(0.2)
        assert session.api().me().username == account[0]
        assert CountingClient.refreshes == 1
        assert session.access_token() != token


def test_short_lived_access_tokens_refresh_before_they_expire(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    now = [0.0]
    session = session_with(MemoryCredentialStore(), clock=lambda: now[0])
    session.sign_in(api_backend.url, *account, remember=False)
    token = session.access_token()
    assert token is not None
    lifetime = api_backend.settings.access_token_ttl_seconds
    now[0] = lifetime - min(30, lifetime / 4) - 1
    assert session.access_token() == token
    now[0] += 2  # inside the safety margin: treated as expired, so the next call refreshes first
    assert session.access_token() is None
    assert session.api().me().username == account[0]
    assert CountingClient.refreshes == 1


def test_refused_refresh_signs_out_and_forgets(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    store = MemoryCredentialStore()
    session = session_with(store)
    session.sign_in(api_backend.url, *account, remember=True)
    stolen = store.load(api_backend.url, account[0])
    assert stolen is not None
    with ApiClient(api_backend.url) as client:
        client.logout(stolen)  # e.g. revoked by an admin, or by signing out elsewhere

    with pytest.raises(AuthError):
        session.refresh()
    assert not session.is_signed_in
    assert not session.remembered
    assert store.load(api_backend.url, account[0]) is None
    assert session.username == account[0]  # kept, to prefill the sign-in form
    with pytest.raises(AuthError, match="signed out"):
        session.refresh()


def test_a_store_that_stops_saving_stops_remembering(
    api_backend: RunningBackend, account: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    store = FlakyStore(ok_saves=1)
    session = session_with(store)
    session.sign_in(api_backend.url, *account, remember=True)
    assert store.load(api_backend.url, account[0]) is not None

    session.refresh()  # rotation: the stored copy is now stale and cannot be replaced
    assert not session.remembered
    assert store.load(api_backend.url, account[0]) is None  # a stale token would revoke us later
    assert "will not be remembered" in caplog.text
    assert session.api().me().username == account[0]


# -- sign out -------------------------------------------------------------------------------------


def test_sign_out_revokes_on_the_server_and_forgets(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    store = MemoryCredentialStore()
    session = session_with(store)
    session.sign_in(api_backend.url, *account, remember=True)
    token = store.load(api_backend.url, account[0])
    assert token is not None
    api = session.api()

    session.sign_out()
    assert not session.is_signed_in
    assert store.load(api_backend.url, account[0]) is None
    assert refresh_is_refused(api_backend, token)
    with pytest.raises(AuthError):
        api.me()  # the engine's client now asks for a sign-in

    session.sign_in(api_backend.url, *account, remember=False)
    assert api.me().username == account[0]  # ... and works again after one, same object


def test_sign_out_when_the_server_is_down_still_forgets(
    moto_s3: S3Endpoint, account: tuple[str, str], tmp_path: Path
) -> None:
    store = MemoryCredentialStore()
    with run_backend(
        moto_s3, bucket=make_bucket(moto_s3), data_dir=tmp_path / "backend"
    ) as backend:
        backend.add_user(*account)
        session = session_with(store)
        session.sign_in(backend.url, *account, remember=True)
    session.sign_out()
    assert not session.is_signed_in
    assert store.load(backend.url, account[0]) is None


@pytest.fixture
def signed_out_session() -> Iterator[AuthSession]:
    session = session_with(MemoryCredentialStore())
    yield session
    session.close()


def test_a_fresh_session_is_signed_out(signed_out_session: AuthSession) -> None:
    assert not signed_out_session.is_signed_in
    assert signed_out_session.access_token() is None
    with pytest.raises(AuthError):
        signed_out_session.refresh()
    signed_out_session.sign_out()  # harmless


# -- changes while signed in ----------------------------------------------------------------------


def test_failed_sign_in_keeps_the_current_session(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    session = session_with(MemoryCredentialStore())
    session.sign_in(api_backend.url, *account, remember=False)
    api = session.api()
    with pytest.raises(AuthError):
        session.sign_in(api_backend.url, account[0], "wrong", remember=False)
    assert session.is_signed_in
    assert api.me().username == account[0]  # the shared client was not closed


def test_signing_in_to_another_server_switches_clients(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    session = session_with(MemoryCredentialStore())
    session.sign_in(api_backend.url, *account, remember=False)
    first = session.api()
    # The same backend under another name is another server as far as the session knows.
    other = api_backend.url.replace("127.0.0.1", "localhost")
    session.sign_in(other, *account, remember=False)
    assert session.server_url == other
    second = session.api()
    assert second is not first
    assert second.server_url == other
    assert second.me().username == account[0]


def test_signed_out_while_a_refresh_was_in_flight(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    sessions: list[AuthSession] = []

    class SignsOutMidway(CountingClient):
        def refresh(self, refresh_token: str) -> TokenPair:
            pair = super().refresh(refresh_token)
            sessions[0].sign_out()  # the user clicked "Sign out" meanwhile
            return pair

    session = AuthSession(store=MemoryCredentialStore(), api_factory=SignsOutMidway)
    sessions.append(session)
    session.sign_in(api_backend.url, *account, remember=False)
    with pytest.raises(AuthError, match="signed out"):
        session.refresh()
    assert not session.is_signed_in
    assert session.access_token() is None


def test_signed_in_again_while_a_refresh_was_in_flight(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    sessions: list[AuthSession] = []

    class SignsInMidway(CountingClient):
        def refresh(self, refresh_token: str) -> TokenPair:
            pair = super().refresh(refresh_token)
            if CountingClient.refreshes == 1:
                sessions[0].sign_in(api_backend.url, *account, remember=False)
            return pair

    session = AuthSession(store=MemoryCredentialStore(), api_factory=SignsInMidway)
    sessions.append(session)
    session.sign_in(api_backend.url, *account, remember=False)
    token = session.refresh()  # the newer sign-in's token is the one to use
    assert token == session.access_token()
    assert session.api().me().username == account[0]


def test_refused_while_another_sign_in_happened(
    api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    sessions: list[AuthSession] = []

    class RefusedAfterNewSignIn(CountingClient):
        def refresh(self, refresh_token: str) -> TokenPair:
            if CountingClient.refreshes == 0:
                self.logout(refresh_token)
                sessions[0].sign_in(api_backend.url, *account, remember=False)
            return super().refresh(refresh_token)

    session = AuthSession(store=MemoryCredentialStore(), api_factory=RefusedAfterNewSignIn)
    sessions.append(session)
    session.sign_in(api_backend.url, *account, remember=False)
    with pytest.raises(AuthError):
        session.refresh()
    assert session.is_signed_in  # the newer sign-in is not thrown away
    assert session.api().me().username == account[0]
