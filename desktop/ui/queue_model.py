"""The upload queue as a Qt table model, repainted in batches, so a thousand busy rows
cost a few repaints a second.

Engine events arrive often (a few per second per job, times a thousand jobs). The model applies them
to its rows at once but tells the view only from a timer: every `refresh_ms` it emits one
`dataChanged` per contiguous run of changed rows (one signal when they are all adjacent), inserts
new rows in one `beginInsertRows`, and publishes a `QueueSummary` for the status bar, the window
title and the tray.
"""

from __future__ import annotations

import enum
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor, QIcon

from desktop.engine.events import TERMINAL, JobSnapshot, JobState
from desktop.ui.assets import icon
from desktop.ui.bridge import Progress
from desktop.ui.text import labels
from desktop.ui.text.errors import error_text

_Index = QModelIndex | QPersistentModelIndex


class Column(enum.IntEnum):
    """The table's columns, in display order."""

    FILE = 0
    EXAM = 1
    KIND = 2
    SIZE = 3
    PROGRESS = 4
    SPEED = 5
    ETA = 6
    STATUS = 7


#: The job snapshot of a row, with its latest progress merged in.
JobRole = Qt.ItemDataRole.UserRole + 1
#: Progress of a row as a fraction from 0.0 to 1.0.
ProgressRole = Qt.ItemDataRole.UserRole + 2

# Roles as plain ints: a repaint asks ~8 roles of every visible cell, and looking up
# `Qt.ItemDataRole.X` goes through PySide's enum machinery each time.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_JOB = int(JobRole)
_PROGRESS = int(ProgressRole)
#: The roles this model answers; the others (font, background, check state...) are left unset.
_ANSWERED = frozenset({_DISPLAY, _DECORATION, _TOOLTIP, _FOREGROUND, _ALIGNMENT, _JOB, _PROGRESS})

_ACTIVE = frozenset(
    {
        JobState.QUEUED,
        JobState.UPLOADING,
        JobState.WAITING_NETWORK,
        JobState.NEEDS_LOGIN,
        JobState.VERIFYING,
    }
)
_PROBLEM = frozenset({JobState.FAILED, JobState.SOURCE_CHANGED})
_RETRYING = frozenset({JobState.UPLOADING, JobState.VERIFYING})
# Computed once: data() runs for every painted cell, and flag arithmetic is slow in Python.
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
# Work that is still to do: it keeps the current batch open.
_PENDING = _ACTIVE | {JobState.PAUSED}
_STATE_ICONS = {
    JobState.QUEUED: "state-queued",
    JobState.UPLOADING: "state-uploading",
    JobState.PAUSED: "state-paused",
    JobState.WAITING_NETWORK: "state-waiting",
    JobState.NEEDS_LOGIN: "state-needs-login",
    JobState.VERIFYING: "state-verifying",
    JobState.COMPLETED: "state-completed",
    JobState.FAILED: "state-failed",
    JobState.CANCELLED: "state-cancelled",
    JobState.SOURCE_CHANGED: "state-source-changed",
}
_STATE_COLOURS = {
    JobState.COMPLETED: "#15803d",
    JobState.FAILED: "#b91c1c",
    JobState.SOURCE_CHANGED: "#b91c1c",
    JobState.WAITING_NETWORK: "#b45309",
    JobState.NEEDS_LOGIN: "#b45309",
    JobState.PAUSED: "#b45309",
    JobState.CANCELLED: "#64748b",
}


def is_active(state: JobState) -> bool:
    """Whether a job in `state` is still going to move bytes without the user doing anything."""
    return state in _ACTIVE


@dataclass(frozen=True, slots=True)
class QueueSummary:
    """The queue at a glance, for the status bar, the window title and the tray.

    Attributes:
        total: Jobs in the list.
        active: Jobs queued, uploading, verifying or waiting (network or sign-in).
        uploading: Jobs moving bytes right now.
        paused: Jobs paused by the user.
        completed: Jobs uploaded (in the current batch).
        problems: Jobs failed or whose file changed (need the user).
        needs_login: Jobs waiting for a sign-in.
        batch_files: Jobs in the current batch (active ones plus those finished since it began).
        batch_bytes: Bytes of the current batch.
        batch_done: Bytes of the current batch already stored.
        speed_bps: Combined speed.
        eta_seconds: Time left for the batch at the combined speed, None when unknown.
    """

    total: int = 0
    active: int = 0
    uploading: int = 0
    paused: int = 0
    completed: int = 0
    problems: int = 0
    needs_login: int = 0
    batch_files: int = 0
    batch_bytes: int = 0
    batch_done: int = 0
    speed_bps: float = 0.0
    eta_seconds: float | None = None

    @property
    def fraction(self) -> float:
        """Progress of the current batch, 0.0 to 1.0."""
        if self.batch_bytes <= 0:
            return 1.0 if self.batch_files and self.active == 0 else 0.0
        return min(1.0, self.batch_done / self.batch_bytes)


