"""The operating system telling us a writer closed a file: Linux inotify ``IN_CLOSE_WRITE``.

A recorder closes its file when the recording ends (and the kernel closes it for a recorder that
crashed), so this is an earlier, surer end signal than "the size stopped changing". Elsewhere
(Windows, macOS) :func:`open_close_watch` returns None and following relies on the settle time.

Through ``ctypes`` on libc rather than a library: three system calls and a fixed event layout do
not justify a dependency, and nothing extra has to be collected into the frozen app.
"""

from __future__ import annotations

import logging
import os
import select
import struct
import sys

logger = logging.getLogger(__name__)

_IN_CLOSE_WRITE = 0x00000008
_IN_MOVE_SELF = 0x00000800
_IN_DELETE_SELF = 0x00000400
_IN_IGNORED = 0x00008000
_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then `len` bytes of name


class CloseWatch:
    """An inotify watch on one file. Not thread-safe: one follower owns it.

    Attributes:
        closed: A writer closed the file since the watch began.
        gone: The file was deleted or moved away.
    """

    def __init__(self, fd: int) -> None:
        """Own the inotify descriptor `fd` (already watching the file)."""
        self._fd = fd
        self.closed = False
        self.gone = False

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for an event; True when one arrived (see the flags)."""
        if self._fd < 0:
            return False
        ready, _, _ = select.select([self._fd], [], [], max(0.0, timeout))
        if not ready:
            return False
        try:
            data = os.read(self._fd, 4096)
        except BlockingIOError:
            return False
        pos = 0
        while pos + _EVENT.size <= len(data):
            _, mask, _, length = _EVENT.unpack_from(data, pos)
            pos += _EVENT.size + length
            if mask & _IN_CLOSE_WRITE:
                self.closed = True
            if mask & (_IN_MOVE_SELF | _IN_DELETE_SELF | _IN_IGNORED):
                self.gone = True
        return True

    def close(self) -> None:
        """Stop watching."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def open_close_watch(path: str) -> CloseWatch | None:
    """A watch for `path` being closed by a writer, or None where the OS cannot tell us."""
    if not sys.platform.startswith("linux"):
        return None
    # Loaded here, with the first recording followed, not whenever the engine is.
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        wd = libc.inotify_add_watch(
            fd, os.fsencode(path), _IN_CLOSE_WRITE | _IN_MOVE_SELF | _IN_DELETE_SELF
        )
        if wd < 0:
            err = ctypes.get_errno()
            os.close(fd)
            raise OSError(err, os.strerror(err))
    except (OSError, AttributeError) as exc:
        # Out of watches (fs.inotify.max_user_watches) or no inotify: the settle time still ends
        # the recording, only later.
        logger.info("no close-write signal for a followed file (%s); using the settle time", exc)
        return None
    return CloseWatch(fd)
