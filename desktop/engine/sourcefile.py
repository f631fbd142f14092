"""Opening a recording to read it, and what it means when that fails.

On Windows a recorder may keep its file open without letting others read it (no
`FILE_SHARE_READ`): opening the file then fails with a sharing violation, and reading a range the
recorder locked fails with a lock violation. The file is fine, only busy, so that is a retryable
:class:`desktop.errors.FileInUseError` (the upload goes on once the recorder lets go), never "the
file changed". POSIX systems have no such mandatory locks: there the same open succeeds, and the
tests build the Windows error by hand.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from desktop.errors import DataChangedError, FileInUseError, UploaderError

#: Windows system error codes (`OSError.winerror`) for "another program holds this file".
ERROR_SHARING_VIOLATION = 32
ERROR_LOCK_VIOLATION = 33

# The one place a recording is opened: tests put a recorder's exclusive hold in front of it.
_open = io.FileIO


def held_by_another_program(exc: OSError) -> bool:
    """True when `exc` says another program holds the file open or locked (Windows only)."""
    return getattr(exc, "winerror", None) in (ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION)


def read_error(path: Path | str, exc: OSError) -> UploaderError:
    """The error to report when opening or reading the recording at `path` raised `exc`."""
    if held_by_another_program(exc):
        return FileInUseError(
            f"The file {path} is open in another program (the recorder?) that does not let "
            "others read it. The upload goes on once that program closes it."
        )
    if isinstance(exc, FileNotFoundError):
        return DataChangedError(f"The file {path} no longer exists.", title="File missing")
    # Windows refuses to open a folder with "access denied" rather than "is a directory".
    if isinstance(exc, IsADirectoryError) or (
        isinstance(exc, PermissionError) and os.path.isdir(path)
    ):
        return DataChangedError(f"{path} is not a regular file.", title="Not a file")
    return DataChangedError(
        f"The file {path} cannot be read ({exc.strerror or exc}).", title="File unreadable"
    )


def open_for_reading(path: Path | str) -> io.FileIO:
    """Open `path` unbuffered for reading.

    Raises:
        FileInUseError: Another program holds the file (retryable).
        DataChangedError: The file cannot be read.
    """
    try:
        return _open(path, "rb")
    except OSError as exc:
        raise read_error(path, exc) from None
