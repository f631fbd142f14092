"""Where the refresh token is remembered: the OS keyring, or memory for a session-only sign-in.

Only the refresh token is ever stored; the access token stays in memory and the password is never
kept, so a stolen disk or backup holds nothing that signs in by itself. Entries use the service name
``proctor-uploader`` and the user name ``"{server_url}|{username}"``, so one person may be
remembered on several servers. Without a usable keyring backend every operation raises
:class:`desktop.errors.CredentialStoreError`; there is no plaintext fallback.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Protocol

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

from desktop import APP_ID
from desktop.errors import CredentialStoreError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = [
    "SERVICE_NAME",
    "CredentialStore",
    "KeyringCredentialStore",
    "MemoryCredentialStore",
    "account_name",
]

logger = logging.getLogger(__name__)

#: The keyring service every entry is filed under.
SERVICE_NAME = APP_ID


def _library_errors() -> tuple[type[BaseException], ...]:
    """Exceptions the keyring backends let through unwrapped (D-Bus and Secret Service failures)."""
    errors: list[type[BaseException]] = [keyring.errors.KeyringError, OSError]
    try:
        from secretstorage.exceptions import SecretStorageException

        errors.append(SecretStorageException)
    except ImportError:  # not on Windows or macOS
        pass
    try:
        from jeepney.wrappers import DBusErrorResponse

        errors.append(DBusErrorResponse)
    except ImportError:  # not on Windows or macOS
        pass
    return tuple(errors)


_KEYRING_ERRORS = _library_errors()


def account_name(server_url: str, username: str) -> str:
    """The keyring user name of one account on one server."""
    return f"{server_url}|{username}"


class CredentialStore(Protocol):
    """Keeps one refresh token per (server, user)."""

    def check(self) -> None:
        """Make sure tokens can be remembered, without storing anything.

        Raises:
            CredentialStoreError: Nothing can be remembered here (why is in the message).
        """
        ...

    def load(self, server_url: str, username: str) -> str | None:
        """The remembered refresh token, or None when there is none."""
        ...

    def save(self, server_url: str, username: str, refresh_token: str) -> None:
        """Remember a refresh token, replacing any previous one."""
        ...

    def delete(self, server_url: str, username: str) -> None:
        """Forget the refresh token; forgetting one that is not there is not an error."""
        ...


def _unusable_reason(backend: KeyringBackend) -> str | None:
    """Why a keyring backend must not hold our tokens, or None when it is fine."""
    if isinstance(backend, keyring.backends.fail.Keyring):
        return "no secure password store (keyring) was found on this computer"
    if isinstance(backend, keyring.backends.null.Keyring):
        return "the password store (keyring) is turned off on this computer"
    if type(backend).__module__.startswith("keyrings.alt"):
        return (
            f"the configured password store ({type(backend).__name__}) would keep the sign-in in a "
            "plain file"
        )
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        reasons = [_unusable_reason(inner) for inner in backend.backends]
        if not reasons:
            return "no secure password store (keyring) was found on this computer"
        if all(reason is not None for reason in reasons):
            return reasons[0]
    return None


def _backend_label(backend: KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


class KeyringCredentialStore:
    """Refresh tokens in the OS keyring (Credential Manager, macOS Keychain, Secret Service).

    The backend is resolved on first use, not at construction: on Linux that touches D-Bus, and a
    locked keyring may block until the user answers its prompt, so it must happen on a worker
    thread. An ``RLock`` serialises access, because the engine's threads save rotated tokens while
    the app may be reading.
    """

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        """Use ``backend``, or the keyring library's choice for this computer when None."""
        self._backend = backend
        self._lock = threading.RLock()

    @staticmethod
    def available() -> tuple[bool, str]:
        """Whether the default keyring can hold secrets.

        Returns:
            ``(True, backend name)`` or ``(False, a reason to show the user)``.
        """
        try:
            backend = keyring.get_keyring()
        except _KEYRING_ERRORS as exc:
            return False, f"the password store could not be opened ({exc})"
        reason = _unusable_reason(backend)
        if reason is not None:
            return False, reason
        return True, _backend_label(backend)

    def _resolved(self) -> KeyringBackend:
        with self._lock:
            if self._backend is None:
                try:
                    self._backend = keyring.get_keyring()
                except _KEYRING_ERRORS as exc:
                    raise self._error("open", exc) from exc
                logger.info("Password store: %s", _backend_label(self._backend))
            reason = _unusable_reason(self._backend)
            if reason is not None:
                raise CredentialStoreError(
                    f"Your sign-in cannot be remembered because {reason}. You can sign in for this "
                    "session only; you will be asked for your password again next time."
                )
            return self._backend

    @staticmethod
    def _error(action: str, exc: BaseException) -> CredentialStoreError:
        if isinstance(exc, keyring.errors.KeyringLocked):
            return CredentialStoreError(
                "The password store (keyring) is locked. Unlock it and try again, or sign in for "
                "this session only.",
                title="Password store locked",
            )
        if isinstance(exc, keyring.errors.NoKeyringError):
            return CredentialStoreError()
        return CredentialStoreError(
            f"The password store (keyring) could not {action} your sign-in ({type(exc).__name__}). "
            "Try again, or sign in for this session only.",
        )

    def check(self) -> None:
        """Open the keyring (it may ask the user to unlock it) and check that it keeps secrets.

        Raises:
            CredentialStoreError: No usable keyring on this computer.
        """
        with self._lock:
            self._resolved()

    def load(self, server_url: str, username: str) -> str | None:
        """The remembered refresh token, or None.

        Raises:
            CredentialStoreError: No usable keyring, or it refused (e.g. locked and the user
                dismissed the prompt).
        """
        with self._lock:
            backend = self._resolved()
            try:
                return backend.get_password(SERVICE_NAME, account_name(server_url, username))
            except _KEYRING_ERRORS as exc:
                raise self._error("read", exc) from exc

    def save(self, server_url: str, username: str, refresh_token: str) -> None:
        """Remember the refresh token.

        Raises:
            CredentialStoreError: No usable keyring, or it refused to store the token.
        """
        with self._lock:
            backend = self._resolved()
            try:
                backend.set_password(
                    SERVICE_NAME, account_name(server_url, username), refresh_token
                )
            except _KEYRING_ERRORS as exc:
                raise self._error("save", exc) from exc

    def delete(self, server_url: str, username: str) -> None:
        """Forget the refresh token; nothing stored is fine.

        Raises:
            CredentialStoreError: No usable keyring, or it refused to delete the entry.
        """
        with self._lock:
            backend = self._resolved()
            try:
                backend.delete_password(SERVICE_NAME, account_name(server_url, username))
            except keyring.errors.PasswordDeleteError:
                # Every backend reports "no such entry" this way; forgetting nothing is success.
                logger.debug("No remembered sign-in to delete")
            except _KEYRING_ERRORS as exc:
                raise self._error("delete", exc) from exc


class MemoryCredentialStore:
    """Tokens in memory only: a session-only sign-in, and tests. Thread-safe."""

    def __init__(self) -> None:
        """Start empty."""
        self._tokens: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def check(self) -> None:
        """Memory always works."""

    def load(self, server_url: str, username: str) -> str | None:
        """The token saved for this account in this process, or None."""
        with self._lock:
            return self._tokens.get((server_url, username))

    def save(self, server_url: str, username: str, refresh_token: str) -> None:
        """Keep the token until the process ends or it is deleted."""
        with self._lock:
            self._tokens[(server_url, username)] = refresh_token

    def delete(self, server_url: str, username: str) -> None:
        """Forget the token, if any."""
        with self._lock:
            self._tokens.pop((server_url, username), None)
