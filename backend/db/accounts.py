"""Users, refresh-token families and failed sign-ins."""

from __future__ import annotations

import time
from collections.abc import Sequence

from backend.db.driver import Driver, RepositoryBase, Row, Tx
from backend.db.records import User
from backend.db.session_cache import SESSIONS_CHANGED, SessionCache

# Sent in the transaction of every change that can end a session or change what the session
# check answers: PostgreSQL delivers it to every instance's listener when the change commits.
_NOTIFY_SESSIONS_CHANGED = f"NOTIFY {SESSIONS_CHANGED}"


class AccountsRepository(RepositoryBase):
    """The account half of `Database`.

    Attributes:
        sessions: The active sessions this process remembers (used only while a
            `SessionListener` hears the changes; see `backend.db.session_cache`).
    """

    def __init__(self, driver: Driver) -> None:
        """Work through `driver`."""
        super().__init__(driver)
        self.sessions = SessionCache()

    # --- users ---------------------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, role: str) -> User:
        """Insert a user; raises `ConstraintError` if the name is taken."""
        now = time.time()
        with self._write_one() as tx:
            row = tx.one(
                "INSERT INTO users (username, password_hash, role, created_at) "
                "VALUES (?, ?, ?, ?) RETURNING id",
                (username, password_hash, role, now),
            )
        assert row is not None
        return User(int(row["id"]), username, password_hash, role, False, now)

    def get_user(self, username: str) -> User | None:
        """The user named `username`, or None."""
        with self._read() as tx:
            row = tx.one("SELECT * FROM users WHERE username = ?", (username,))
        return _user(row) if row else None

    def get_user_by_id(self, user_id: int) -> User | None:
        """The user with row id `user_id`, or None."""
        with self._read() as tx:
            row = tx.one("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    def list_users(self) -> list[User]:
        """Every user, by name."""
        with self._read() as tx:
            rows = tx.all("SELECT * FROM users ORDER BY username")
        return [_user(r) for r in rows]

    def update_user(
        self, username: str, *, password_hash: str | None = None, disabled: bool | None = None
    ) -> bool:
        """Change a user's password hash and/or disabled flag; False if there is no such user."""
        with self._tx() as tx:
            row = tx.one("SELECT id FROM users WHERE username = ?", (username,))
            if row is None:
                return False
            if password_hash is not None:
                tx.run(
                    "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, row["id"])
                )
            if disabled is not None:
                tx.run("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), row["id"]))
            self._tell_sessions_changed(tx)
        self.sessions.invalidate()
        return True

    # --- refresh-token families ----------------------------------------------------------------

    def add_refresh_token(
        self, *, jti: str, family_id: str, user_id: int, issued_at: float, expires_at: float
    ) -> None:
        """Record a refresh token (by id only: the token itself is never stored)."""
        self._write_all(
            (
                "INSERT INTO token_families (family_id, user_id, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (family_id) DO NOTHING",
                (family_id, user_id, issued_at),
            ),
            (
                "INSERT INTO refresh_tokens (jti, family_id, issued_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (jti, family_id, issued_at, expires_at),
            ),
        )

    def use_refresh_token(self, jti: str, family_id: str, now: float) -> str:
        """Mark a refresh token used, atomically (also between processes and database servers).

        The token is taken by one conditional UPDATE: of two requests presenting it at once, on
        any database, exactly one changes the row; the other then sees it used.

        Returns:
            `ok` (it was fresh and is now used), `unknown`, `revoked` (its family was revoked),
            `expired`, or `reused` (it had been used before: its whole family is now revoked).
        """
        outcome = self._take_refresh_token(jti, family_id, now)
        if outcome == "reused":
            self.sessions.invalidate()
        return outcome

    def _take_refresh_token(self, jti: str, family_id: str, now: float) -> str:
        with self._tx() as tx:
            taken = tx.run(
                "UPDATE refresh_tokens SET used_at = ? WHERE jti = ? AND family_id = ? "
                "AND used_at IS NULL AND expires_at > ? AND family_id IN "
                "(SELECT family_id FROM token_families WHERE revoked_at IS NULL)",
                (now, jti, family_id, now),
            )
            if taken == 1:
                return "ok"
            row = tx.one(
                "SELECT t.used_at, t.expires_at, t.family_id, f.revoked_at FROM refresh_tokens t "
                "JOIN token_families f ON f.family_id = t.family_id WHERE t.jti = ?",
                (jti,),
            )
            if row is None or row["family_id"] != family_id:
                return "unknown"
            if row["revoked_at"] is not None:
                return "revoked"
            if row["used_at"] is not None:
                tx.run(
                    "UPDATE token_families SET revoked_at = ?, revoked_reason = 'reuse' "
                    "WHERE family_id = ?",
                    (now, family_id),
                )
                self._tell_sessions_changed(tx)
                return "reused"
        return "expired"

    def active_session_user(self, family_id: str, user_id: int) -> User | None:
        """The user `user_id` if sign-in family `family_id` is theirs and not revoked, else None.

        One query for what every authenticated request checks (it was two), and none when this
        process remembers the session (`sessions`).
        """
        user = self.sessions.get(family_id, user_id)
        if user is not None:
            return user
        mark = self.sessions.mark()
        with self._read() as tx:
            row = tx.one(
                "SELECT u.* FROM token_families f JOIN users u ON u.id = f.user_id "
                "WHERE f.family_id = ? AND f.user_id = ? AND f.revoked_at IS NULL",
                (family_id, user_id),
            )
        if row is None:
            return None
        user = _user(row)
        self.sessions.put(family_id, user, mark)
        return user

    def family_active(self, family_id: str) -> bool:
        """True if the sign-in family exists and has not been revoked."""
        with self._read() as tx:
            row = tx.one("SELECT revoked_at FROM token_families WHERE family_id = ?", (family_id,))
        return row is not None and row["revoked_at"] is None

    def revoke_family(self, family_id: str, reason: str, now: float) -> None:
        """Revoke every refresh token of a family."""
        self._change_sessions(
            "UPDATE token_families SET revoked_at = ?, revoked_reason = ? "
            "WHERE family_id = ? AND revoked_at IS NULL",
            (now, reason, family_id),
        )

    def revoke_user_families(self, user_id: int, reason: str, now: float) -> None:
        """Revoke every refresh token a user holds (password change, disable)."""
        self._change_sessions(
            "UPDATE token_families SET revoked_at = ?, revoked_reason = ? "
            "WHERE user_id = ? AND revoked_at IS NULL",
            (now, reason, user_id),
        )

    def prune_tokens(self, now: float) -> None:
        """Forget refresh tokens that expired (their families too, once empty)."""
        self._change_sessions(
            "DELETE FROM refresh_tokens WHERE expires_at < ?",
            (now,),
            (
                "DELETE FROM token_families WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t "
                "WHERE t.family_id = token_families.family_id)",
                (),
            ),
        )

    # --- telling every instance that sessions changed ------------------------------------------

    def _sessions_changed(self) -> tuple[tuple[str, Sequence[object]], ...]:
        """The statement that tells every instance, at commit, that sessions changed.

        On PostgreSQL a notification; SQLite has none and needs none: no session cache is used
        on it (one machine; `user disable` from the CLI, another process, must still end tokens
        at once).
        """
        if self._driver.dialect.name == "postgresql":
            return ((_NOTIFY_SESSIONS_CHANGED, ()),)
        return ()

    def _tell_sessions_changed(self, tx: Tx) -> None:
        """In `tx`, a change of sessions: every instance hears it at commit."""
        for sql, params in self._sessions_changed():
            tx.run(sql, params)

    def _change_sessions(
        self, sql: str, params: Sequence[object], *more: tuple[str, Sequence[object]]
    ) -> None:
        """Run writes that can end sessions in one transaction and tell every instance: the
        others when it commits, this one's cache right after."""
        try:
            self._write_all((sql, params), *more, *self._sessions_changed())
        finally:
            self.sessions.invalidate()

    # --- login throttling ----------------------------------------------------------------------

    def begin_attempt(
        self, limits: dict[str, int], now: float, since: float
    ) -> tuple[list[int], tuple[str, float | None] | None]:
        """Count a sign-in attempt as a failure of every scope in `limits` before it is judged.

        Checking and counting are one transaction holding each scope's lock, so attempts in
        parallel (other threads, processes, instances) each see those before them: the limit
        holds however many run at once. Failures older than `since` are dropped on the way.

        Returns:
            `(row ids to forget if the attempt succeeds, None)`, or `([], (scope, oldest))` when
            `scope` already holds its limit of failures since `since` (nothing is counted then).
        """
        with self._tx(locks=[f"login:{scope}" for scope in limits]) as tx:
            tx.run("DELETE FROM login_failures WHERE at < ?", (since,))
            for scope, limit in limits.items():
                row = tx.one(
                    "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_failures WHERE scope = ?",
                    (scope,),
                )
                assert row is not None
                if int(row["n"]) >= limit:
                    return [], (scope, row["oldest"])
            ids = []
            for scope in limits:
                inserted = tx.one(
                    "INSERT INTO login_failures (scope, at) VALUES (?, ?) RETURNING id",
                    (scope, now),
                )
                assert inserted is not None
                ids.append(int(inserted["id"]))
        return ids, None

    def forget_failures(self, row_ids: list[int]) -> None:
        """Drop counted attempts by row id (an attempt that turned out to succeed)."""
        if not row_ids:
            return
        marks = ", ".join("?" for _ in row_ids)
        with self._write_one() as tx:
            tx.run(f"DELETE FROM login_failures WHERE id IN ({marks})", row_ids)

    def remember_address(self, username: str, address: str, now: float) -> None:
        """Note that `username` signed in from `address` at `now`."""
        with self._write_one() as tx:
            tx.run(
                "INSERT INTO login_addresses (username, address, last_success_at) "
                "VALUES (?, ?, ?) ON CONFLICT (username, address) "
                "DO UPDATE SET last_success_at = excluded.last_success_at",
                (username, address, now),
            )

    def known_address(self, username: str, address: str, since: float) -> bool:
        """True if `username` signed in from `address` at or after `since`."""
        with self._read() as tx:
            row = tx.one(
                "SELECT 1 AS known FROM login_addresses "
                "WHERE username = ? AND address = ? AND last_success_at >= ?",
                (username, address, since),
            )
        return row is not None

    def clear_failures(self, scope: str) -> None:
        """Forget the failures of `scope` (after a successful login)."""
        with self._write_one() as tx:
            tx.run("DELETE FROM login_failures WHERE scope = ?", (scope,))


def _user(row: Row) -> User:
    return User(
        id=int(row["id"]),
        username=row["username"],
        password_hash=row["password_hash"],
        role=row["role"],
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
    )
