"""What the app does: sign-in, the upload queue's life, adding files, settings, tray and quitting.

`AppController` receives its collaborators from `desktop.app` (the composition root) and owns the
window, the tray and the engine bridge. It keeps the queue's life (starting it, engine commands,
what the queue's state means for the window and tray) and takes the rest from one part per
responsibility in `desktop.ui.control`: signing in, adding files, settings, window and tray. It
never blocks the GUI thread: the engine's methods persist to SQLite, so they run on a serial lane;
sign-in, folder walks and saving settings run through `run_in_background`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Slot

from desktop.config import AppConfig
from desktop.engine.events import JobSnapshot, JobState
from desktop.engine.instance import AlreadyRunningError
from desktop.engine.queue import UploadQueue
from desktop.engine.receipt import Receipt
from desktop.recordings import guess_kind
from desktop.ui.bridge import EngineBridge
from desktop.ui.control.adding import AddingFlow, AddOutcome, FileDialogs, add_files
from desktop.ui.control.base import Services
from desktop.ui.control.settings import SettingsFlow
from desktop.ui.control.signing_in import SignInFlow
from desktop.ui.control.window import WindowFlow
from desktop.ui.dialogs.add_files import AddRequest
from desktop.ui.messages import Level, MessageCenter
from desktop.ui.queue_model import QueueSummary, UploadQueueModel
from desktop.ui.receipt_keys import ReceiptKeyCheck
from desktop.ui.tasks import SerialTasks, run_in_background
from desktop.ui.text.errors import error_text
from desktop.ui.tray import TrayController
from desktop.ui.views.main_window import BatchResult, MainWindow
from desktop.ui.watch_service import WatchService

logger = logging.getLogger(__name__)

T = TypeVar("T")
_PROBLEM = frozenset({JobState.FAILED, JobState.SOURCE_CHANGED})


class AppController(SignInFlow, AddingFlow, SettingsFlow, WindowFlow, QObject):
    """Wires the window, the tray and the engine together and carries out the user's requests."""

    def __init__(self, config: AppConfig, services: Services) -> None:
        """Build the window, tray and bridge; nothing is shown until `start()`."""
        super().__init__()
        self.config = config
        self.services = services
        self.queue: UploadQueue | None = None
        self._queue_starting = False
        self._release_lock: Callable[[], None] | None = None
        self._pending_adds: list[AddRequest] = []
        self._signing_in = False
        self._awake_wanted = False
        self._told_about_tray = False
        self._job_states: dict[str, JobState] = {}
        self._bandwidth_kib: int | None = None
        self._shut_down = False

        self.messages = MessageCenter(self)
        self.bridge = EngineBridge(self)
        # A mass add shows its rows once a second, not at every refresh (see the model).
        self.model = UploadQueueModel(self, insert_every_ms=1000)
        self.commands = SerialTasks("engine-commands")
        lines = services.log_buffer.lines() if services.log_buffer else []
        self.window = MainWindow(self.model, log_lines=lines, log_path=services.log_path)
        self.tray = TrayController(self, available=services.tray_available)
        self.tray.notifications_enabled = config.notifications
        self.watch = WatchService(services.paths.data_dir / "watch-queued.json", self)
        self.receipt_keys = ReceiptKeyCheck(
            services.paths.data_dir,
            services.session,
            self.messages,
            self.window.history_view.model,
            self,
        )
        self._schedule_timer = QTimer(self)
        self._schedule_timer.setInterval(30_000)
        self._schedule_timer.timeout.connect(self._apply_bandwidth)
        self._connect()

    def _connect(self) -> None:
        queued = Qt.ConnectionType.QueuedConnection
        bridge, model, window = self.bridge, self.model, self.window
        # The bridge hands job events, receipts and log lines over on the GUI thread, in batches.
        bridge.sig_job_added.connect(model.add_job)
        bridge.sig_job_changed.connect(model.update_job)
        bridge.sig_job_changed.connect(self._on_bridge_job_changed)
        model.set_progress_source(bridge.take_progress)
        bridge.sig_job_removed.connect(model.remove_job)
        bridge.sig_receipts_added.connect(window.history_view.model.add_receipts)
        bridge.sig_login_required.connect(self._on_bridge_login_required, queued)
        bridge.sig_log_lines_added.connect(window.log_view.append_lines)
        if self.services.log_buffer is not None:
            self._unsubscribe_log = self.services.log_buffer.subscribe(bridge.on_log_line)
        model.sig_summary_changed.connect(self._on_model_summary_changed)
        model.sig_summary_changed.connect(self.tray.update_summary)
        model.sig_batch_finished.connect(self._on_model_batch_finished)
        self.messages.sig_notice_posted.connect(window.notices.post)
        window.add_files_action.triggered.connect(self._on_add_files_triggered)
        window.add_folder_action.triggered.connect(self._on_add_folder_triggered)
        window.pause_all_action.triggered.connect(self.pause_all)
        window.resume_all_action.triggered.connect(self.resume_all)
        window.settings_action.triggered.connect(self._on_settings_triggered)
        window.sign_out_action.triggered.connect(self._on_sign_out_triggered)
        window.sign_in_action.triggered.connect(self._on_sign_in_triggered)
        window.quit_action.triggered.connect(self.request_quit)
        window.sig_paths_dropped.connect(self.add_paths)
        window.sig_close_requested.connect(self._on_window_close_requested)
        view = window.queue_view
        view.sig_pause_requested.connect(lambda ids: self._each(ids, "pause"))
        view.sig_resume_requested.connect(lambda ids: self._each(ids, "resume"))
        view.sig_cancel_requested.connect(lambda ids: self._each(ids, "cancel"))
        view.sig_retry_requested.connect(lambda ids: self._each(ids, "retry"))
        view.sig_remove_requested.connect(lambda ids: self._each(ids, "remove"))
        window.history_view.sig_export_finished.connect(self._on_history_export_finished)
        window.history_view.sig_export_failed.connect(self._on_history_export_failed)
        self.tray.sig_show_window_requested.connect(self.show_window)
        self.tray.sig_pause_all_requested.connect(self.pause_all)
        self.tray.sig_resume_all_requested.connect(self.resume_all)
        self.tray.sig_quit_requested.connect(self.request_quit)
        self.watch.sig_recordings_found.connect(self._on_watch_recordings_found)
        self.watch.sig_watching_changed.connect(window.set_watching)

    # -- start-up and sign-in -------------------------------------------------------------------

    def _begin(self, *, minimized: bool) -> None:
        if minimized and self.tray.present:
            logger.info("Starting in the tray")
        else:
            self.window.show()
        self.watch.configure(
            enabled=self.config.watch_enabled,
            folder=self.config.watch_path,
            settle_seconds=self.config.watch_settle_seconds,
            follow=self.config.follow_recordings,
        )
        self._schedule_timer.start()

    def _start_queue(self) -> None:
        if self._queue_starting or self._shut_down:
            return
        self._queue_starting = True
        services, config, bridge = self.services, self.config, self.bridge

        def create() -> tuple[UploadQueue, list[Receipt]]:
            self._hold_engine_lock()
            queue = services.make_queue(services.session, config, bridge)
            queue.start()
            return queue, queue.receipts()

        run_in_background(create, self._on_queue_started, self._on_queue_failed, context=self)

    def _on_queue_started(self, result: tuple[UploadQueue, list[Receipt]]) -> None:
        self._queue_starting = False
        queue, receipts = result
        if self._shut_down:
            queue.shutdown(pause=True)
            return
        self.queue = queue
        self.window.history_view.model.set_receipts(receipts)
        if queue.store.quarantined is not None:
            self.messages.notify(
                Level.WARNING,
                self.tr("The upload list was damaged and has been reset"),
                self.tr(
                    "It was kept as {path} for your IT support. %n receipt(s) restored; add "
                    "recordings that had not finished uploading again.",
                    "",
                    queue.store.restored_receipts,
                ).format(path=queue.store.quarantined),
            )
        self._bandwidth_kib = None
        self._apply_bandwidth()
        self._process_pending_adds()
        logger.info("Upload queue started")

    def _on_queue_failed(self, exc: BaseException) -> None:
        self._queue_starting = False
        if isinstance(exc, AlreadyRunningError):
            self._tell_already_running()
            return
        self.messages.error(exc, doing="starting the upload queue")

    # -- engine commands ------------------------------------------------------------------------

    def command(
        self,
        fn: Callable[[], T],
        *,
        doing: str,
        on_done: Callable[[T], None] | None = None,
    ) -> None:
        """Run an engine call on the command lane; errors become notices."""
        self.commands.submit(
            fn, on_done, lambda exc: self.messages.error(exc, doing=doing), context=self
        )

    def _each(self, job_ids: list[str], method: str) -> None:
        queue = self.queue
        if queue is None:
            return
        call = getattr(queue, method)

        def run() -> None:
            for job_id in job_ids:
                call(job_id)

        self.command(run, doing=f"{method} of {len(job_ids)} upload(s)")

    @Slot()
    def pause_all(self) -> None:
        """Pause every unfinished upload."""
        if self.queue is not None:
            self.command(self.queue.pause_all, doing="pausing all uploads")

    @Slot()
    def resume_all(self) -> None:
        """Resume every paused upload."""
        if self.queue is not None:
            self.command(self.queue.resume_all, doing="resuming all uploads")

    # -- adding files ---------------------------------------------------------------------------

    @Slot(list)
    def _on_watch_recordings_found(self, paths: list[str]) -> None:
        queue, config = self.queue, self.config
        if queue is None or not config.watch_exam_id:
            self.watch.release(paths)
            return
        files = tuple((Path(p), guess_kind(Path(p).name) or config.watch_kind) for p in paths)
        settle = self._follow_settle()

        def done(outcome: AddOutcome) -> None:
            self.watch.mark_queued(outcome.added_paths + outcome.skipped_paths)
            self.watch.release(outcome.failed_paths)
            if outcome.added_paths:
                self.messages.notify(
                    Level.INFO,
                    self.tr("New recordings found"),
                    self.tr(
                        "%n recording(s) from the watched folder were queued.",
                        "",
                        len(outcome.added_paths),
                    ),
                )

        def failed(exc: BaseException) -> None:
            self.watch.release(paths)
            self.messages.error(exc, doing="queueing watched recordings")

        self.commands.submit(
            lambda: add_files(
                queue,
                files,
                config.watch_exam_id,
                follow_settle=settle,
                probe=False,
            ),
            done,
            failed,
            context=self,
        )

    # -- settings -------------------------------------------------------------------------------

    # -- queue state ----------------------------------------------------------------------------

    @Slot(QueueSummary)
    def _on_model_summary_changed(self, summary: QueueSummary) -> None:
        self._update_keep_awake(summary)

    def _update_keep_awake(self, summary: QueueSummary) -> None:
        wanted = self.config.keep_awake and summary.uploading + summary.active > 0
        if wanted == self._awake_wanted:
            return
        self._awake_wanted = wanted
        keeper = self.services.keep_awake
        keeper.set_active(wanted)
        # Show the indicator only when an inhibitor actually holds (it is best effort).
        QTimer.singleShot(1500, self, lambda: self.window.set_awake(keeper.holder is not None))

    @Slot(JobSnapshot)
    def _on_bridge_job_changed(self, job: JobSnapshot) -> None:
        before = self._job_states.get(job.job_id)
        self._job_states[job.job_id] = job.state
        if job.state in _PROBLEM and before not in _PROBLEM:
            title, message = error_text(job.error_title, job.error_message)
            name = Path(job.path).name
            headline = self.tr("{file} was not uploaded").format(file=name)
            self.messages.notify(Level.ERROR, headline, f"{title}: {message}")
            if not self.window.isActiveWindow():
                self.tray.notify(Level.ERROR, headline, title)

    @Slot(int, int)
    def _on_model_batch_finished(self, uploaded: int, problems: int) -> None:
        # The status bar keeps the outcome until the next batch. Success gets no notice: one that
        # fades after seconds pushed the whole window down and back, and was gone by the time the
        # proctor looked; problems get one that stays until dismissed.
        self.window.set_last_batch(BatchResult(uploaded, problems, datetime.now()))
        if problems == 0:
            title = self.tr("All %n recording(s) uploaded", "", uploaded)
            message = self.tr("Every file arrived and was checked against the original.")
            level = Level.SUCCESS
        else:
            title = self.tr("%n recording(s) need attention", "", problems)
            message = self.tr(
                "{uploaded} uploaded. Check the files marked in red, then retry them."
            ).format(uploaded=uploaded)
            level = Level.WARNING
            self.messages.notify(level, title, message)
        self.tray.notify(level, title, message)

    @Slot(str, int)
    def _on_history_export_finished(self, path: str, count: int) -> None:
        self.messages.notify(
            Level.SUCCESS,
            self.tr("History exported"),
            self.tr("%n receipt(s) saved to {path}.", "", count).format(path=path),
        )

    @Slot(str)
    def _on_history_export_failed(self, reason: str) -> None:
        self.messages.notify(Level.ERROR, self.tr("Export failed"), reason)

    # -- window, tray, quit ---------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop everything in order: watcher, engine (paused and persisted), helpers. Idempotent."""
        if self._shut_down:
            return
        self._shut_down = True
        self._schedule_timer.stop()
        self.watch.stop()
        self.commands.shutdown(wait=True)
        queue, self.queue = self.queue, None
        if queue is not None:
            queue.shutdown(pause=True)
        if self._release_lock is not None:
            self._release_lock()
            self._release_lock = None
        self.services.keep_awake.close()
        if self.services.log_buffer is not None:
            self._unsubscribe_log()
        self.tray.hide()
        logger.info("Shut down cleanly")

    def diagnostics(self) -> dict[str, Any]:
        """A few facts for tests and the log."""
        return {
            "signed_in": self.services.session.is_signed_in,
            "queue": self.queue is not None,
            "tray": self.tray.present,
        }


__all__ = ["AppController", "FileDialogs", "Services"]
