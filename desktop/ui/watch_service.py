"""Drives `desktop.watch.WatchFolder` from a timer, off the GUI thread, and reports settled files.

Scans and record updates run one after another on a private lane (the scanner is not
thread-safe). A file reported by `sig_recordings_found` stays "in flight" until the controller says
it was queued (`mark_queued`, which records it for good) or could not be (`release`, so the next
scan offers it again): a slow add never makes the same file appear twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop.ui.tasks import SerialTasks
from desktop.watch import WatchFolder

logger = logging.getLogger(__name__)


class WatchService(QObject):
    """Watches one folder while enabled."""

    sig_recordings_found = Signal(list)
    """Recordings that stopped growing and were never queued: (list of path strings)."""

    sig_watching_changed = Signal(str)
    """The watched folder changed: (folder path, or "" when not watching)."""

    sig_scan_finished = Signal(int)
    """A scan ended: (number of newly reported recordings)."""

    def __init__(
        self,
        record_path: Path,
        parent: QObject | None = None,
        *,
        interval_ms: int = 2000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a stopped service.

        Args:
            record_path: The never-twice record (under the app's data folder).
            parent: Owner.
            interval_ms: Time between scans.
            clock: Monotonic clock for the settle time.
        """
        super().__init__(parent)
        self._record_path = record_path
        self._clock = clock
        self._lane = SerialTasks("watch-folder")
        self._watcher: WatchFolder | None = None
        self._scanning = False
        self._in_flight: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.scan_now)
        self.folder = ""

    def configure(
        self, *, enabled: bool, folder: str, settle_seconds: float, follow: bool = False
    ) -> None:
        """Start, restart or stop watching (with `follow`, new recordings are reported at once)."""
        folder = folder.strip() if enabled else ""
        if folder and self._watcher is not None and str(self._watcher.root) == folder:
            self._watcher.settle_seconds = max(0.0, settle_seconds)
            self._watcher.follow = follow
            return
        self._watcher = None
        self._in_flight.clear()
        if folder:
            self._watcher = WatchFolder(
                Path(folder),
                record_path=self._record_path,
                settle_seconds=settle_seconds,
                follow=follow,
                clock=self._clock,
            )
            self._timer.start()
            logger.info(
                "Watching %s (settle %s s%s)",
                folder,
                settle_seconds,
                ", following" if follow else "",
            )
        else:
            self._timer.stop()
        if folder != self.folder:
            self.folder = folder
            self.sig_watching_changed.emit(folder)

    @Slot()
    def scan_now(self) -> None:
        """Scan once (the timer calls this); skipped while a scan is still running."""
        watcher = self._watcher
        if watcher is None or self._scanning:
            return
        self._scanning = True
        self._lane.submit(
            watcher.scan,
            lambda found: self._on_scanned(watcher, found),
            self._on_scan_failed,
            context=self,
        )

    def _on_scanned(self, watcher: WatchFolder, found: list[Path]) -> None:
        self._scanning = False
        if watcher is not self._watcher:
            self.sig_scan_finished.emit(0)
            return  # reconfigured meanwhile: that folder is no longer watched
        fresh = [str(p) for p in found if str(p) not in self._in_flight]
        if fresh:
            self._in_flight.update(fresh)
            logger.info("Watch folder: %d recording(s) ready", len(fresh))
            self.sig_recordings_found.emit(fresh)
        self.sig_scan_finished.emit(len(fresh))

    def _on_scan_failed(self, exc: BaseException) -> None:
        self._scanning = False
        logger.warning("Watch folder scan failed: %s", exc)
        self.sig_scan_finished.emit(0)

    def mark_queued(self, paths: list[str]) -> None:
        """These files were queued: never report them again."""
        watcher = self._watcher
        if watcher is None or not paths:
            self._in_flight.difference_update(paths)
            return

        def done(_: object) -> None:
            self._in_flight.difference_update(paths)

        def failed(exc: BaseException) -> None:
            logger.warning("Watch folder record not saved: %s", exc)
            self._in_flight.difference_update(paths)

        self._lane.submit(
            lambda: watcher.mark_queued(Path(p) for p in paths), done, failed, context=self
        )

    def release(self, paths: list[str]) -> None:
        """These files could not be queued now: offer them again at a later scan."""
        self._in_flight.difference_update(paths)

    def stop(self) -> None:
        """Stop scanning and finish what is running (at quit)."""
        self._timer.stop()
        self._watcher = None
        self._lane.shutdown(wait=True)
