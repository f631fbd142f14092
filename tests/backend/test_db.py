"""The repository seam: migrations, and only `backend.db` errors above it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from backend.db import ConstraintError, SchemaTooNewError, open_database
from backend.db.schema import MIGRATIONS, SCHEMA_VERSION


def _version(path: Path) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute("SELECT version FROM schema_version").fetchone()[0])


def test_a_database_of_the_first_schema_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(path)
    for statement in MIGRATIONS[0].statements:
        raw.execute(statement.replace("{id}", "INTEGER PRIMARY KEY"))
    raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    raw.execute("INSERT INTO schema_version VALUES (1)")
    raw.execute(
        "INSERT INTO users (username, password_hash, role, created_at) "
        "VALUES ('ann', 'h', 'user', 1)"
    )
    raw.execute("INSERT INTO login_failures VALUES ('user:ann', 1)")
    raw.commit()
    raw.close()

    db = open_database(path)
    try:
        user = db.get_user("ann")
        assert user is not None
        assert user.password_hash == "h"
        ids, over = db.begin_attempt({"user:ann": 5}, now=10.0, since=0.0)
        assert over is None
        assert len(ids) == 1
    finally:
        db.close()
    assert _version(path) == SCHEMA_VERSION


def test_a_database_from_a_newer_backend_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    open_database(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaTooNewError, match="upgrade the backend"):
        open_database(path)


def test_a_taken_username_is_a_constraint_error_not_a_driver_error(tmp_path: Path) -> None:
    db = open_database(tmp_path / "b.sqlite3")
    try:
        db.add_user("ann", "h", "user")
        with pytest.raises(ConstraintError):
            db.add_user("ann", "h2", "user")
        assert [u.password_hash for u in db.list_users()] == ["h"]
    finally:
        db.close()


def test_a_refresh_token_is_taken_once_then_its_reuse_revokes_the_family(tmp_path: Path) -> None:
    db = open_database(tmp_path / "b.sqlite3")
    try:
        user = db.add_user("ann", "h", "user")
        db.add_refresh_token(jti="j1", family_id="f", user_id=user.id, issued_at=1, expires_at=100)
        db.add_refresh_token(jti="j2", family_id="f", user_id=user.id, issued_at=1, expires_at=5)
        assert db.use_refresh_token("j2", "f", now=10.0) == "expired"
        assert db.use_refresh_token("j1", "other", now=10.0) == "unknown"
        assert db.use_refresh_token("j1", "f", now=10.0) == "ok"
        assert db.family_active("f")
        assert db.use_refresh_token("j1", "f", now=11.0) == "reused"
        assert not db.family_active("f")
        assert db.use_refresh_token("j2", "f", now=1.0) == "revoked"
    finally:
        db.close()
