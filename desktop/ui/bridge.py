"""The engine's listener on the Qt side: engine threads call it, it only emits signals (STYLE T3).

`EngineBridge` lives in the GUI thread. Its `on_*` methods run on engine threads and do nothing but
`emit`; every receiver connects with `Qt.ConnectionType.QueuedConnection`, so slots run on the GUI
thread. Only frozen snapshots, ids and numbers cross (STYLE S4).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal

from desktop.engine.events import JobSnapshot, Receipt


class EngineBridge(QObject):
    """Implements `desktop.engine.events.EngineListener` by emitting one signal per event."""

    sig_job_added = Signal(JobSnapshot)
    """A job entered the queue: (snapshot)."""

    sig_job_changed = Signal(JobSnapshot)
    """A job's state or error changed: (snapshot)."""

    # qint64, not int: PySide maps `int` to a 32-bit C int, and recordings exceed 2 GiB.
    sig_progress_changed = Signal(str, "qint64", "qint64", float, float)  # type: ignore[arg-type]
    """Bytes moved: (job id, bytes done, total bytes, speed in B/s, seconds left or -1)."""

    sig_job_removed = Signal(str)
    """A job left the queue: (job id)."""

    sig_receipt_added = Signal(Receipt)
    """A job completed and its receipt was stored: (receipt)."""

    sig_login_required = Signal()
    """The sign-in ended; the queue waits in NEEDS_LOGIN until `UploadQueue.login_restored()`."""

    sig_log_line_added = Signal(str)
    """A log line was written (from `RecentLogBuffer.subscribe`): (formatted, redacted line)."""

    def on_job_added(self, *, job: JobSnapshot) -> None:
        """Forward to `sig_job_added`."""
        self.sig_job_added.emit(job)

    def on_job_changed(self, *, job: JobSnapshot) -> None:
        """Forward to `sig_job_changed`."""
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
        """Forward to `sig_progress_changed`; an unknown ETA travels as -1."""
        eta = -1.0 if eta_seconds is None or not math.isfinite(eta_seconds) else eta_seconds
        self.sig_progress_changed.emit(job_id, bytes_done, total, float(speed_bps), eta)

    def on_job_removed(self, *, job_id: str) -> None:
        """Forward to `sig_job_removed`."""
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
