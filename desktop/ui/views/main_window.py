"""The main window: toolbar, notices, the Uploads / History / Logs tabs and the status bar.

The window shows state and raises requests; `AppController` decides what they do. Closing the
window emits `sig_close_requested` instead of closing, so the controller can keep running in the
tray or ask before quitting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSizePolicy,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.assets import app_icon, icon
from desktop.ui.dialogs.confirm import ConfirmDialog
from desktop.ui.queue_model import QueueSummary, UploadQueueModel
from desktop.ui.text import labels
from desktop.ui.text.plurals import plurals
from desktop.ui.views.history import HistoryView
from desktop.ui.views.log import LogView
from desktop.ui.views.queue import QueueView
from desktop.ui.widgets.notice_area import NoticeArea


class MainWindow(QMainWindow):
    """The app's one window."""

    sig_paths_dropped = Signal(list)
    """Files or folders were dropped on the window: (list of local path strings)."""

    sig_close_requested = Signal()
    """The user closed the window (title bar, Alt+F4); the controller decides what happens."""

    def __init__(
        self,
        model: UploadQueueModel,
        *,
        log_lines: list[str],
        log_path: Path | None,
        parent: QWidget | None = None,
    ) -> None:
        """Build the window around the queue model."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.resize(1200, 680)
        self.setMinimumSize(760, 460)
        self._allow_close = False
        self._summary = QueueSummary()
        self._last_batch: BatchResult | None = None
        self._account = ""
        self._watching = ""
        self._awake = False
        self._build_actions()
        self._build_toolbar()

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(14, 10, 14, 8)
        layout.setSpacing(8)
        # Floats over the tabs' corner: in the layout, each notice moved the tabs down and back.
        self.notices = NoticeArea(central)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.queue_view = QueueView(model, self._confirm_cancel)
        self.queue_view.sig_add_files_requested.connect(self.add_files_action.trigger)
        self.queue_view.sig_add_folder_requested.connect(self.add_folder_action.trigger)
        self.history_view = HistoryView()
        self.log_view = LogView(log_lines, log_path)
        self.tabs.addTab(self.queue_view, icon("uploads"), "")
        self.tabs.addTab(self.history_view, icon("history"), "")
        self.tabs.addTab(self.log_view, icon("log"), "")
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.notices.raise_()

        status = self.statusBar()
        status.setSizeGripEnabled(False)
        self.summary_label = QLabel()
        status.addWidget(self.summary_label, 1)
        self.watch_button = QToolButton()
        self.watch_button.setObjectName("statusButton")
        self.watch_button.setIcon(icon("watch"))
        self.watch_button.setAutoRaise(True)
        self.watch_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.watch_button.clicked.connect(self._on_watch_button_clicked)
        status.addPermanentWidget(self.watch_button)
        self.awake_button = QToolButton()
        self.awake_button.setObjectName("statusButton")
        self.awake_button.setIcon(icon("awake"))
        self.awake_button.setAutoRaise(True)
        status.addPermanentWidget(self.awake_button)
        self.overall_progress = QProgressBar()
        self.overall_progress.setObjectName("overallProgress")
        self.overall_progress.setRange(0, 1000)
        self.overall_progress.setTextVisible(False)
        self.overall_progress.setFixedWidth(180)
        holder = QWidget()  # keeps the bar off the window's edge
        holder_layout = QHBoxLayout(holder)
        holder_layout.setContentsMargins(4, 0, 12, 0)
        holder_layout.addWidget(self.overall_progress)
        status.addPermanentWidget(holder)

        model.sig_summary_changed.connect(self.show_summary)
        self.retranslate()
        self.show_summary(model.summary)
        self.set_watching("")
        self.set_awake(False)

    # -- building -------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        def action(name: str, shortcut: QKeySequence | QKeySequence.StandardKey | None) -> QAction:
            created = QAction(icon(name), "", self)
            if shortcut is not None:
                created.setShortcut(QKeySequence(shortcut))
            self.addAction(created)
            return created

        self.add_files_action = action("add-file", QKeySequence.StandardKey.Open)
        self.add_folder_action = action("add-folder", QKeySequence("Ctrl+Shift+O"))
        self.pause_all_action = action("pause", QKeySequence("Ctrl+Shift+P"))
        self.resume_all_action = action("resume", QKeySequence("Ctrl+Shift+U"))
        self.settings_action = action("settings", QKeySequence.StandardKey.Preferences)
        self.sign_out_action = action("sign-out", None)
        self.sign_in_action = action("sign-in", None)
        self.quit_action = action("quit", QKeySequence.StandardKey.Quit)

    def _build_toolbar(self) -> None:
        bar = QToolBar()
        bar.setObjectName("mainToolBar")
        bar.setMovable(False)
        bar.setFloatable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
        bar.addAction(self.add_files_action)
        bar.addAction(self.add_folder_action)
        bar.addSeparator()
        bar.addAction(self.pause_all_action)
        bar.addAction(self.resume_all_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.account_label = QLabel()
        self.account_label.setObjectName("accountLabel")
        bar.addWidget(self.account_label)
        bar.addAction(self.settings_action)
        bar.addAction(self.sign_out_action)
        bar.addAction(self.sign_in_action)
        self.addToolBar(bar)
        self.toolbar = bar
        self.set_account("")

    # -- texts ----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.add_files_action.setText(self.tr("Add files…"))
        self.add_files_action.setToolTip(self.tr("Add recordings to upload (Ctrl+O)"))
        self.add_folder_action.setText(self.tr("Add folder…"))
        self.add_folder_action.setToolTip(
            self.tr("Add every recording in a folder and its subfolders")
        )
        self.pause_all_action.setText(self.tr("Pause all"))
        self.resume_all_action.setText(self.tr("Resume all"))
        self.settings_action.setText(self.tr("Settings"))
        self.sign_out_action.setText(self.tr("Sign out"))
        self.sign_in_action.setText(self.tr("Sign in"))
        self.quit_action.setText(self.tr("Quit"))
        self.tabs.setTabText(0, self.tr("Uploads"))
        self.tabs.setTabText(1, self.tr("History"))
        self.tabs.setTabText(2, self.tr("Logs"))
        self.set_account(self._account)
        self.set_watching(self._watching)
        self.set_awake(self._awake)
        self.show_summary(self._summary)

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- state shown ----------------------------------------------------------------------------

    def set_account(self, account: str) -> None:
        """Show who is signed in ("demo @ uploads.example.edu"), or that nobody is."""
        self._account = account
        signed_in = bool(account)
        self.account_label.setText(
            self.tr("Signed in as {account}").format(account=account)
            if signed_in
            else self.tr("Not signed in")
        )
        self.sign_out_action.setVisible(signed_in)
        self.sign_in_action.setVisible(not signed_in)

    def set_watching(self, folder: str) -> None:
        """Show the watched folder in the status bar ("" when not watching)."""
        self._watching = folder
        self.watch_button.setVisible(bool(folder))
        if folder:
            name = Path(folder).name or folder
            self.watch_button.setText(self.tr("Watching {folder}").format(folder=name))
            self.watch_button.setToolTip(
                self.tr("New recordings in {folder} are uploaded automatically.").format(
                    folder=folder
                )
            )

    def set_awake(self, awake: bool) -> None:
        """Show whether the computer is being kept awake."""
        self._awake = awake
        self.awake_button.setVisible(awake)
        self.awake_button.setToolTip(self.tr("Keeping the computer awake while uploading"))

    def set_last_batch(self, result: BatchResult) -> None:
        """Remember how the last batch ended; the status bar says so until the next one starts."""
        self._last_batch = result
        self.show_summary(self._summary)

    @Slot(QueueSummary)
    def show_summary(self, summary: QueueSummary) -> None:
        """Update the status bar, the overall progress and the window title."""
        self._summary = summary
        self.summary_label.setText(summary_text(summary, self._last_batch))
        busy = summary.active > 0
        self.overall_progress.setVisible(busy)
        self.overall_progress.setValue(int(summary.fraction * 1000))
        self.setWindowTitle(
            f"{int(summary.fraction * 100)}% — Proctor Uploader" if busy else "Proctor Uploader"
        )
        self.pause_all_action.setEnabled(summary.active > 0)
        self.resume_all_action.setEnabled(summary.paused > 0)

    # -- closing, dropping ----------------------------------------------------------------------

    def allow_close(self) -> None:
        """Let the next close really close (the app is quitting)."""
        self._allow_close = True

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask the controller instead of closing, unless the app is quitting."""
        if not self._allow_close:
            # The controller may decide to quit right away (it then calls allow_close()).
            self.sig_close_requested.emit()
        if self._allow_close:
            event.accept()
        else:
            event.ignore()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept local files and folders."""
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
            self.queue_view.empty_state.set_dragging(True)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        """Stop highlighting the drop zone."""
        self.queue_view.empty_state.set_dragging(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        """Hand the dropped local paths to the controller."""
        self.queue_view.empty_state.set_dragging(False)
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.tabs.setCurrentWidget(self.queue_view)
            self.sig_paths_dropped.emit(paths)

    @Slot()
    def _on_watch_button_clicked(self) -> None:
        if self._watching:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self._watching))

    def _confirm_cancel(self, count: int) -> bool:
        return ConfirmDialog.ask(
            self,
            self.tr("Cancel %n upload(s)?", "", count),
            self.tr(
                "What was already sent is discarded on the server. To upload these files later, "
                "you will have to add them again."
            ),
            confirm=self.tr("Cancel uploads"),
            cancel=self.tr("Keep uploading"),
            destructive=True,
        )


@dataclass(frozen=True, slots=True)
class BatchResult:
    """How a batch of uploads ended.

    Attributes:
        uploaded: Files uploaded and verified.
        problems: Files that need attention.
        finished_at: When the last of them ended (local time).
    """

    uploaded: int
    problems: int
    finished_at: datetime


def summary_text(summary: QueueSummary, last_batch: BatchResult | None = None) -> str:
    """The status bar sentence for `summary`, with how the last batch ended once all is idle."""
    if summary.total == 0:
        return QCoreApplication.translate(
            "MainWindow", "Ready. Drop recordings on this window to upload them."
        )
    parts: list[str] = []
    if summary.needs_login:
        parts.append(QCoreApplication.translate("MainWindow", "Sign in to continue uploading"))
    if summary.active:
        parts.append(
            QCoreApplication.translate("MainWindow", "{done} of {total} files uploaded").format(
                done=summary.completed, total=summary.batch_files
            )
        )
        parts.append(
            QCoreApplication.translate("MainWindow", "{done} of {total}").format(
                done=labels.format_size(summary.batch_done),
                total=labels.format_size(summary.batch_bytes),
            )
        )
        speed = labels.format_speed(summary.speed_bps)
        if speed:
            parts.append(speed)
        left = labels.format_duration(summary.eta_seconds)
        if left:
            parts.append(QCoreApplication.translate("MainWindow", "{time} left").format(time=left))
    elif summary.paused:
        parts.append(plurals().files_paused(summary.paused))
    elif last_batch is not None and last_batch.uploaded:
        # Lasting, unlike a notice that fades: a proctor back from the exam room reads it here.
        when = last_batch.finished_at.strftime("%H:%M")
        parts.append(plurals().recordings_verified_at(last_batch.uploaded, when))
    else:
        parts.append(QCoreApplication.translate("MainWindow", "Nothing left to upload"))
    if summary.problems:
        parts.append(plurals().files_need_attention(summary.problems))
    return " · ".join(parts)
