"""The engine's listener on the Qt side: engine threads call it, it only hands data over, so
no engine thread ever touches a widget.

`EngineBridge` lives in the GUI thread. Its `on_*` methods run on engine threads and only `emit`;
every receiver connects with `Qt.ConnectionType.QueuedConnection`, so slots run on the GUI thread.
Only frozen snapshots, ids and numbers cross: nothing that either side could change under the
other.

Progress is the exception: a thousand uploads report it thousands of times a second, and the
window only repaints a few times a second anyway. `on_progress` keeps the latest figures per job
under a lock, and the queue model takes them on its refresh timer (`take_progress`): no signal
per event, no backlog of queued events, and the newest value always wins.

Job events, receipts and log lines are batched too: a thousand small files each go through four
states, finish within a minute and log several lines, and every queued call of a Python slot makes
the GUI thread wait again for the interpreter lock the engine's threads share. They are collected
under a lock and handed over on the GUI thread at most `BATCH_MS` after the first one arrived, in
arrival order: `sig_job_added` / `sig_job_changed` / `sig_job_removed` once per event (emitted on
the GUI thread, so direct connections deliver them within one hand-over), then the receipts and
log lines as lists (`sig_receipts_added`, `sig_log_lines_added`). `take_progress` hands the
pending job events over first, so a state change always reaches the model before the progress
reported after it.
"""

from __future__ import annotations

import math
import threading
from typing import Any, NamedTuple

from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance, Slot

from desktop.engine.events import JobSnapshot
from desktop.engine.receipt import Receipt

#: Longest a receipt or a log line waits before the GUI thread takes it (with others).
BATCH_MS = 150


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

    sig_receipts_added = Signal(list)
    """Jobs completed and their receipts were stored: (list of receipts, in arrival order)."""

    sig_login_required = Signal()
    """The sign-in ended; the queue waits in NEEDS_LOGIN until `UploadQueue.login_restored()`."""

    sig_log_lines_added = Signal(list)
    """Log lines were written (from `RecentLogBuffer.subscribe`): (formatted, redacted lines)."""

    _sig_batch_waiting = Signal()
    """Internal: the first item of a batch arrived (queued to the GUI thread's batch timer)."""

    def __init__(self, parent: QObject | None = None) -> None:
        """Create the bridge (in the GUI thread)."""
        super().__init__(parent)
        self._progress_lock = threading.Lock()
        self._progress: dict[str, Progress] = {}
        self._batch_lock = threading.Lock()
        self._job_events: list[tuple[SignalInstance, object]] = []
        self._receipts: list[Receipt] = []
        self._log_lines: list[str] = []
        self._batch_waiting = False
        self._batch_timer = QTimer(self)
        self._batch_timer.setSingleShot(True)
        self._batch_timer.setInterval(BATCH_MS)
        self._batch_timer.timeout.connect(self._hand_over_batch)
        # QTimer.start is a C++ slot: arming the timer costs the GUI thread no interpreter lock.
        self._sig_batch_waiting.connect(self._batch_timer.start, Qt.ConnectionType.QueuedConnection)

    def _queue(self, items: list[Any], item: object) -> None:
        with self._batch_lock:
            items.append(item)
            first = not self._batch_waiting
            self._batch_waiting = True
        if first:
            self._sig_batch_waiting.emit()

    def on_job_added(self, *, job: JobSnapshot) -> None:
        """Queue for the next hand-over (`sig_job_added`)."""
        self._queue(self._job_events, (self.sig_job_added, job))

    def on_job_changed(self, *, job: JobSnapshot) -> None:
        """Queue for the next hand-over (`sig_job_changed`); drops the progress it supersedes."""
        with self._progress_lock:
            # Figures from before a state change (e.g. before a failed part rewound the count)
            # must not overwrite the snapshot once both reach the GUI thread.
            self._progress.pop(job.job_id, None)
        self._queue(self._job_events, (self.sig_job_changed, job))

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
        """The latest progress of every job that reported some since the last call.

        Call it on the GUI thread: it first hands over the pending job events (see the module
        docstring), so their receivers see each state change before the progress that followed.
        """
        self._hand_over_batch()
        with self._progress_lock:
            taken, self._progress = self._progress, {}
        return taken

    def on_job_removed(self, *, job_id: str) -> None:
        """Queue for the next hand-over (`sig_job_removed`)."""
        with self._progress_lock:
            self._progress.pop(job_id, None)
        self._queue(self._job_events, (self.sig_job_removed, job_id))

    def on_receipt(self, *, receipt: Receipt) -> None:
        """Queue for the next `sig_receipts_added`."""
        self._queue(self._receipts, receipt)

    def on_login_required(self) -> None:
        """Forward to `sig_login_required`."""
        self.sig_login_required.emit()

    def on_log_line(self, line: str) -> None:
        """A `RecentLogBuffer` subscriber: queue for the next `sig_log_lines_added`."""
        self._queue(self._log_lines, line)

    @Slot()
    def _hand_over_batch(self) -> None:
        with self._batch_lock:
            events, self._job_events = self._job_events, []
            receipts, self._receipts = self._receipts, []
            lines, self._log_lines = self._log_lines, []
            self._batch_waiting = False
        for signal, payload in events:
            signal.emit(payload)
        if receipts:
            self.sig_receipts_added.emit(receipts)
        if lines:
            self.sig_log_lines_added.emit(lines)
