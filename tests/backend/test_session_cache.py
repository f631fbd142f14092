"""On PostgreSQL each process remembers active sessions, and every instance forgets them when any
instance (or the CLI) ends one: logout, refresh-token reuse, `user disable`.

Two backends in this process share one PostgreSQL; each has its own pool, cache and listener
connection, as separate machines would. The caches' safety-net age is set to an hour here, so
only a notification (or the listener's loss) can end a remembered session within a test.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from backend.cli import main as cli_main
from backend.db import Database, open_database, session_cache, session_listener
from backend.db.records import User
from backend.db.session_cache import SessionCache
from backend.db.session_listener import APPLICATION_NAME
from backend.errors import ApiError
from backend.security import TokenService
from tests.backend.conftest import PASSWORD, add_test_users
from tests.support.backend_server import RunningBackend, run_backend
from tests.support.postgres import PostgresServer
from tests.support.storage import S3Endpoint, make_bucket

# The one query a session check makes when it is not remembered.
_SESSION_QUERY = "FROM token_families f JOIN users u"
# Notifications arrive asynchronously; on a loaded machine within milliseconds, rarely a second.
_DELIVERY_S = 10.0


def _wait_until(condition: Callable[[], bool], seconds: float = _DELIVERY_S) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def session_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The session queries sent to PostgreSQL from here on (by every database of this process)."""
    made: list[str] = []
    real = psycopg.Cursor.execute

    def execute(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        if _SESSION_QUERY in str(query):
            made.append(str(query))
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", execute)
    return made


@pytest.fixture
def pair(
    postgres: PostgresServer,
    moto_endpoint: S3Endpoint,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[RunningBackend, RunningBackend, str]]:
    """Instances A and B on one PostgreSQL, both listening, with user `alice`; and its URL."""
    monkeypatch.setattr(session_cache, "SESSION_MAX_AGE_S", 3600.0)
    url = postgres.create_database()
    bucket = make_bucket(moto_endpoint)
    with (
        run_backend(moto_endpoint, bucket=bucket, data_dir=tmp_path / "a", database_url=url) as a,
        run_backend(moto_endpoint, bucket=bucket, data_dir=tmp_path / "b", database_url=url) as b,
    ):
        add_test_users(a, "alice")
        assert _wait_until(lambda: a.services.db.sessions.listening)
        assert _wait_until(lambda: b.services.db.sessions.listening)
        yield a, b, url


def _me(server: RunningBackend, access: str) -> int:
    headers = {"Authorization": f"Bearer {access}"}
    return requests.get(server.api + "/me", headers=headers, timeout=30).status_code


def _post(server: RunningBackend, path: str, body: Any) -> requests.Response:
    return requests.post(server.api + path, json=body, timeout=30)


def test_a_session_checked_once_is_not_queried_again(
    pair: tuple[RunningBackend, RunningBackend, str], session_queries: list[str]
) -> None:
    a, b, _ = pair
    tokens = a.login("alice", PASSWORD)
    # Remembered at sign-in: not even the first request after it asks the database.
    assert [_me(a, tokens["access_token"]) for _ in range(3)] == [200] * 3
    assert session_queries == []
    # Another instance asks once, then remembers too.
    assert [_me(b, tokens["access_token"]) for _ in range(3)] == [200] * 3
    assert len(session_queries) == 1
    # A refresh remembers the session it just checked.
    refreshed = _post(b, "/auth/refresh", {"refresh_token": tokens["refresh_token"]}).json()
    assert _me(b, refreshed["access_token"]) == 200
    assert len(session_queries) == 1


def test_a_logout_on_one_instance_ends_the_session_on_the_other(
    pair: tuple[RunningBackend, RunningBackend, str],
) -> None:
    a, b, _ = pair
    tokens = a.login("alice", PASSWORD)
    assert _me(a, tokens["access_token"]) == 200
    assert _me(b, tokens["access_token"]) == 200
    logout = _post(b, "/auth/logout", {"refresh_token": tokens["refresh_token"]})
    assert logout.status_code == 204
    # At once where it was made; on the other instance when its notification arrives.
    assert _me(b, tokens["access_token"]) == 401
    assert _wait_until(lambda: _me(a, tokens["access_token"]) == 401)


def test_refresh_token_reuse_on_one_instance_ends_the_session_on_the_other(
    pair: tuple[RunningBackend, RunningBackend, str],
) -> None:
    a, b, _ = pair
    first = a.login("alice", PASSWORD)
    second = _post(a, "/auth/refresh", {"refresh_token": first["refresh_token"]}).json()
    assert _me(a, second["access_token"]) == 200
    replay = _post(b, "/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert _wait_until(lambda: _me(a, second["access_token"]) == 401)


def test_user_disable_from_the_cli_ends_the_session_on_every_instance(
    pair: tuple[RunningBackend, RunningBackend, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b, url = pair
    tokens = a.login("alice", PASSWORD)
    assert _me(a, tokens["access_token"]) == 200
    assert _me(b, tokens["access_token"]) == 200
    assert cli_main(["user", "disable", "alice", "--database-url", url]) == 0
    capsys.readouterr()
    assert _wait_until(lambda: _me(a, tokens["access_token"]) == 401)
    assert _wait_until(lambda: _me(b, tokens["access_token"]) == 401)


def _terminate_listeners(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            (APPLICATION_NAME,),
        ).fetchall()
    return len(rows)


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage()]


def test_while_its_listener_is_lost_an_instance_asks_the_database_then_caches_again(
    pair: tuple[RunningBackend, RunningBackend, str],
    session_queries: list[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b, url = pair
    tokens = a.login("alice", PASSWORD)
    assert _me(a, tokens["access_token"]) == 200
    # Long enough to see the cache off before the listener reconnects.
    monkeypatch.setattr(session_listener, "FIRST_RETRY_S", 2.0)
    caplog.set_level(logging.INFO, logger=session_listener.__name__)

    assert _terminate_listeners(url) == 2
    assert _wait_until(lambda: not a.services.db.sessions.listening)
    # A revocation A cannot hear: A asks the database, so it still ends the session at once.
    assert _post(b, "/auth/logout", {"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert _me(a, tokens["access_token"]) == 401
    # One WARNING per instance when lost, one INFO when back.
    assert _wait_until(lambda: len(_logged(caplog, "Session cache off")) == 2)
    assert {r.levelno for r in _logged(caplog, "Session cache off")} == {logging.WARNING}

    assert _wait_until(lambda: len(_logged(caplog, "Session cache on again")) == 2, 30)
    assert {r.levelno for r in _logged(caplog, "Session cache on again")} == {logging.INFO}
    assert len(_logged(caplog, "Session cache off")) == 2
    assert a.services.db.sessions.listening
    fresh = a.login("alice", PASSWORD)
    before = len(session_queries)
    assert [_me(a, fresh["access_token"]) for _ in range(3)] == [200] * 3
    assert len(session_queries) == before


def test_a_listener_on_a_descriptor_above_1024_hears_too(
    postgres: PostgresServer,
    moto_endpoint: S3Endpoint,
    tmp_path: Path,
    session_queries: list[str],
) -> None:
    # A process serving a thousand workstations holds that many sockets; its listener's
    # connection (or the one it reconnects with) can get a descriptor select() cannot watch.
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        url = postgres.create_database()
        bucket = make_bucket(moto_endpoint)
        with run_backend(moto_endpoint, bucket=bucket, data_dir=tmp_path, database_url=url) as a:
            add_test_users(a, "alice")
            assert _wait_until(lambda: a.services.db.sessions.listening)
            tokens = a.login("alice", PASSWORD)
            assert [_me(a, tokens["access_token"]) for _ in range(2)] == [200, 200]
            assert session_queries == []
            alice = a.services.db.get_user("alice")
            assert alice is not None
            other = open_database(url)  # another instance
            try:
                other.revoke_user_families(alice.id, "x", time.time())
            finally:
                other.close()
            assert _wait_until(lambda: _me(a, tokens["access_token"]) == 401)
    finally:
        for fd in held:
            os.close(fd)


@pytest.fixture
def signed_in(postgres: PostgresServer) -> Iterator[tuple[Database, User]]:
    """A database with alice signed in (family `f1`, refresh token `j1`), its cache trusted as
    if a listener listened (none runs: nothing can arrive)."""
    db: Database = open_database(postgres.create_database())
    try:
        user = db.add_user("alice", "not a real hash", "user")
        now = time.time()
        db.add_refresh_token(
            jti="j1", family_id="f1", user_id=user.id, issued_at=now, expires_at=now + 600
        )
        db.sessions.resume()
        yield db, user
    finally:
        db.close()


def test_a_lookup_that_read_before_a_revocation_does_not_remember_it(
    signed_in: tuple[Database, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, user = signed_in
    real = psycopg.Cursor.execute

    def read_then_revoked(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        result = real(self, query, *args, **kwargs)
        if _SESSION_QUERY in str(query):
            monkeypatch.setattr(psycopg.Cursor, "execute", real)
            # Another request signs out while this lookup's answer is on its way.
            db.revoke_family("f1", "logout", time.time())
        return result

    monkeypatch.setattr(psycopg.Cursor, "execute", read_then_revoked)
    # The lookup answers what it read before the sign-out...
    assert db.active_session_user("f1", user.id) == user
    # ...but does not remember it: the next one reads the revocation.
    assert db.active_session_user("f1", user.id) is None


def test_a_sign_in_that_read_the_account_before_it_was_disabled_is_not_remembered(
    postgres: PostgresServer,
) -> None:
    db: Database = open_database(postgres.create_database())
    try:
        db.sessions.resume()  # as the listener does once it listens
        tokens = TokenService(db, "s" * 40, access_ttl=900, refresh_ttl=3600)
        user = db.add_user("alice", "not a real hash", "user")
        read_at = db.sessions.mark()
        # Disabled while the sign-in checks the password it read with the account.
        db.update_user("alice", disabled=True)
        access = tokens.issue(user, read_at=read_at).access_token
        with pytest.raises(ApiError) as refused:
            tokens.authenticate(access)
        assert refused.value.status == 401
    finally:
        db.close()


_CHANGES: dict[str, Callable[[Database, User], object]] = {
    "logout": lambda db, user: db.revoke_family("f1", "logout", time.time()),
    "sign out everywhere": lambda db, user: db.revoke_user_families(user.id, "x", time.time()),
    "disable": lambda db, user: db.update_user(user.username, disabled=True),
    "new password": lambda db, user: db.update_user(user.username, password_hash="new hash"),
    "reuse": lambda db, user: [db.use_refresh_token("j1", "f1", time.time()) for _ in "12"],
    "prune": lambda db, user: db.prune_tokens(time.time() + 3600),
}


@pytest.mark.parametrize("change", list(_CHANGES))
def test_a_change_of_sessions_is_seen_at_once_by_the_process_that_made_it(
    signed_in: tuple[Database, User], change: str
) -> None:
    db, user = signed_in
    assert db.active_session_user("f1", user.id) == user
    _CHANGES[change](db, user)
    assert db.active_session_user("f1", user.id) != user


def _user(n: int) -> User:
    return User(n, f"user{n}", "hash", "user", False, 0.0)


def test_the_cache_keeps_nothing_while_changes_are_not_heard() -> None:
    cache = SessionCache()
    cache.put("f1", _user(1), cache.mark())
    assert cache.get("f1", 1) is None  # never listened yet
    cache.resume()
    cache.put("f1", _user(1), cache.mark())
    assert cache.get("f1", 1) == _user(1)
    assert cache.get("f1", 2) is None  # not that user's session
    mark = cache.mark()
    cache.suspend()
    assert cache.get("f1", 1) is None
    cache.resume()
    cache.put("f2", _user(2), mark)  # read before the listener was lost: may be stale
    assert cache.get("f2", 2) is None


def test_the_cache_keeps_a_bounded_number_of_sessions() -> None:
    cache = SessionCache(kept=2)
    cache.resume()
    for n in (1, 2, 3):
        cache.put(f"f{n}", _user(n), cache.mark())
    assert [cache.get(f"f{n}", n) for n in (1, 2, 3)] == [None, _user(2), _user(3)]
