"""SQLite (WAL) behind the repository: one connection guarded by a lock.

The request rate is tiny next to SQLite's, and one writer avoids `database is locked` errors under
concurrent requests. Worker processes on one file take turns at writing through a lock file (see
`_WriterTurns`); SQLite's own locking stays underneath.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from backend.db.driver import Dialect, Row, Tx
from backend.db.errors import ConstraintError, DatabaseError

DIALECT = Dialect(name="sqlite", identity="INTEGER PRIMARY KEY AUTOINCREMENT", placeholder="?")


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
        self._writers = _WriterTurns(None if self.path == ":memory:" else Path(path))

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

    def write_all(self, statements: Sequence[tuple[str, Sequence[object]]]) -> list[Row | None]:
        """The statements in one transaction (in-process: no round trips to save)."""
        with self.transaction() as tx:
            return [tx.one(sql, params) for sql, params in statements]

    def read_all(self, statements: Sequence[tuple[str, Sequence[object]]]) -> list[list[Row]]:
        """The queries one after the other (in-process: no round trips to save)."""
        with self.read() as tx:
            return [tx.all(sql, params) for sql, params in statements]

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """Autocommit reads under the lock (in WAL mode no writer blocks them)."""
        with self._lock, _translated():
            yield Tx(self._conn.cursor(), DIALECT)

    @contextmanager
    def write_one(self) -> Iterator[Tx]:
        """Autocommit single-statement writes under the lock, in this process's turn to write."""
        with self._lock, self._writers.turn(), _translated():
            yield Tx(self._conn.cursor(), DIALECT)


class _WriterTurns:
    """Writers of one database file take turns across processes, waiting in the kernel.

    SQLite lets one process write at a time; another that finds the file locked sleeps in its
    busy handler, 1, 2, 5, 10 ms and longer, before it looks again, and the sleeping thread is a
    worker's event loop, which stalls all its requests meanwhile. With `serve --workers N` in an
    exam-end burst that happened hundreds of times (strace: 1-10 ms each, on writes of ~0.1 ms).
    Waiting on a lock file instead, a writer resumes as soon as the one before it is done. Every
    process of this backend (workers, the `user` and `uploads` commands) takes a turn; anything
    else writing the file still meets SQLite's own lock. Where `fcntl` does not exist (Windows),
    SQLite's busy handler is all there is.
    """

    def __init__(self, database: Path | None) -> None:
        self._fd: int | None = None
        self._depth = 0
        if database is not None and fcntl is not None:
            # Record locks (`lockf`) belong to the process: a child forked later does not share
            # them, as it would share an `flock` on an inherited descriptor.
            self._fd = os.open(f"{database}.writers", os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the turn for the block (within one process callers are already serialised, and
        a nested turn keeps the outer one)."""
        fd = self._fd
        if fd is None or self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        fcntl.lockf(fd, fcntl.LOCK_EX)
        self._depth = 1
        try:
            yield
        finally:
            self._depth = 0
            fcntl.lockf(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


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
