"""Credential stores: the real Secret Service, the no-keyring backends, and keyring failures."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import closing
from typing import Any, ClassVar

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
import secretstorage
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringLocked, PasswordDeleteError, PasswordSetError

from desktop.auth.credentials import (
    SERVICE_NAME,
    KeyringCredentialStore,
    MemoryCredentialStore,
    account_name,
)
from desktop.errors import CredentialStoreError

SERVER = "https://uploads.example.edu"


class _RaisingKeyring(KeyringBackend):
    """A keyring whose every call fails the way an OS keyring can (an OS edge case)."""

    priority = 1

    def __init__(self, error: BaseException) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


class _EmptyChainer(ChainerBackend):
    backends: ClassVar[list[Any]] = []


class _ChainOfFail(ChainerBackend):
    backends: ClassVar[list[Any]] = [keyring.backends.fail.Keyring()]  # type: ignore[no-untyped-call]


# -- the real Secret Service ----------------------------------------------------------------------


def test_round_trip_through_a_real_secret_service(use_secret_service: KeyringBackend) -> None:
    store = KeyringCredentialStore()
    assert store.load(SERVER, "alice") is None

    store.save(SERVER, "alice", "refresh-1")
    store.save(SERVER, "alice", "refresh-2")  # replaces, never duplicates
    store.save("https://other.example.edu", "alice", "other-server")

    assert store.load(SERVER, "alice") == "refresh-2"
    assert store.load("https://other.example.edu", "alice") == "other-server"
    assert store.load(SERVER, "bob") is None

    store.delete(SERVER, "alice")
    assert store.load(SERVER, "alice") is None
    assert store.load("https://other.example.edu", "alice") == "other-server"
    store.delete(SERVER, "alice")  # deleting what is not there is fine


def test_entries_are_filed_under_the_app_service_and_server_user(
    use_secret_service: KeyringBackend,
) -> None:
    KeyringCredentialStore().save(SERVER, "alice", "refresh-token-value")

    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        items = list(
            collection.search_items({"service": SERVICE_NAME, "username": f"{SERVER}|alice"})
        )
        assert len(items) == 1
        assert items[0].get_secret() == b"refresh-token-value"
    assert SERVICE_NAME == "proctor-uploader"
    assert account_name(SERVER, "alice") == f"{SERVER}|alice"


def test_available_names_the_real_backend(use_secret_service: KeyringBackend) -> None:
    usable, name = KeyringCredentialStore.available()
    assert usable is True
    assert name == "keyring.backends.SecretService.Keyring"


def test_explicit_backend_is_used_without_touching_the_default(
    secret_service_keyring: KeyringBackend,
) -> None:
    # The process default stays fail.Keyring (tests/conftest.py); the store uses what it was given.
    assert isinstance(keyring.get_keyring(), keyring.backends.fail.Keyring)
    store = KeyringCredentialStore(secret_service_keyring)
    try:
        store.save(SERVER, "carol", "t")
        assert store.load(SERVER, "carol") == "t"
    finally:
        store.delete(SERVER, "carol")


def test_concurrent_saves_leave_one_consistent_entry(use_secret_service: KeyringBackend) -> None:
    store = KeyringCredentialStore()
    errors: list[BaseException] = []

    def save(n: int) -> None:
        try:
            store.save(SERVER, "dave", f"token-{n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.load(SERVER, "dave") in {f"token-{n}" for n in range(8)}
    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        found = collection.search_items({"service": SERVICE_NAME, "username": f"{SERVER}|dave"})
        assert len(list(found)) == 1


# -- no usable keyring ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (keyring.backends.fail.Keyring(), "no secure password store"),  # type: ignore[no-untyped-call]
        (keyring.backends.null.Keyring(), "turned off"),  # type: ignore[no-untyped-call]
        (_EmptyChainer(), "no secure password store"),  # type: ignore[no-untyped-call]
        (_ChainOfFail(), "no secure password store"),  # type: ignore[no-untyped-call]
    ],
    ids=["fail", "null", "empty-chainer", "chainer-of-fail"],
)
def test_unusable_backends_raise_a_clear_error_on_every_operation(
    backend: KeyringBackend, reason: str
) -> None:
    store = KeyringCredentialStore(backend)
    calls: list[Callable[[], object]] = [
        lambda: store.load(SERVER, "alice"),
        lambda: store.save(SERVER, "alice", "secret-token"),
        lambda: store.delete(SERVER, "alice"),
    ]
    for call in calls:
        with pytest.raises(CredentialStoreError) as info:
            call()
        assert reason in info.value.message
        assert "this session only" in info.value.message
        assert "secret-token" not in info.value.message


def test_default_fail_backend_is_reported_unavailable() -> None:
    # tests/conftest.py sets PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring.
    usable, reason = KeyringCredentialStore.available()
    assert usable is False
    assert "no secure password store" in reason
    with pytest.raises(CredentialStoreError):
        KeyringCredentialStore().load(SERVER, "alice")


class _DictKeyring(KeyringBackend):
    """Stands in for keyrings.alt's PlaintextKeyring (which writes secrets to a file in clear)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


