"""SQLite (WAL) persistence: users, refresh-token families, login failures, reserved keys, uploads.

One connection guarded by a lock: the request rate is tiny next to SQLite's, and one writer avoids
`database is locked` errors under concurrent requests.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS token_families (
    family_id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at REAL NOT NULL,
    revoked_at REAL,
    revoked_reason TEXT
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    jti TEXT PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES token_families(family_id),
    issued_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(family_id);
CREATE TABLE IF NOT EXISTS login_failures (
    scope TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_scope ON login_failures(scope, at);
CREATE TABLE IF NOT EXISTS keys (
    key TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    upload_id TEXT NOT NULL UNIQUE,
    s3_upload_id TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    username TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE REFERENCES keys(key),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    part_size INTEGER NOT NULL,
    part_count INTEGER NOT NULL,
    sha256 TEXT,
    exam_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'completed', 'aborted')),
    created_at REAL NOT NULL,
    completed_at REAL,
    aborted_at REAL,
    etag TEXT,
    receipt TEXT
);
CREATE INDEX IF NOT EXISTS uploads_user ON uploads(user_id, seq);
CREATE TABLE IF NOT EXISTS claims (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    claimed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS upload_tokens (
    user_id INTEGER NOT NULL REFERENCES users(id),
    client_token TEXT NOT NULL,
    upload_id TEXT NOT NULL REFERENCES uploads(upload_id),
    PRIMARY KEY (user_id, client_token)
);
"""


@dataclass(frozen=True, slots=True)
class User:
    """A row of `users` (the password hash stays in the database layer's callers that need it).

    Attributes:
        id: Row id.
        username: Lower-case login name.
        password_hash: argon2 hash.
        role: `user` or `admin`.
        disabled: A disabled user cannot sign in or use tokens.
        created_at: Unix time.
    """

    id: int
    username: str
    password_hash: str
    role: str
    disabled: bool
    created_at: float


@dataclass(frozen=True, slots=True)
class UploadRecord:
    """A row of `uploads`.

    Attributes:
        seq: Insertion order (the list cursor).
        upload_id: Public id.
        s3_upload_id: Storage's multipart upload id (never leaves the backend).
        user_id: Owner.
        username: Owner's name at creation.
        key: Object key.
        filename: Sanitised filename.
        content_type: Declared content type.
        size: Declared size in bytes.
        part_size: Bytes per part (the last may be smaller).
        part_count: Number of parts.
        sha256: Client-declared SHA-256 (hex), if any.
        exam_id: Exam metadata.
        kind: `webcam`, `screen` or `other`.
        status: `in_progress`, `completed` or `aborted`.
        created_at: Unix time.
        completed_at: Unix time or None.
        aborted_at: Unix time or None.
        etag: Multipart ETag (no quotes) once completed.
        receipt: The receipt once completed.
    """

    seq: int
    upload_id: str
    s3_upload_id: str
    user_id: int
    username: str
    key: str
    filename: str
    content_type: str
    size: int
    part_size: int
    part_count: int
    sha256: str | None
    exam_id: str
    kind: str
    status: str
    created_at: float
    completed_at: float | None
    aborted_at: float | None
    etag: str | None
    receipt: dict[str, Any] | None


