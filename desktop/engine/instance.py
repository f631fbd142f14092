"""One engine per user: an OS file lock on the data folder, held while a queue runs.

The GUI and the CLI share the same queue database. Two engines running it at once would send the
same parts twice and race on completion, so whoever runs the queue holds this lock; the other is
told plainly. The OS releases the lock when the process dies (even on SIGKILL), so a crash never
leaves a stale lock behind.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from types import TracebackType

from desktop.errors import StateStoreError, UploaderError


class AlreadyRunningError(UploaderError):
    """Another process of the app is already running the upload queue."""

    default_title = "Already running"
    default_message = (
        "Another Proctor Uploader (the app or a command) is already uploading on this computer. "
        "Let it finish, or close it, then try again."
    )


class EngineLock:
    """An exclusive, non-blocking lock on ``<data_dir>/engine.lock``."""

    def __init__(self, data_dir: Path) -> None:
        """Prepare the lock (nothing is locked until :meth:`acquire`)."""
        self.path = data_dir / "engine.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock.

        Raises:
            AlreadyRunningError: Another process holds it.
            StateStoreError: The data folder cannot be written (disk full, read-only, no access).
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _folder_error(self.path.parent, exc) from None
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            raise AlreadyRunningError() from None
        try:
            # The holder's process id, for a person wondering who holds the lock.
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError as exc:
            os.close(fd)
            raise _folder_error(self.path.parent, exc) from None
        self._fd = fd

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None

    def __enter__(self) -> EngineLock:
        """Acquire."""
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Release."""
        self.release()


def _folder_error(folder: Path, exc: OSError) -> StateStoreError:
    """A start-up failure to write the data folder, in words (the first thing a full disk hits)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StateStoreError(
            f"The disk holding the app's data folder ({folder}) is full, so uploads cannot start. "
            "Free some space, then try again. Nothing already uploaded is lost."
        )
    return StateStoreError(
        f"The app's data folder ({folder}) cannot be written ({exc.strerror or exc}), so uploads "
        "cannot start. Check that the folder is writable, then try again."
    )


def _lock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
