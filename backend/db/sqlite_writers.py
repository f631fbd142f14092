"""Writers of one SQLite file take turns across processes, waiting in the kernel."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


class WriterTurns:
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