def test_plaintext_backends_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_DictKeyring, "__module__", "keyrings.alt.file")
    backend = _DictKeyring()
    with pytest.raises(CredentialStoreError, match="plain file"):
        KeyringCredentialStore(backend).save(SERVER, "alice", "t")
    assert backend.items == {}
    monkeypatch.undo()
    KeyringCredentialStore(_DictKeyring()).save(SERVER, "alice", "t")  # the same class is fine


def test_a_locked_keyring_says_so() -> None:
    store = KeyringCredentialStore(_RaisingKeyring(KeyringLocked("Failed to unlock")))
    with pytest.raises(CredentialStoreError) as info:
        store.load(SERVER, "alice")
    assert info.value.title == "Password store locked"
    assert "Unlock it" in info.value.message


@pytest.mark.parametrize(
    "error",
    [
        PasswordSetError("refused"),
        OSError("dbus gone"),
        secretstorage.exceptions.ItemNotFoundException(),
    ],
    ids=["keyring-error", "os-error", "secretstorage-error"],
)
def test_backend_failures_become_credential_store_errors(error: BaseException) -> None:
    store = KeyringCredentialStore(_RaisingKeyring(error))
    with pytest.raises(CredentialStoreError) as info:
        store.save(SERVER, "alice", "t")
    assert "could not save" in info.value.message
    assert info.value.__cause__ is error
    with pytest.raises(CredentialStoreError, match="could not read"):
        store.load(SERVER, "alice")
    with pytest.raises(CredentialStoreError, match="could not delete"):
        store.delete(SERVER, "alice")


def test_deleting_a_missing_entry_is_not_an_error() -> None:
    KeyringCredentialStore(_RaisingKeyring(PasswordDeleteError("No such password!"))).delete(
        SERVER, "alice"
    )


def test_the_backend_is_resolved_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = keyring.get_keyring

    def counting() -> KeyringBackend:
        calls.append(1)
        return real()

    monkeypatch.setattr(keyring, "get_keyring", counting)
    store = KeyringCredentialStore()
    assert calls == []
    with pytest.raises(CredentialStoreError):
        store.load(SERVER, "alice")
    with pytest.raises(CredentialStoreError):
        store.load(SERVER, "alice")
    assert calls == [1]


# -- memory ---------------------------------------------------------------------------------------


def test_memory_store_keeps_tokens_per_server_and_user() -> None:
    store = MemoryCredentialStore()
    store.save(SERVER, "alice", "a")
    store.save(SERVER, "bob", "b")
    assert store.load(SERVER, "alice") == "a"
    assert store.load("https://other.example.edu", "alice") is None
    store.delete(SERVER, "alice")
    store.delete(SERVER, "alice")
    assert store.load(SERVER, "alice") is None
    assert store.load(SERVER, "bob") == "b"
