"""One signed-in account: sign in, silent sign-in from the keyring, token refresh and sign out.

:class:`AuthSession` is the :class:`desktop.api.client.TokenProvider` the engine's API client uses.
The access token lives only in memory; the refresh token lives in memory and, when the user chose
"remember me", in a :class:`desktop.auth.credentials.CredentialStore`. Refresh tokens rotate on
every refresh (and presenting an old one revokes the whole family on the server), so refreshes are
strictly serialised and the new refresh token is saved after each one.

Decision on ``sign_in(remember=True)`` without a usable keyring: the keyring is checked before the
server is contacted, and :class:`desktop.errors.CredentialStoreError` is raised with nothing sent;
the app then offers a session-only sign-in, which calls ``sign_in(..., remember=False)`` with the
same password. Should the keyring still refuse the token after the server accepted the password (a
locked keyring whose prompt was dismissed), the fresh tokens are revoked (best effort) and the same
error raised. A call either does what was asked or changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from desktop.api.client import ApiClient
from desktop.api.models import TokenPair
from desktop.auth.credentials import CredentialStore
from desktop.errors import AuthError, CredentialStoreError, InvalidServerUrlError, UploaderError

__all__ = ["AuthSession"]

logger = logging.getLogger(__name__)

# Refresh a little before the access token expires, so a request does not race its expiry; a quarter
# of the
# lifetime, at most 30 s, keeps very short test lifetimes (2 s) usable.
_MAX_EXPIRY_MARGIN = 30.0


class AuthSession:
    """The signed-in account, shared by the app, the CLI and the engine's threads.

    Thread-safe: a short lock guards the state, and a second lock makes concurrent ``refresh()``
    calls from engine threads rotate the refresh token exactly once (the others get the new access
    token).
    """

    def __init__(
        self,
        *,
        store: CredentialStore,
        api_factory: Callable[[str], ApiClient] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a signed-out session.

        Args:
            store: Where remembered refresh tokens go (the keyring, or memory).
            api_factory: Builds an anonymous client for a server address; it decides the client's
                settings (CA bundle, insecure http, pool size), which :meth:`api` copies. Default:
                ``ApiClient(url)``.
            clock: A monotonic clock, for access-token expiry.
        """
        self._store = store
        self._api_factory: Callable[[str], ApiClient] = api_factory or ApiClient
        self._clock = clock
        self._state_lock = threading.RLock()
        self._refresh_lock = threading.Lock()
        self._server_url: str | None = None
        self._username: str | None = None
        self._refresh_token: str | None = None
        self._access_token: str | None = None
        self._access_valid_until = 0.0
        self._remembered = False
        self._generation = 0  # bumped whenever the tokens change
        self._anon: ApiClient | None = None
        self._bound: ApiClient | None = None

    # -- properties -------------------------------------------------------------------------------

    @property
    def server_url(self) -> str | None:
        """The normalised address of the current (or last) account's server."""
        with self._state_lock:
            return self._server_url

    @property
    def username(self) -> str | None:
        """The current (or last) account's user name, so a sign-in form can be prefilled."""
        with self._state_lock:
            return self._username

    @property
    def is_signed_in(self) -> bool:
        """Whether the session holds a refresh token (the server may still refuse it later)."""
        with self._state_lock:
            return self._refresh_token is not None

    @property
    def remembered(self) -> bool:
        """Whether the refresh token is kept in the credential store."""
        with self._state_lock:
            return self._remembered

    # -- signing in and out -----------------------------------------------------------------------

    def sign_in(self, server_url: str, username: str, password: str, *, remember: bool) -> None:
        """Sign in with a password; on success the session belongs to this account.

        Args:
            server_url: The server address as typed; it is validated and normalised.
            username: The account name.
            password: Used once, never stored.
            remember: Keep the refresh token in the credential store for a silent sign-in next time.

        Raises:
            InvalidServerUrlError: The address is unusable (InsecureServerError for refused http).
            AuthError: Wrong user name or password (TooManyAttemptsError after repeated failures).
            NetworkError: The server cannot be reached (TlsError for certificate problems).
            BackendError: The server failed.
            CredentialStoreError: ``remember`` was asked but the store refused; the session is
                unchanged.
        """
        username = username.strip()
        if remember:
            # Before the password leaves: signing in only to sign out again a moment later would
            # look like a successful sign-in in the server's log, and cost a login attempt.
            self._store.check()
        client = self._client_for(server_url)
        try:
            pair = client.login(username, password)
            url = client.server_url
            if remember:
                try:
                    self._store.save(url, username, pair.refresh_token)
                except CredentialStoreError:
                    self._revoke_quietly(client, pair.refresh_token)
                    raise
            else:
                self._forget_quietly(url, username)
        except BaseException:
            if client is not self._anon:
                client.close()
            raise
        with self._state_lock:
            self._adopt_client(client)
            self._server_url = url
            self._username = username
            self._remembered = remember
            self._set_tokens(pair)
        logger.info("Signed in to %s as %s (remembered: %s)", url, username, remember)

    def check_remembering(self) -> None:
        """Check that a sign-in could be remembered here; may block on a keyring unlock prompt.

        Raises:
            CredentialStoreError: It cannot (the message says why, for the user).
        """
        self._store.check()

    def restore(self, server_url: str, username: str) -> bool:
        """Sign in silently with the refresh token remembered for this account.

        When the server cannot be reached (the proctor is offline at start-up), the remembered token
        is kept and the session counts as signed in: the first request refreshes it, and the engine
        waits for the network.

        Returns:
            True when a remembered sign-in was found and not refused; False otherwise (show the
            sign-in form).
        """
        try:
            client = self._client_for(server_url)
        except InvalidServerUrlError as exc:
            logger.info("No silent sign-in: the saved server address is unusable (%s)", exc.title)
            return False
        url = client.server_url
        try:
            token = self._store.load(url, username)
        except CredentialStoreError as exc:
            logger.info("No silent sign-in: %s", exc.message)
            token = None
        if not token:
            if client is not self._anon:
                client.close()
            return False
        with self._state_lock:
            self._adopt_client(client)
            self._server_url = url
            self._username = username
            self._remembered = True
            self._refresh_token = token
            self._access_token = None
            self._generation += 1
        try:
            self.refresh()
        except AuthError:
            return False
        except UploaderError as exc:
            logger.info("Remembered sign-in kept; the server is not reachable now (%s)", exc.title)
        return True

    def sign_out(self) -> None:
        """Sign out: revoke the refresh token on the server (best effort) and forget it locally."""
        with self._state_lock:
            token = self._refresh_token
            url, username, client = self._server_url, self._username, self._anon
            self._refresh_token = None
            self._access_token = None
            self._remembered = False
            self._generation += 1
        if client is not None and token is not None:
            self._revoke_quietly(client, token)
        if url is not None and username is not None:
            self._forget_quietly(url, username)
        logger.info("Signed out")

    # -- TokenProvider ----------------------------------------------------------------------------

    def access_token(self) -> str | None:
        """The access token, or None when there is none or it is about to expire."""
        with self._state_lock:
            if self._access_token is not None and self._clock() < self._access_valid_until:
                return self._access_token
            return None

    def refresh(self) -> str:
        """Get a new access token, rotating the refresh token; many threads may call at once.

        Only one thread talks to the server; threads that were waiting meanwhile get its result.

        Raises:
            AuthError: Signed out, or the server refused the refresh token (it is then forgotten).
            NetworkError: The server cannot be reached; the session stays signed in.
            BackendError: The server failed; the session stays signed in.
        """
        with self._state_lock:
            seen = self._generation
        with self._refresh_lock:
            with self._state_lock:
                if self._refresh_token is None or self._anon is None:
                    raise AuthError("You are signed out. Please sign in.")
                if self._generation != seen and self._access_token is not None:
                    return self._access_token
                token, client = self._refresh_token, self._anon
                url, username, remembered = self._server_url, self._username, self._remembered
            try:
                pair = client.refresh(token)
            except AuthError:
                self._drop_refused(token)
                raise
            with self._state_lock:
                ours = self._refresh_token == token
                if ours:
                    self._set_tokens(pair)
                other = self._access_token if not ours and self._refresh_token is not None else None
            if not ours:
                # Signed out (or in again) while the request was in flight: the new pair is
                # nobody's.
                self._revoke_quietly(client, pair.refresh_token)
                if other is None:
                    raise AuthError("You are signed out. Please sign in.")
                return other
            if remembered and url is not None and username is not None:
                self._save_rotated(url, username, pair.refresh_token)
            return pair.access_token

    # -- API clients ------------------------------------------------------------------------------

    def api(self) -> ApiClient:
        """An :class:`ApiClient` signed in as this session (reused until the server changes).

        Raises:
            AuthError: No server is known yet (never signed in).
        """
        with self._state_lock:
            if self._anon is None:
                raise AuthError("Sign in first.")
            if self._bound is None or self._bound.server_url != self._anon.server_url:
                self._bound = self._anon.with_tokens(self)
            return self._bound

    def close(self) -> None:
        """Close the session's clients at application exit; its state stays readable."""
        with self._state_lock:
            clients = [c for c in (self._anon, self._bound) if c is not None]
            self._anon = None
            self._bound = None
        for client in clients:
            client.close()

    # -- internals --------------------------------------------------------------------------------

    def _client_for(self, server_url: str) -> ApiClient:
        """The anonymous client for this address: the current one when it is the same server."""
        with self._state_lock:
            current = self._anon
        client = self._api_factory(server_url)
        if current is not None and client.server_url == current.server_url:
            client.close()
            return current
        return client

    def _adopt_client(self, client: ApiClient) -> None:
        """Make ``client`` the session's anonymous client (state lock held)."""
        if client is self._anon:
            return
        old = self._anon
        self._anon = client
        if old is not None:
            old.close()

    def _set_tokens(self, pair: TokenPair) -> None:
        """Install a fresh pair (state lock held)."""
        margin = min(_MAX_EXPIRY_MARGIN, pair.expires_in / 4)
        self._access_token = pair.access_token
        self._refresh_token = pair.refresh_token
        self._access_valid_until = self._clock() + pair.expires_in - margin
        self._generation += 1

    def _drop_refused(self, token: str) -> None:
        """The server refused ``token``: sign out locally and forget the remembered copy."""
        with self._state_lock:
            if self._refresh_token != token:
                return
            url, username, remembered = self._server_url, self._username, self._remembered
            self._refresh_token = None
            self._access_token = None
            self._remembered = False
            self._generation += 1
        logger.info("The server refused the refresh token; signing in again is needed")
        if remembered and url is not None and username is not None:
            self._forget_quietly(url, username)

    def _save_rotated(self, url: str, username: str, refresh_token: str) -> None:
        try:
            self._store.save(url, username, refresh_token)
        except CredentialStoreError as exc:
            # The stored copy is now stale, and presenting it later would revoke this session's
            # token family:
            # stop remembering and remove it, so the next start asks for the password instead.
            logger.warning(
                "Could not update the remembered sign-in (%s); it will not be remembered", exc.title
            )
            with self._state_lock:
                self._remembered = False
            self._forget_quietly(url, username)

    def _forget_quietly(self, url: str, username: str) -> None:
        try:
            self._store.delete(url, username)
        except CredentialStoreError as exc:
            logger.info("Could not remove a remembered sign-in: %s", exc.title)

    @staticmethod
    def _revoke_quietly(client: ApiClient, refresh_token: str) -> None:
        try:
            client.logout(refresh_token)
        except UploaderError as exc:
            logger.info(
                "Could not sign out on the server (%s); the token expires by itself", exc.title
            )
