"""The Uploads tab: the queue table (or the empty drop zone), its context menu and shortcuts."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QEvent, QPoint, QProcess, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.engine.events import TERMINAL, JobSnapshot, JobState
from desktop.ui.assets import icon
from desktop.ui.queue_model import Column, UploadQueueModel
from desktop.ui.widgets.empty_state import EmptyState
from desktop.ui.widgets.progress_delegate import ProgressDelegate

_PAUSABLE = frozenset(
    {JobState.QUEUED, JobState.UPLOADING, JobState.WAITING_NETWORK, JobState.NEEDS_LOGIN}
)
_RETRYABLE = frozenset({JobState.FAILED, JobState.SOURCE_CHANGED})


def show_in_folder(path: str) -> None:
    """Open the file manager at `path`, selecting the file where the OS supports it."""
    if sys.platform == "win32":
        QProcess.startDetached("explorer", [f"/select,{os.path.normpath(path)}"])
    elif sys.platform == "darwin":
        QProcess.startDetached("open", ["-R", path])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))


class QueueView(QWidget):
    """Shows the queue; turns clicks, keys and menu choices into `*_requested` signals."""

    sig_pause_requested = Signal(list)
    """Pause these jobs: (list of job ids)."""

    sig_resume_requested = Signal(list)
    """Resume these jobs: (list of job ids)."""

    sig_cancel_requested = Signal(list)
    """Cancel these jobs (the user already confirmed): (list of job ids)."""

    sig_retry_requested = Signal(list)
    """Retry these failed jobs: (list of job ids)."""

    sig_remove_requested = Signal(list)
    """Remove these finished jobs from the list (receipts stay): (list of job ids)."""

    sig_add_files_requested = Signal()
    """The empty state's "Add files…" was clicked."""

    sig_add_folder_requested = Signal()
    """The empty state's "Add folder…" was clicked."""

    def __init__(
        self,
        model: UploadQueueModel,
        confirm_cancel: Callable[[int], bool],
        parent: QWidget | None = None,
    ) -> None:
        """Build the view.

        Args:
            model: The queue model.
            confirm_cancel: Asks the user to confirm cancelling n uploads.
            parent: Owner widget.
        """
        super().__init__(parent)
        self.model = model
        self._confirm_cancel = confirm_cancel
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)
        self.empty_state = EmptyState()
        self.empty_state.sig_add_files_requested.connect(self.sig_add_files_requested)
        self.empty_state.sig_add_folder_requested.connect(self.sig_add_folder_requested)
        self.stack.addWidget(self.empty_state)
        self.table = QTableView()
        self.table.setObjectName("queueTable")
        self.table.setModel(model)
        self.table.setItemDelegateForColumn(Column.PROGRESS, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Rows are selected whole, so Tab moving cell to cell did nothing visible and kept the
        # keyboard in the table: Tab leaves it, for the notices' close buttons among others.
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(34)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.FILE, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        widths = {
            Column.EXAM: 96,
            Column.KIND: 76,
            Column.SIZE: 76,
            Column.PROGRESS: 180,
            Column.SPEED: 92,
            Column.ETA: 124,
            Column.STATUS: 190,
        }
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)
        self.stack.addWidget(self.table)
        self._build_actions()
        self.table.selectionModel().selectionChanged.connect(self.update_actions)
        model.rowsInserted.connect(self._on_model_rows_changed)
        model.rowsRemoved.connect(self._on_model_rows_changed)
        model.modelReset.connect(self._on_model_rows_changed)
        model.sig_summary_changed.connect(self.update_actions)
        # A selected row may change state without the selection changing.
        model.dataChanged.connect(self.update_actions)
        self.retranslate()
        self._on_model_rows_changed()

    # -- actions --------------------------------------------------------------------------------

    def _action(
        self,
        name: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | str,
        slot: Callable[[], None],
    ) -> QAction:
        action = QAction(icon(name), "", self)
        action.setShortcut(QKeySequence(shortcut))
        # The shortcuts act on the table's selection, so they live with the table.
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.table.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.pause_action = self._action("pause", "Ctrl+P", self._on_pause_triggered)
        self.resume_action = self._action("resume", "Ctrl+R", self._on_resume_triggered)
        self.cancel_action = self._action("cancel", "Ctrl+.", self._on_cancel_triggered)
        self.retry_action = self._action("retry", "Ctrl+Shift+R", self._on_retry_triggered)
        self.remove_action = self._action(
            "remove", QKeySequence.StandardKey.Delete, self._on_remove_triggered
        )
        self.folder_action = self._action("show-folder", "Ctrl+E", self._on_folder_triggered)
        self.copy_key_action = self._action(
            "copy", QKeySequence.StandardKey.Copy, self._on_copy_key_triggered
        )
        self.clear_done_action = QAction(icon("remove"), "", self)
        self.clear_done_action.triggered.connect(self._on_clear_done_triggered)

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.pause_action.setText(self.tr("Pause"))
        self.resume_action.setText(self.tr("Resume"))
        self.cancel_action.setText(self.tr("Cancel upload"))
        self.retry_action.setText(self.tr("Retry"))
        self.remove_action.setText(self.tr("Remove from list"))
        self.folder_action.setText(self.tr("Show in folder"))
        self.copy_key_action.setText(self.tr("Copy storage key"))
        self.clear_done_action.setText(self.tr("Remove all uploaded files from the list"))
        self.empty_state.retranslate()
        self.model.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def selected_jobs(self) -> list[JobSnapshot]:
        """The selected jobs, in row order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.job_at(row) for row in rows if row < self.model.rowCount()]

    def select_job(self, job_id: str) -> bool:
        """Select the row of `job_id`; False when it is not shown."""
        row = self.model.row_of(job_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    @Slot()
    def update_actions(self) -> None:
        """Enable exactly the actions that make sense for the selection."""
        jobs = self.selected_jobs()
        states = {job.state for job in jobs}
        self.pause_action.setEnabled(bool(states & _PAUSABLE))
        self.resume_action.setEnabled(JobState.PAUSED in states)
        self.cancel_action.setEnabled(any(s not in TERMINAL for s in states))
        self.retry_action.setEnabled(bool(states & _RETRYABLE))
        self.remove_action.setEnabled(any(s in TERMINAL for s in states))
        self.folder_action.setEnabled(len(jobs) >= 1)
        self.copy_key_action.setEnabled(any(job.key for job in jobs))
        self.clear_done_action.setEnabled(self.model.any_in(JobState.COMPLETED))

    def _ids(self, states: frozenset[JobState] | None = None) -> list[str]:
        return [j.job_id for j in self.selected_jobs() if states is None or j.state in states]

    @Slot()
    def _on_pause_triggered(self) -> None:
        if ids := self._ids(_PAUSABLE):
            self.sig_pause_requested.emit(ids)

    @Slot()
    def _on_resume_triggered(self) -> None:
        if ids := self._ids(frozenset({JobState.PAUSED})):
            self.sig_resume_requested.emit(ids)

    @Slot()
    def _on_cancel_triggered(self) -> None:
        ids = [j.job_id for j in self.selected_jobs() if j.state not in TERMINAL]
        if ids and self._confirm_cancel(len(ids)):
            self.sig_cancel_requested.emit(ids)

    @Slot()
    def _on_retry_triggered(self) -> None:
        if ids := self._ids(_RETRYABLE):
            self.sig_retry_requested.emit(ids)

    @Slot()
    def _on_remove_triggered(self) -> None:
        if ids := self._ids(frozenset(TERMINAL)):
            self.sig_remove_requested.emit(ids)

    @Slot()
    def _on_clear_done_triggered(self) -> None:
        ids = [j.job_id for j in self.model.jobs() if j.state is JobState.COMPLETED]
        if ids:
            self.sig_remove_requested.emit(ids)

    @Slot()
    def _on_folder_triggered(self) -> None:
        jobs = self.selected_jobs()
        if jobs:
            show_in_folder(jobs[0].path)

    @Slot()
    def _on_copy_key_triggered(self) -> None:
        keys = [job.key for job in self.selected_jobs() if job.key]
        if keys:
            QGuiApplication.clipboard().setText("\n".join(keys))

    @Slot(QPoint)
    def _on_table_context_menu_requested(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if index.isValid() and not self.table.selectionModel().isRowSelected(index.row()):
            self.table.selectRow(index.row())
        self.update_actions()
        menu = self.context_menu()
        menu.exec(self.table.viewport().mapToGlobal(position))
        menu.deleteLater()

    def context_menu(self) -> QMenu:
        """The row menu (built on demand, for the current selection)."""
        menu = QMenu(self)
        for action in (self.pause_action, self.resume_action, self.retry_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.folder_action)
        menu.addAction(self.copy_key_action)
        menu.addSeparator()
        menu.addAction(self.cancel_action)
        menu.addAction(self.remove_action)
        menu.addAction(self.clear_done_action)
        return menu

    @Slot()
    def _on_model_rows_changed(self) -> None:
        empty = self.model.rowCount() == 0
        self.stack.setCurrentWidget(self.empty_state if empty else self.table)
        self.update_actions()
