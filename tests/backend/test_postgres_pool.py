"""The PostgreSQL pool lends a connection used a moment ago without a round trip to check it.

So a connection the server closed (a restart) costs the request that meets it a 503, which clients
retry; after that the pool checks every loan again until it has shed the other dead connections.
"""

from __future__ import annotations

import psycopg
import pytest

from backend.db import open_database
from backend.db import postgres as postgres_driver
from backend.db.errors import DatabaseError
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgresql


def _end_sessions(postgres: PostgresServer, url: str) -> None:
    """End every session on the database of `url`, as a server restart would."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(postgres.url(), autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()) AS t",
            (name,),
        ).fetchone()
    assert ended is not None
    assert ended[0] >= 1


def test_a_connection_the_server_closed_fails_one_request_then_loans_are_checked(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "A moment ago" stretched, so a slow machine cannot turn the first loan into a checked one.
    monkeypatch.setattr(postgres_driver, "CHECK_IF_IDLE_S", 3600.0)
    url = postgres.create_database()
    db = open_database(url, pool_size=1)
    try:
        db.ping()
        _end_sessions(postgres, url)
        # Used a moment ago, so lent unchecked: the request meets the closed connection.
        with pytest.raises(DatabaseError):
            db.ping()
        db.ping()  # the pool replaced it
        _end_sessions(postgres, url)
        db.ping()  # on guard since the failure: checked before the loan, replaced, no error
    finally:
        db.close()


def test_a_connection_idle_for_a_while_is_checked_before_it_is_lent(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres_driver, "CHECK_IF_IDLE_S", 0.0)  # every loan counts as idle
    url = postgres.create_database()
    db = open_database(url, pool_size=1)
    try:
        db.ping()
        _end_sessions(postgres, url)
        db.ping()
    finally:
        db.close()
