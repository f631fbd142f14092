"""Watch-folder scanner: finds finished recordings in a folder tree, once each, across restarts.

Qt-free and synchronous on purpose: the GUI calls `WatchFolder.scan()` from a background task on a
timer, so the walking and the small JSON record never touch the UI thread, and tests drive it with a
fake clock.

A recording is *ready* when its size and modification time have not changed for `settle_seconds`
of consecutive scans: recorders write files progressively, and uploading a half-written file would
only fail later with "the file changed". With `follow` set (recordings are sent while they are
written), a new recording is ready at once, and a file queued earlier that has only grown since is
the same recording, not a new one. A ready file is reported by `scan()` until `mark_queued()`
records it; the record (a JSON file under the app's data directory) makes "never twice" hold across
restarts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop.recordings import is_recording

logger = logging.getLogger(__name__)

_RECORD_VERSION = 1
# Oldest entries are dropped beyond this, so the record stays small after years of exams.
_RECORD_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """What makes a recording "the same file" for the never-twice rule.

    Attributes:
        path: Absolute path.
        size: Size in bytes.
        mtime_ns: Modification time in nanoseconds.
    """

    path: str
    size: int
    mtime_ns: int


@dataclass(slots=True)
class _Pending:
    size: int
    mtime_ns: int
    unchanged_since: float


class WatchFolder:
    """Scans one folder tree for recordings that have stopped growing and were never queued.

    Not thread-safe: one caller at a time (the GUI runs scans one after another on a worker thread).

    Attributes:
        root: The watched folder.
        settle_seconds: How long a file must stay unchanged before it is ready.
        follow: Report new recordings at once (they are followed while written).
    """

    def __init__(
        self,
        root: Path,
        *,
        record_path: Path,
        settle_seconds: float,
        follow: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a scanner; nothing is read until the first `scan()`.

        Args:
            root: Folder to watch (recursively).
            record_path: JSON file remembering what was already queued (created on first save).
            settle_seconds: Seconds a file's size and mtime must stay unchanged.
            follow: Report new recordings at once instead of after `settle_seconds`.
            clock: Monotonic clock, injectable for tests.
        """
        self.root = root
        self.settle_seconds = max(0.0, settle_seconds)
        self.follow = follow
        self._record_path = record_path
        self._clock = clock
        self._pending: dict[str, _Pending] = {}
        self._queued: dict[FileIdentity, float] | None = None

    def scan(self) -> list[Path]:
        """Walk the folder once and return the recordings that are ready to queue, oldest first.

        Returns:
            Paths not queued before whose size and mtime stayed unchanged for `settle_seconds`.
            Empty when the folder does not exist (a removable drive may be unplugged).
        """
        queued = self._load_record()
        now = self._clock()
        settle = 0.0 if self.follow else self.settle_seconds
        # The largest size each path was queued at: a followed recording keeps growing after.
        queued_sizes: dict[str, int] = {}
        if self.follow:
            for known in queued:
                queued_sizes[known.path] = max(queued_sizes.get(known.path, -1), known.size)
        seen: set[str] = set()
        ready: list[tuple[int, Path]] = []
        for path, stat in self._walk():
            key = str(path)
            seen.add(key)
            identity = FileIdentity(key, stat.st_size, stat.st_mtime_ns)
            if identity in queued or stat.st_size >= queued_sizes.get(key, stat.st_size + 1):
                self._pending.pop(key, None)
                continue
            pending = self._pending.get(key)
            if pending is None or (pending.size, pending.mtime_ns) != (
                stat.st_size,
                stat.st_mtime_ns,
            ):
                # New, or still growing: the settle clock starts (again) now.
                self._pending[key] = _Pending(stat.st_size, stat.st_mtime_ns, now)
                if settle > 0:
                    continue
                pending = self._pending[key]
            if now - pending.unchanged_since >= settle and stat.st_size > 0:
                ready.append((stat.st_mtime_ns, path))
        # Forget files that vanished (renamed by the recorder, deleted by the proctor).
        for key in set(self._pending) - seen:
            del self._pending[key]
        ready.sort()
        return [path for _, path in ready]

    def mark_queued(self, paths: Iterable[Path]) -> None:
        """Remember `paths` as queued so no later scan (or restart) reports them again.

        Args:
            paths: Files just handed to the upload queue. Their current size and mtime are recorded;
                a file that disappeared meanwhile is skipped.

        Raises:
            OSError: The record could not be written.
        """
        queued = self._load_record()
        now = time.time()
        changed = False
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            queued[FileIdentity(str(path), stat.st_size, stat.st_mtime_ns)] = now
            self._pending.pop(str(path), None)
            changed = True
        if changed:
            self._save_record(queued)

    def is_queued(self, path: Path) -> bool:
        """Whether `path`, as it is now on disk, was already queued."""
        try:
            stat = path.stat()
        except OSError:
            return False
        return FileIdentity(str(path), stat.st_size, stat.st_mtime_ns) in self._load_record()

    def _walk(self) -> Iterator[tuple[Path, os.stat_result]]:
        stack = [self.root]
        while stack:
            folder = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError as exc:
                if folder != self.root:
                    logger.info("Watch folder: skipping unreadable folder (%s)", exc.strerror)
                continue
            for entry in entries:
                try:
                    # Symlinked folders are not followed: they can loop, or point at whole disks.
                    if entry.is_dir(follow_symlinks=False):
                        if not entry.name.startswith("."):
                            stack.append(Path(entry.path))
                    elif entry.is_file() and is_recording(Path(entry.name)):
                        yield Path(entry.path), entry.stat()
                except OSError:
                    continue  # removed or unreadable between listing and stat

    def _load_record(self) -> dict[FileIdentity, float]:
        if self._queued is not None:
            return self._queued
        self._queued = {}
        try:
            raw = json.loads(self._record_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return self._queued
        except (OSError, ValueError) as exc:
            # A damaged record must not stop the watcher; at worst a file is offered again.
            logger.warning(
                "Watch folder record %s unreadable (%s); starting afresh", self._record_path, exc
            )
            return self._queued
        entries = raw.get("queued", []) if isinstance(raw, dict) else []
        for entry in entries:
            try:
                identity = FileIdentity(
                    str(entry["path"]), int(entry["size"]), int(entry["mtime_ns"])
                )
                self._queued[identity] = float(entry.get("queued_at", 0.0))
            except (KeyError, TypeError, ValueError):
                continue
        return self._queued

    def _save_record(self, queued: dict[FileIdentity, float]) -> None:
        if len(queued) > _RECORD_LIMIT:
            newest = sorted(queued.items(), key=lambda item: item[1])[-_RECORD_LIMIT:]
            queued.clear()
            queued.update(newest)
        payload = {
            "version": _RECORD_VERSION,
            "queued": [
                {"path": i.path, "size": i.size, "mtime_ns": i.mtime_ns, "queued_at": at}
                for i, at in queued.items()
            ],
        }
        self._record_path.parent.mkdir(parents=True, exist_ok=True)
        # Write-then-rename, so a crash mid-write leaves the previous record intact.
        fd, tmp = tempfile.mkstemp(prefix=".watch-", dir=self._record_path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._record_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
