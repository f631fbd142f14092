"""Watching a file that a recorder is still writing: how far it is safe to read, and when it ended.

A recording has ended when its writer closed it (where the OS says so: see ``closewatch.py``) or
when its size has not changed for the settle time. The settle time trades the wait after the
last byte (it is added to every upload's end where no close signal exists) against a recorder
that pauses writing for longer than it (it would be taken as ended; the final check then sees
the file grow again and the job ends as changed, never as verified).

Bytes within ``margin`` of the end of the file are not read while it grows: a writer may still
be filling them (buffers are flushed in pieces), so they are left for the end.

A file that shrinks, disappears or is replaced by another file (another inode) while followed
is not the recording that was being sent: :meth:`GrowthWatcher.wait` raises
:class:`~desktop.errors.DataChangedError`, so the job ends as changed and never as verified.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from desktop.engine.closewatch import CloseWatch, open_close_watch
from desktop.errors import DataChangedError
from desktop.recordings import SETTLE_SECONDS

logger = logging.getLogger(__name__)

#: How long a file must stay unchanged after its writer closed it: a writer that closes and
#: reopens (to append again) would otherwise be taken as finished.
CLOSE_QUIET = 0.2
DEFAULT_SETTLE = float(SETTLE_SECONDS)
DEFAULT_MARGIN = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Growth:
    """Where a followed file stands.

    Attributes:
        size: Its size now.
        safe_end: Bytes before this offset may be read (size minus the margin while it grows,
            the size once it ended).
        ended: The recording ended (closed, or settled).
        closed: It ended because the writer closed the file (else: the settle time passed).
    """

    size: int
    safe_end: int
    ended: bool
    closed: bool = False


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """What must not change under a followed file: the device and inode it lives at."""

    device: int
    inode: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileIdentity:
        """The identity of a ``stat`` result."""
        return cls(st.st_dev, st.st_ino)


def still_growing(paths: list[Path], *, probe: float = 1.0) -> set[Path]:
    """The files among `paths` whose size or modification time changes within `probe` seconds:
    a recorder is writing them now (it flushes several times a second). Blocks for `probe`
    seconds when there is anything to look at."""
    if not paths:
        return set()

    def look() -> dict[Path, tuple[int, int] | None]:
        seen: dict[Path, tuple[int, int] | None] = {}
        for path in paths:
            try:
                st = os.stat(path)
            except OSError:
                seen[path] = None
            else:
                seen[path] = (st.st_size, st.st_mtime_ns)
        return seen

    before = look()
    time.sleep(probe)
    after = look()
    return {p for p in paths if before[p] is not None and after[p] != before[p]}


class GrowthWatcher:
    """Follows one file's size until the recording ends. One thread uses it.

    Attributes:
        path: The file.
        settle: Seconds without any change that end the recording.
        margin: Bytes kept back from the end of a growing file.
        identity: The file being followed (a different inode at `path` is another file).
    """

    def __init__(
        self,
        path: str,
        *,
        settle: float = DEFAULT_SETTLE,
        margin: int = DEFAULT_MARGIN,
        poll: float = 0.25,
        close_signal: bool = True,
        identity: FileIdentity | None = None,
    ) -> None:
        """Start following `path` (it must exist).

        Args:
            path: The file.
            settle: Seconds without change that end the recording.
            margin: Bytes kept back from the end while it grows.
            poll: Seconds between size checks.
            close_signal: Use the OS's "writer closed the file" signal where there is one.
            identity: The file this must be (resuming a job); default: whatever is at `path`.

        Raises:
            DataChangedError: The file is missing, or is not the file `identity` names.
        """
        if settle <= 0:
            raise ValueError("settle must be positive")
        self.path = path
        self.settle = settle
        self.margin = max(0, margin)
        self._poll = poll
        st = self._stat()
        self.identity = identity or FileIdentity.of(st)
        self._check_identity(st)
        self._size = st.st_size
        self._mtime_ns = st.st_mtime_ns
        self._changed_at = time.monotonic()
        self._watch: CloseWatch | None = open_close_watch(path) if close_signal else None
        self._closed_at: float | None = None
        self._closed_size = 0

    def _stat(self) -> os.stat_result:
        try:
            return os.stat(self.path)
        except OSError as exc:
            raise DataChangedError(
                f"The recording {self.path} is gone ({exc.strerror}).", title="Recording gone"
            ) from None

    def _check_identity(self, st: os.stat_result) -> None:
        if FileIdentity.of(st) != self.identity:
            raise DataChangedError(
                f"The recording {self.path} was replaced by another file while it was being sent.",
                title="Recording replaced",
            )

    def check(self) -> Growth:
        """Look at the file now (no waiting).

        Raises:
            DataChangedError: It shrank, disappeared or was replaced.
        """
        st = self._stat()
        self._check_identity(st)
        now = time.monotonic()
        if st.st_size < self._size:
            raise DataChangedError(
                f"The recording {self.path} became shorter ({st.st_size:,} bytes after "
                f"{self._size:,}) while it was being sent.",
                title="Recording shortened",
            )
        if st.st_size != self._size or st.st_mtime_ns != self._mtime_ns:
            self._size, self._mtime_ns = st.st_size, st.st_mtime_ns
            self._changed_at = now
        if self._closed_at is not None and self._size != self._closed_size:
            self._closed_at = None  # written again after the close: someone reopened it
        closed = self._closed_at is not None and now - self._closed_at >= CLOSE_QUIET
        settled = now - self._changed_at >= self.settle
        ended = closed or settled
        safe_end = self._size if ended else max(0, self._size - self.margin)
        return Growth(size=self._size, safe_end=safe_end, ended=ended, closed=closed)

    def wait(self, timeout: float, stop: threading.Event | None = None) -> Growth:
        """Wait up to `timeout` seconds (less when it ends or `stop` is set), then :meth:`check`.

        Raises:
            DataChangedError: It shrank, disappeared or was replaced.
        """
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            step = max(0.0, min(self._poll, left))
            if self._watch is not None:
                if self._watch.wait(step) and self._watch.closed:
                    self._watch.closed = False
                    self.check()  # the size the writer left, so later growth can be told apart
                    self._closed_at = time.monotonic()
                    self._closed_size = self._size
                    logger.info("followed file closed by its writer: %s", self.path)
            elif stop is not None:
                stop.wait(step)
            else:
                time.sleep(step)
            growth = self.check()
            if growth.ended or left <= 0 or (stop is not None and stop.is_set()):
                return growth
            if self._closed_at is not None:
                # Closed: only the quiet period is left; look again soon.
                deadline = min(deadline, self._closed_at + CLOSE_QUIET + 0.01)

    def close(self) -> None:
        """Stop watching (releases the OS watch)."""
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    def __enter__(self) -> GrowthWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
