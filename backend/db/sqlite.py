"""SQLite (WAL) behind the repository: one connection guarded by a lock.

The request rate is tiny next to SQLite's, and one writer avoids `database is locked` errors under
concurrent requests. Worker processes on one file take turns at writing through a lock file (see
`backend.db.sqlite_writers`); SQLite's own locking stays underneath.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from backend.db.driver import Dialect, Row, Tx
from backend.db.errors import ConstraintError, DatabaseError
from backend.db.sqlite_checkpoints import checkpoints_in_background
from backend.db.sqlite_writers import WriterTurns

DIALECT = Dialect(name="sqlite", identity="INTEGER PRIMARY KEY AUTOINCREMENT", placeholder="?")
# SQLite's default: a commit that leaves the WAL this many pages long checkpoints it.
AUTOCHECKPOINT_PAGES = 1000


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {d[0]: value for d, value in zip(cursor.description, row, strict=True)}


class SQLiteDriver:
    """Thread-safe access to one SQLite file (or `:memory:`)."""

    dialect = DIALECT

    def __init__(self, path: Path | str) -> None:
        """Open (creating if needed) the database at `path`."""
        self.path = str(path)
        try:
            if self.path != ":memory:":
                _create_private(Path(path))
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._conn.row_factory = _dict_row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._writers = WriterTurns(None if self.path == ":memory:" else Path(path))
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseError(f"cannot open the database {self.path}: {exc}") from exc
        # In WAL mode NORMAL still never corrupts the file; it syncs at checkpoints instead of on
        # every commit, so a power loss (not a crash of this process) may forget the last
        # commits. Each fsync under the lock stalled every other request (~15 % of a burst's
        # samples sat in the completion's commit). A forgotten commit is recoverable: a completion
        # is re-found in storage, a key storage holds is skipped by the HEAD at creation, a
        # forgotten upload answers 404 and the client starts a new one (its orphaned multipart
        # upload is aborted by the lifecycle rule).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
            self._writers.close()

    @contextmanager
    def transaction(self, locks: Sequence[str] = ()) -> Iterator[Tx]:
        """One immediate transaction under the lock (it locks every writer, so `locks` is moot)."""
        with self._lock, self._writers.turn(), _translated():
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(cur, DIALECT)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def write_all(self, statements: Sequence[tuple[str, Sequence[object]]]) -> list[list[Row]]:
        """The statements in one transaction (in-process: no round trips to save)."""
        with self.transaction() as tx:
            return [tx.all(sql, params) for sql, params in statements]

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """Autocommit reads under the lock (in WAL mode no writer blocks them)."""
        with self._lock, _translated():
            yield Tx(self._conn.cursor(), DIALECT)

    @contextmanager
    def serving(self) -> Iterator[None]:
        """While a process serves requests: its checkpoints run on a thread of their own."""
        if self.path == ":memory:":
            yield
            return
        with self._lock:
            self._conn.execute("PRAGMA wal_autocheckpoint=0")
        try:
            with checkpoints_in_background(self.path):
                yield
        finally:
            with self._lock:
                self._conn.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")

    @contextmanager
    def write_one(self) -> Iterator[Tx]:
        """Autocommit single-statement writes under the lock, in this process's turn to write."""
        with self._lock, self._writers.turn(), _translated():
            yield Tx(self._conn.cursor(), DIALECT)


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise ConstraintError(str(exc)) from exc
    except sqlite3.Error as exc:
        raise DatabaseError(f"database error: {exc}") from exc


def _create_private(path: Path) -> None:
    """Create the database file (and its folder) readable by the server's account only.

    The database holds password hashes and session records. sqlite3 would create it with the
    umask's mode (often 0644); created 0600 first, its -wal and -shm files follow that mode. An
    existing file is tightened too. A new data folder is 0700; an existing one is left as the
    operator set it.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    if os.name != "nt":
        os.chmod(path, 0o600)
