"""The engine's listener on the Qt side: engine threads call it, it only hands data over (T3).

`EngineBridge` lives in the GUI thread. Its `on_*` methods run on engine threads and only `emit`;
every receiver connects with `Qt.ConnectionType.QueuedConnection`, so slots run on the GUI thread.
Only frozen snapshots, ids and numbers cross (STYLE S4).

Progress is the exception: a thousand uploads report it thousands of times a second, and the
window only repaints a few times a second anyway. `on_progress` keeps the latest figures per job
under a lock, and the queue model takes them on its refresh timer (`take_progress`): no signal
per event, no backlog of queued events, and the newest value always wins.
"""

from __future__ import annotations

import math
import threading
from typing import NamedTuple

from PySide6.QtCore import QObject, Signal

from desktop.engine.events import JobSnapshot, Receipt


class Progress(NamedTuple):
    """One job's latest progress.

    Attributes:
        bytes_done: Bytes stored so far.
        total: The job's size.
        speed_bps: Smoothed speed, bytes per second.
        eta_seconds: Seconds left; -1 when unknown.
    """

    bytes_done: int
    total: int
    speed_bps: float
    eta_seconds: float


class EngineBridge(QObject):
    """Implements `desktop.engine.events.EngineListener` by emitting one signal per event."""

    sig_job_added = Signal(JobSnapshot)
    """A job entered the queue: (snapshot)."""

    sig_job_changed = Signal(JobSnapshot)
    """A job's state or error changed: (snapshot)."""

    sig_job_removed = Signal(str)
    """A job left the queue: (job id)."""

    sig_receipt_added = Signal(Receipt)
    """A job completed and its receipt was stored: (receipt)."""

    sig_login_required = Signal()
    """The sign-in ended; the queue waits in NEEDS_LOGIN until `UploadQueue.login_restored()`."""

    sig_log_line_added = Signal(str)
    """A log line was written (from `RecentLogBuffer.subscribe`): (formatted, redacted line)."""

    def __init__(self, parent: QObject | None = None) -> None:
        """Create the bridge (in the GUI thread)."""
        super().__init__(parent)
        self._progress_lock = threading.Lock()
        self._progress: dict[str, Progress] = {}

    def on_job_added(self, *, job: JobSnapshot) -> None:
        """Forward to `sig_job_added`."""
        self.sig_job_added.emit(job)

    def on_job_changed(self, *, job: JobSnapshot) -> None:
        """Forward to `sig_job_changed`; progress reported before it is superseded by it."""
        with self._progress_lock:
            # Figures from before a state change (e.g. before a failed part rewound the count)
            # must not overwrite the snapshot once both reach the GUI thread.
            self._progress.pop(job.job_id, None)
        self.sig_job_changed.emit(job)

    def on_progress(
        self,
        *,
        job_id: str,
        bytes_done: int,
        total: int,
        speed_bps: float,
        eta_seconds: float | None,
    ) -> None:
        """Keep the latest figures for `take_progress` (no signal: see the module docstring)."""
        eta = -1.0 if eta_seconds is None or not math.isfinite(eta_seconds) else eta_seconds
        with self._progress_lock:
            self._progress[job_id] = Progress(bytes_done, total, float(speed_bps), eta)

    def take_progress(self) -> dict[str, Progress]:
        """The latest progress of every job that reported some since the last call."""
        with self._progress_lock:
            taken, self._progress = self._progress, {}
        return taken

    def on_job_removed(self, *, job_id: str) -> None:
        """Forward to `sig_job_removed`."""
        with self._progress_lock:
            self._progress.pop(job_id, None)
        self.sig_job_removed.emit(job_id)

    def on_receipt(self, *, receipt: Receipt) -> None:
        """Forward to `sig_receipt_added`."""
        self.sig_receipt_added.emit(receipt)

    def on_login_required(self) -> None:
        """Forward to `sig_login_required`."""
        self.sig_login_required.emit()

    def on_log_line(self, line: str) -> None:
        """A `RecentLogBuffer` subscriber: forward to `sig_log_line_added`."""
        self.sig_log_line_added.emit(line)