class Database:
    """Thread-safe access to the backend's SQLite file."""

    def __init__(self, path: Path | str) -> None:
        """Open (creating if needed) the database at `path` and apply the schema."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL still never corrupts the file; it syncs at checkpoints instead of on
        # every commit, so a power loss (not a crash of this process) may forget the last
        # commits. Each fsync under the lock stalled every other request (~15 % of a burst's
        # samples sat in the completion's commit). A forgotten commit is recoverable: a completion
        # is re-found in storage (`_recover_completed`), a key storage holds is skipped by the HEAD
        # at creation, a forgotten upload answers 404 and the client starts a new one (its orphaned
        # multipart upload is aborted by the lifecycle rule).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)
        with self.transaction() as cur:
            row = cur.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                cur.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            elif row["version"] > SCHEMA_VERSION:
                raise RuntimeError(
                    f"Database {path} has schema {row['version']}, newer than this backend "
                    f"({SCHEMA_VERSION}); upgrade the backend."
                )

    def ping(self) -> None:
        """Raise `sqlite3.Error` unless the database answers a trivial query."""
        with self._lock:
            self._conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """One immediate transaction under the lock; rolled back on any exception."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    # --- users ---------------------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, role: str) -> User:
        """Insert a user; raises `sqlite3.IntegrityError` if the name is taken."""
        now = time.time()
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                (username, password_hash, role, now),
            )
            user_id = int(cur.lastrowid or 0)
        return User(user_id, username, password_hash, role, False, now)

    def get_user(self, username: str) -> User | None:
        """The user named `username`, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM users WHERE username = ?", (username,)
            ).fetchone()
        return _user(row) if row else None

    def get_user_by_id(self, user_id: int) -> User | None:
        """The user with row id `user_id`, or None."""
        with self._lock:
            row = self._conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return _user(row) if row else None

    def list_users(self) -> list[User]:
        """Every user, by name."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM users ORDER BY username").fetchall()
        return [_user(r) for r in rows]

    def update_user(
        self, username: str, *, password_hash: str | None = None, disabled: bool | None = None
    ) -> bool:
        """Change a user's password hash and/or disabled flag; False if there is no such user."""
        with self.transaction() as cur:
            row = cur.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
            if row is None:
                return False
            if password_hash is not None:
                cur.execute(
                    "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, row["id"])
                )
            if disabled is not None:
                cur.execute(
                    "UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), row["id"])
                )
        return True

    # --- refresh-token families ----------------------------------------------------------------

    def add_refresh_token(
        self, *, jti: str, family_id: str, user_id: int, issued_at: float, expires_at: float
    ) -> None:
        """Record a refresh token (by id only: the token itself is never stored)."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT OR IGNORE INTO token_families (family_id, user_id, created_at) "
                "VALUES (?, ?, ?)",
                (family_id, user_id, issued_at),
            )
            cur.execute(
                "INSERT INTO refresh_tokens (jti, family_id, issued_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (jti, family_id, issued_at, expires_at),
            )

    def use_refresh_token(self, jti: str, family_id: str, now: float) -> str:
        """Mark a refresh token used, atomically.

        Returns:
            `ok` (it was fresh and is now used), `unknown`, `revoked` (its family was revoked),
            `expired`, or `reused` (it had been used before: its whole family is now revoked).
        """
        with self.transaction() as cur:
            row = cur.execute(
                "SELECT t.used_at, t.expires_at, t.family_id, f.revoked_at FROM refresh_tokens t "
                "JOIN token_families f USING (family_id) WHERE t.jti = ?",
                (jti,),
            ).fetchone()
            if row is None or row["family_id"] != family_id:
                return "unknown"
            if row["revoked_at"] is not None:
                return "revoked"
            if row["used_at"] is not None:
                cur.execute(
                    "UPDATE token_families SET revoked_at = ?, revoked_reason = 'reuse' "
                    "WHERE family_id = ?",
                    (now, family_id),
                )
                return "reused"
            if row["expires_at"] <= now:
                return "expired"
            cur.execute("UPDATE refresh_tokens SET used_at = ? WHERE jti = ?", (now, jti))
        return "ok"

    def active_session_user(self, family_id: str, user_id: int) -> User | None:
        """The user `user_id` if sign-in family `family_id` is theirs and not revoked, else None.

        One query for what every authenticated request checks (it was two).
        """
        with self._lock:
            row = self._conn.execute(
                "SELECT u.* FROM token_families f JOIN users u ON u.id = f.user_id "
                "WHERE f.family_id = ? AND f.user_id = ? AND f.revoked_at IS NULL",
                (family_id, user_id),
            ).fetchone()
        return _user(row) if row else None

    def family_active(self, family_id: str) -> bool:
        """True if the sign-in family exists and has not been revoked."""
        with self._lock:
            row = self._conn.execute(
                "SELECT revoked_at FROM token_families WHERE family_id = ?", (family_id,)
            ).fetchone()
        return row is not None and row["revoked_at"] is None

    def revoke_family(self, family_id: str, reason: str, now: float) -> None:
        """Revoke every refresh token of a family."""
        with self.transaction() as cur:
            cur.execute(
                "UPDATE token_families SET revoked_at = ?, revoked_reason = ? "
                "WHERE family_id = ? AND revoked_at IS NULL",
                (now, reason, family_id),
            )

    def revoke_user_families(self, user_id: int, reason: str, now: float) -> None:
        """Revoke every refresh token a user holds (password change, disable)."""
        with self.transaction() as cur:
            cur.execute(
                "UPDATE token_families SET revoked_at = ?, revoked_reason = ? "
                "WHERE user_id = ? AND revoked_at IS NULL",
                (now, reason, user_id),
            )

    def prune_tokens(self, now: float) -> None:
        """Forget refresh tokens that expired (their families too, once empty)."""
        with self.transaction() as cur:
            cur.execute("DELETE FROM refresh_tokens WHERE expires_at < ?", (now,))
            cur.execute(
                "DELETE FROM token_families WHERE family_id NOT IN "
                "(SELECT DISTINCT family_id FROM refresh_tokens)"
            )

    # --- login throttling ----------------------------------------------------------------------

    def begin_attempt(
        self, limits: dict[str, int], now: float, since: float
    ) -> tuple[list[int], tuple[str, float | None] | None]:
        """Count a sign-in attempt as a failure of every scope in `limits` before it is judged.

        Checking and counting are one transaction, so attempts in parallel (other threads, other
        worker processes) each see those before them: the limit holds however many run at once.
        Failures older than `since` are dropped on the way.

        Returns:
            `(row ids to forget if the attempt succeeds, None)`, or `([], (scope, oldest))` when
            `scope` already holds its limit of failures since `since` (nothing is counted then).
        """
        with self.transaction() as cur:
            cur.execute("DELETE FROM login_failures WHERE at < ?", (since,))
            for scope, limit in limits.items():
                row = cur.execute(
                    "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_failures WHERE scope = ?",
                    (scope,),
                ).fetchone()
                if int(row["n"]) >= limit:
                    return [], (scope, row["oldest"])
            ids = []
            for scope in limits:
                cur.execute("INSERT INTO login_failures VALUES (?, ?)", (scope, now))
                ids.append(int(cur.lastrowid or 0))
        return ids, None

    def forget_failures(self, row_ids: list[int]) -> None:
        """Drop counted attempts by row id (an attempt that turned out to succeed)."""
        with self.transaction() as cur:
            cur.executemany("DELETE FROM login_failures WHERE rowid = ?", [(i,) for i in row_ids])

    def clear_failures(self, scope: str) -> None:
        """Forget the failures of `scope` (after a successful login)."""
        with self.transaction() as cur:
            cur.execute("DELETE FROM login_failures WHERE scope = ?", (scope,))

    # --- claims (work on one upload, across worker processes) ---------------------------------

    def claim(self, name: str, owner: str, now: float, stale_before: float) -> bool:
        """Take the claim `name` for `owner`; False while someone else holds it.

        A claim older than `stale_before` is taken over: its holder died without releasing it.
        """
        with self.transaction() as cur:
            cur.execute(
                "DELETE FROM claims WHERE name = ? AND claimed_at < ?", (name, stale_before)
            )
            cur.execute(
                "INSERT OR IGNORE INTO claims (name, owner, claimed_at) VALUES (?, ?, ?)",
                (name, owner, now),
            )
            return cur.rowcount == 1

    def release(self, name: str, owner: str) -> None:
        """Give up the claim `name` if `owner` still holds it."""
        with self.transaction() as cur:
            cur.execute("DELETE FROM claims WHERE name = ? AND owner = ?", (name, owner))

    # --- keys and uploads ----------------------------------------------------------------------

    def reserve_key(self, key: str, user_id: int, source: str) -> bool:
        """Claim `key` for good; False if it was ever handed out before."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT OR IGNORE INTO keys (key, user_id, source, created_at) VALUES (?, ?, ?, ?)",
                (key, user_id, source, time.time()),
            )
            return cur.rowcount == 1

    def release_key(self, key: str) -> None:
        """Give back a reserved key that no upload was created for."""
        with self.transaction() as cur:
            cur.execute(
                "DELETE FROM keys WHERE key = ? AND key NOT IN (SELECT key FROM uploads)", (key,)
            )

    def insert_upload(self, rec: UploadRecord, *, client_token: str | None = None) -> UploadRecord:
        """Insert an upload row (and map the client's token to it); returns it with its `seq`."""
        values = _upload_values(rec)
        del values["seq"]
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self.transaction() as cur:
            cur.execute(f"INSERT INTO uploads ({cols}) VALUES ({marks})", tuple(values.values()))
            seq = int(cur.lastrowid or 0)
            if client_token is not None:
                cur.execute(
                    "INSERT OR REPLACE INTO upload_tokens (user_id, client_token, upload_id) "
                    "VALUES (?, ?, ?)",
                    (rec.user_id, client_token, rec.upload_id),
                )
        return _replace_seq(rec, seq)

    def upload_for_token(self, user_id: int, client_token: str) -> UploadRecord | None:
        """The upload a client token was last used to create, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT u.* FROM upload_tokens t JOIN uploads u USING (upload_id) "
                "WHERE t.user_id = ? AND t.client_token = ?",
                (user_id, client_token),
            ).fetchone()
        return _upload(row) if row else None

    def get_upload(self, upload_id: str) -> UploadRecord | None:
        """The upload with public id `upload_id`, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM uploads WHERE upload_id = ?", (upload_id,)
            ).fetchone()
        return _upload(row) if row else None

    def mark_completed(
        self, upload_id: str, etag: str, completed_at: float, receipt: dict[str, Any]
    ) -> None:
        """Record a completion and its receipt."""
        with self.transaction() as cur:
            cur.execute(
                "UPDATE uploads SET status = 'completed', etag = ?, completed_at = ?, receipt = ? "
                "WHERE upload_id = ? AND status = 'in_progress'",
                (etag, completed_at, json.dumps(receipt), upload_id),
            )

    def mark_aborted(self, upload_id: str, now: float) -> None:
        """Record that an in-progress upload is gone."""
        with self.transaction() as cur:
            cur.execute(
                "UPDATE uploads SET status = 'aborted', aborted_at = ? "
                "WHERE upload_id = ? AND status = 'in_progress'",
                (now, upload_id),
            )

    def list_uploads(
        self, *, user_id: int | None, status: str | None, before_seq: int | None, limit: int
    ) -> list[UploadRecord]:
        """Uploads newest first; `user_id` None means everyone's."""
        where: list[str] = []
        args: list[object] = []
        if user_id is not None:
            where.append("user_id = ?")
            args.append(user_id)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if before_seq is not None:
            where.append("seq < ?")
            args.append(before_seq)
        sql = "SELECT * FROM uploads"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [_upload(r) for r in rows]


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        password_hash=row["password_hash"],
        role=row["role"],
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
    )


def _upload(row: sqlite3.Row) -> UploadRecord:
    values = dict(row)
    values["receipt"] = json.loads(values["receipt"]) if values["receipt"] else None
    return UploadRecord(**values)


def _upload_values(rec: UploadRecord) -> dict[str, Any]:
    values = {name: getattr(rec, name) for name in UploadRecord.__slots__}
    values["receipt"] = json.dumps(rec.receipt) if rec.receipt is not None else None
    return values


def _replace_seq(rec: UploadRecord, seq: int) -> UploadRecord:
    values = {name: getattr(rec, name) for name in UploadRecord.__slots__}
    values["seq"] = seq
    return UploadRecord(**values)