class UploadQueueModel(QAbstractTableModel):
    """Rows of `JobSnapshot`s; fed by `EngineBridge` signals, repainted from a timer."""

    sig_summary_changed = Signal(QueueSummary)
    """After each repaint: (the queue summary)."""

    sig_batch_finished = Signal(int, int)
    """Every job of a batch reached an end: (files uploaded, files that need attention)."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        refresh_ms: int = 300,
        insert_every_ms: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create an empty model.

        Args:
            parent: Owner.
            refresh_ms: How often the view is told what changed.
            insert_every_ms: While files keep arriving, new rows are shown at most this often: an
                insertion makes the table repaint all its visible rows, which is the GUI thread's
                main cost while a thousand files are being added. 0 shows them at every refresh.
            clock: Seconds, monotonic (tests pass their own).
        """
        super().__init__(parent)
        self._insert_every = insert_every_ms / 1000
        self._clock = clock
        self._last_insert = -math.inf
        self._rows: list[JobSnapshot] = []
        self._index: dict[str, int] = {}
        # Added since the last refresh, in arrival order (dicts keep insertion order).
        self._pending_adds: dict[str, JobSnapshot] = {}
        self._dirty: set[int] = set()
        self._batch: set[str] = set()
        # Bytes done when a job reported a setback while still uploading; progress beyond it
        # means the retry worked (the engine keeps the error until the next state change).
        self._setback_at: dict[str, int] = {}
        # Latest (bytes done, speed, seconds left) per job, kept apart from the snapshots so a
        # progress tick is a dict update, not a new snapshot object (a thousand jobs tick often).
        self._live: dict[str, tuple[int, float, float | None]] = {}
        # Merged snapshots of rows the view asked for since they last changed.
        self._shown: dict[int, JobSnapshot] = {}
        self._summary = QueueSummary()
        self._take_progress: Callable[[], Mapping[str, Progress]] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(refresh_ms)
        self._timer.timeout.connect(self.flush)
        self._timer.start()

    # -- feeding ---------------------------------------------------------------------------------

    @Slot(JobSnapshot)
    def add_job(self, job: JobSnapshot) -> None:
        """A job was added (shown at the next refresh); a known id is treated as a change."""
        if job.job_id in self._index or job.job_id in self._pending_adds:
            self.update_job(job)
            return
        self._pending_adds[job.job_id] = job
        if job.state in _PENDING:
            self._batch.add(job.job_id)

    @Slot(JobSnapshot)
    def update_job(self, job: JobSnapshot) -> None:
        """A job's state or error changed."""
        row = self._index.get(job.job_id)
        if row is None:
            if job.job_id in self._pending_adds:
                self._pending_adds[job.job_id] = job
                if job.state in _PENDING:
                    self._batch.add(job.job_id)
            else:
                self.add_job(job)
            return
        self._rows[row] = job
        self._live.pop(job.job_id, None)  # a state change carries its own figures
        self._shown.pop(row, None)
        self._dirty.add(row)
        if job.error_title and job.state in _RETRYING:
            self._setback_at.setdefault(job.job_id, job.bytes_done)
        else:
            self._setback_at.pop(job.job_id, None)
        if job.state in _PENDING:
            self._batch.add(job.job_id)

    def set_progress_source(self, take: Callable[[], Mapping[str, Progress]]) -> None:
        """Pull progress from `take` (e.g. `EngineBridge.take_progress`) at every refresh."""
        self._take_progress = take

    def update_progress(
        self, job_id: str, bytes_done: int, total: int, speed_bps: float, eta: float
    ) -> None:
        """Bytes moved for a job (`eta` negative when unknown)."""
        del total  # the size is in the snapshot already
        # Kept even for a job not shown yet: its progress may overtake its (queued) addition.
        self._live[job_id] = (bytes_done, speed_bps, eta if eta >= 0 else None)
        row = self._index.get(job_id)
        if row is not None:
            self._shown.pop(row, None)
            self._dirty.add(row)

    @Slot(str)
    def remove_job(self, job_id: str) -> None:
        """A job left the queue."""
        self._pending_adds.pop(job_id, None)
        self._batch.discard(job_id)
        self._setback_at.pop(job_id, None)
        self._live.pop(job_id, None)
        row = self._index.get(job_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self._reindex()
        self.endRemoveRows()
        self._dirty = {r - 1 if r > row else r for r in self._dirty if r != row}

    def flush(self) -> None:
        """Tell the view what changed since the last refresh, and publish the summary."""
        if self._take_progress is not None:
            for job_id, progress in self._take_progress().items():
                self.update_progress(job_id, *progress)
        if self._pending_adds and self._clock() - self._last_insert >= self._insert_every:
            self._last_insert = self._clock()
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(self._pending_adds) - 1)
            self._rows.extend(self._pending_adds.values())
            self._pending_adds = {}
            self._reindex()
            self.endInsertRows()
        if self._dirty:
            rows = sorted(self._dirty)
            self._dirty.clear()
            last_column = self.columnCount() - 1
            start = prev = rows[0]
            for row in [*rows[1:], None]:
                if row is not None and row == prev + 1:
                    prev = row
                    continue
                self.dataChanged.emit(self.index(start, 0), self.index(prev, last_column))
                if row is not None:
                    start = prev = row
        self._publish_summary()

    def _reindex(self) -> None:
        self._index = {job.job_id: row for row, job in enumerate(self._rows)}
        self._shown.clear()

    def _publish_summary(self) -> None:
        # One pass over the rows, every refresh: it runs on the GUI thread while the engine's
        # threads compete for the interpreter lock, so the less Python per row the better.
        counts = dict.fromkeys(JobState, 0)
        batch, live = self._batch, self._live
        batch_files = batch_completed = batch_problems = batch_bytes = batch_done = 0
        batch_open = False
        speed = 0.0
        completed, cancelled, uploading = JobState.COMPLETED, JobState.CANCELLED, JobState.UPLOADING
        for job in self._rows:
            state = job.state
            counts[state] += 1
            if job.job_id not in batch:
                continue
            batch_files += 1
            if state is completed:
                batch_completed += 1
                batch_bytes += job.size
                batch_done += job.size
                continue
            if state in _PROBLEM:
                batch_problems += 1
            elif state not in TERMINAL:
                batch_open = True
            if state is cancelled:
                continue
            done, job_speed, _ = live.get(job.job_id, (job.bytes_done, job.speed_bps, None))
            batch_bytes += job.size
            batch_done += done
            if state is uploading:
                speed += job_speed
        active = sum(counts[s] for s in _ACTIVE)
        summary = QueueSummary(
            total=len(self._rows),
            active=active,
            uploading=counts[JobState.UPLOADING] + counts[JobState.VERIFYING],
            paused=counts[JobState.PAUSED],
            completed=batch_completed,
            problems=counts[JobState.FAILED] + counts[JobState.SOURCE_CHANGED],
            needs_login=counts[JobState.NEEDS_LOGIN],
            batch_files=batch_files,
            batch_bytes=batch_bytes,
            batch_done=batch_done,
            speed_bps=speed,
            eta_seconds=(batch_bytes - batch_done) / speed if speed > 0 else None,
        )
        if summary != self._summary:
            self._summary = summary
            self.sig_summary_changed.emit(summary)
        if batch_files and not batch_open and not self._pending_adds:
            # Every file of the batch reached an end: report it once, and start a new batch.
            self._batch.clear()
            self.sig_batch_finished.emit(summary.completed, batch_problems)

    # -- reading ---------------------------------------------------------------------------------

    @property
    def summary(self) -> QueueSummary:
        """The summary as of the last refresh."""
        return self._summary

    def job_at(self, row: int) -> JobSnapshot:
        """The snapshot shown on `row`, with its latest progress."""
        shown = self._shown.get(row)
        if shown is None:
            shown = self._shown[row] = self._merged(self._rows[row])
        return shown

    def _merged(self, job: JobSnapshot) -> JobSnapshot:
        live = self._live.get(job.job_id)
        if live is None:
            return job
        return replace(job, bytes_done=live[0], speed_bps=live[1], eta_seconds=live[2])

    def row_of(self, job_id: str) -> int | None:
        """The row showing `job_id`, None when it is not (yet) shown."""
        return self._index.get(job_id)

    def any_in(self, *states: JobState) -> bool:
        """Whether some shown job is in one of `states` (cheap: no snapshot is built)."""
        return any(job.state in states for job in self._rows)

    def jobs(self) -> list[JobSnapshot]:
        """Every shown job, in row order, with its latest progress."""
        return [self._merged(job) for job in self._rows]

    def retranslate(self) -> None:
        """Re-read every translated text (the language changed)."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, self.columnCount() - 1)
            )

    # -- QAbstractTableModel ---------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        """Number of jobs shown (none under a valid parent: this is a flat table)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        """Number of columns."""
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        """Column titles."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._header_titles()[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in (
            Column.SIZE,
            Column.SPEED,
        ):
            return _RIGHT
        return None

    def _header_titles(self) -> tuple[str, ...]:
        return (
            self.tr("File"),
            self.tr("Exam"),
            self.tr("Kind"),
            self.tr("Size"),
            self.tr("Progress"),
            self.tr("Speed"),
            self.tr("Time left"),
            self.tr("Status"),
        )

    def flags(self, index: _Index) -> Qt.ItemFlag:
        """Rows are selectable, not editable."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def multiData(self, index: _Index, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """Fill every role the view asks for in one call (a delegate asks for about eight).

        Qt's default asks `data()` once per role, and each call from C++ into Python takes the
        interpreter lock again: with the engine's threads busy that adds up to a visible stall
        per repaint of a thousand-row queue.
        """
        if isinstance(roleDataSpan, QModelRoleData):
            roleDataSpan.setData(self.data(index, roleDataSpan.role()))
            return
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self._rows):
            return
        job = self.job_at(row)
        column = index.column()
        span: Any = roleDataSpan  # a sequence at run time; PySide's stubs omit len() and []
        for n in range(len(span)):
            item = span[n]
            role = item.role()
            if role in _ANSWERED:
                item.setData(self._value(job, column, role))

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """The value of one cell for `role`."""
        if role not in _ANSWERED or not index.isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._rows):
            return None
        return self._value(self.job_at(row), index.column(), int(role))

    def _value(self, job: JobSnapshot, column: int, role: int) -> object:
        if role == _DISPLAY:
            return self._display(job, column)
        if role == _JOB:
            return job
        if role == _PROGRESS:
            return _fraction(job)
        if role == _DECORATION:
            return self._state_icon(job.state) if column == Column.FILE else None
        if role == _TOOLTIP:
            return self._tooltip(job, column)
        if role == _FOREGROUND:
            colour = _STATE_COLOURS.get(job.state) if column == Column.STATUS else None
            return QBrush(QColor(colour)) if colour else None
        if role == _ALIGNMENT and column in (Column.SIZE, Column.SPEED):
            return _RIGHT
        return None

    @staticmethod
    def _state_icon(state: JobState) -> QIcon:
        return icon(_STATE_ICONS[state])

    def _display(self, job: JobSnapshot, column: int) -> str:
        if column == Column.FILE:
            return os.path.basename(job.path)
        if column == Column.EXAM:
            return job.exam_id
        if column == Column.KIND:
            return labels.kind_label(job.kind)
        if column == Column.SIZE:
            return labels.format_size(job.size)
        if column == Column.PROGRESS:
            return f"{int(_fraction(job) * 100)}%"
        if column == Column.SPEED:
            return labels.format_speed(job.speed_bps) if job.state is JobState.UPLOADING else ""
        if column == Column.ETA:
            return (
                labels.format_duration(job.eta_seconds) if job.state is JobState.UPLOADING else ""
            )
        return status_text(job, recovered=self._recovered(job))

    def _recovered(self, job: JobSnapshot) -> bool:
        mark = self._setback_at.get(job.job_id)
        return mark is not None and job.bytes_done > mark

    def _tooltip(self, job: JobSnapshot, column: int) -> str | None:
        if column == Column.FILE:
            return job.path
        if column in (Column.STATUS, Column.PROGRESS):
            lines = [status_text(job, recovered=self._recovered(job))]
            if column == Column.PROGRESS and job.state not in TERMINAL:
                lines.append(
                    self.tr("{done} of {total}").format(
                        done=labels.format_size(job.bytes_done), total=labels.format_size(job.size)
                    )
                )
            if job.error_title or job.error_message:
                lines.append(error_text(job.error_title, job.error_message)[1])
            if job.key:
                lines.append(self.tr("Storage key: {key}").format(key=job.key))
            return "\n".join(line for line in lines if line)
        return None


def _fraction(job: JobSnapshot) -> float:
    if job.state is JobState.COMPLETED:
        return 1.0
    if job.size <= 0:
        return 0.0
    return max(0.0, min(1.0, job.bytes_done / job.size))


def status_text(job: JobSnapshot, *, recovered: bool = False) -> str:
    """The status cell: the state, plus the reason when something needs attention.

    Args:
        job: The job.
        recovered: A setback reported during the upload has been overcome (bytes move again).
    """
    label = labels.state_label(job.state)
    if job.following and job.state is JobState.UPLOADING and not job.error_title:
        return labels.recording_label(job.bytes_done)
    if job.error_title and job.state in _PROBLEM:
        title, _ = error_text(job.error_title, job.error_message)
        if title and title != label:
            return f"{label} — {title}"
    if job.error_title and job.state in _RETRYING and not recovered:
        # A setback the engine is already retrying: say so, calmly.
        title, _ = error_text(job.error_title, job.error_message)
        return f"{labels.retrying_label()} — {title}"
    return label
