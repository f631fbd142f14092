"""What the app does: sign-in, the upload queue's life, adding files, settings, tray and quitting.

`AppController` receives its collaborators from `desktop.app` (the composition root) and owns the
window, the tray and the engine bridge. It never blocks the GUI thread: the engine's methods persist
to SQLite, so they run on a serial lane; sign-in, folder walks and saving settings run through
`run_in_background`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from desktop.auth.session import AuthSession
from desktop.config import AppConfig, AppPaths
from desktop.engine.events import JobSnapshot, JobState, Receipt
from desktop.engine.instance import AlreadyRunningError
from desktop.engine.queue import UploadQueue
from desktop.file_scan import Selection, collect_files
from desktop.keepawake import KeepAwake
from desktop.log import RecentLogBuffer
from desktop.recordings import RECORDING_EXTENSIONS, guess_kind
from desktop.ui.bridge import EngineBridge
from desktop.ui.controller_adding import AddOutcome, add_files
from desktop.ui.dialogs.add_files import AddFilesDialog, AddRequest
from desktop.ui.dialogs.login import SignInDialog, SignInResult
from desktop.ui.dialogs.settings import SettingsDialog
from desktop.ui.messages import ConfirmDialog, Level, MessageCenter
from desktop.ui.queue_model import QueueSummary, UploadQueueModel
from desktop.ui.receipt_keys import ReceiptKeyCheck
from desktop.ui.tasks import SerialTasks, run_in_background
from desktop.ui.text import i18n
from desktop.ui.text.errors import error_text
from desktop.ui.tray import TrayController
from desktop.ui.views.main_window import BatchResult, MainWindow
from desktop.ui.watch_service import WatchService

logger = logging.getLogger(__name__)

T = TypeVar("T")
_PROBLEM = frozenset({JobState.FAILED, JobState.SOURCE_CHANGED})


class FileDialogs:
    """The OS file pickers, as classmethods tests replace."""

    @classmethod
    def open_files(cls, parent: QWidget) -> list[str]:
        """Pick recordings (any file can be chosen with "All files")."""
        patterns = " ".join(f"*{ext}" for ext in sorted(RECORDING_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(
            parent,
            QCoreApplication.translate("AppController", "Add recordings"),
            "",
            QCoreApplication.translate(
                "AppController", "Recordings ({patterns});;All files (*)"
            ).format(patterns=patterns),
        )
        return list(files)

    @classmethod
    def open_folder(cls, parent: QWidget) -> str:
        """Pick a folder ("" when cancelled)."""
        title = QCoreApplication.translate("AppController", "Add a folder of recordings")
        return QFileDialog.getExistingDirectory(parent, title)


@dataclass
class Services:
    """The collaborators `desktop.app` builds for the controller.

    Attributes:
        paths: The app's folders.
        session: The signed-in account (or not yet).
        make_queue: Builds a stopped `UploadQueue` for the session's API client and the settings,
            with the given listener; runs on a worker thread (it opens the database).
        keep_awake: Keeps the machine awake while uploading.
        log_path: The log file, shown in the log view and the crash dialog.
        log_buffer: Recent log lines for the log view.
        tray_available: Whether the desktop has a system tray.
        acquire_engine_lock: Takes the one-engine-per-user lock (raises `UploaderError` when
            another process holds it); returns its release function.
        quit_app: Ends the event loop (`QApplication.quit`; tests record the call instead).
    """

    paths: AppPaths
    session: AuthSession
    make_queue: Callable[[AuthSession, AppConfig, EngineBridge], UploadQueue]
    keep_awake: KeepAwake
    log_path: Path | None
    log_buffer: RecentLogBuffer | None
    tray_available: Callable[[], bool]
    acquire_engine_lock: Callable[[], Callable[[], None]]
    quit_app: Callable[[], None] = QApplication.quit


class AppController(QObject):
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

    def start(self) -> None:
        """Show the window (or only the tray), then sign in silently or ask."""
        self._begin(minimized=self.config.start_minimized)
        self._sign_in_at_start()

    def _sign_in_at_start(self) -> None:
        config, session = self.config, self.services.session
        if config.server_url and config.username and config.remember_me:
            self.window.set_account("")
            self.window.summary_label.setText(self.tr("Signing in…"))

            def restore() -> bool:
                # A remembered sign-in is used by rotating its refresh token. Were a command
                # uploading with the same sign-in, doing that here would end its session: so the
                # engine lock comes first, and a second instance stops before touching anything.
                self._hold_engine_lock()
                return session.restore(config.server_url, config.username)

            run_in_background(restore, self._on_restored, self._on_restore_failed, context=self)
        else:
            QTimer.singleShot(0, self, self.sign_in)

    def _hold_engine_lock(self) -> None:
        """Take the one-engine-per-user lock unless already held (on a worker thread).

        Raises:
            AlreadyRunningError: A command (or another app) is uploading on this computer.
        """
        if self._release_lock is None:
            self._release_lock = self.services.acquire_engine_lock()

    def start_signed_in(self, server_url: str, username: str, password: str) -> None:
        """Show the window and sign in with a known password, for this session only (the demo)."""
        self._begin(minimized=False)
        session = self.services.session
        self.window.summary_label.setText(self.tr("Signing in…"))

        def sign_in() -> SignInResult:
            session.sign_in(server_url, username, password, remember=False)
            return SignInResult(session.server_url or server_url, username, False)

        run_in_background(
            sign_in,
            lambda result: self._on_signed_in(result, save=False),
            self._on_restore_failed,
            context=self,
        )

    def _on_restored(self, restored: bool) -> None:
        if restored:
            session = self.services.session
            self._on_signed_in(
                SignInResult(session.server_url or "", session.username or "", True), save=False
            )
        else:
            self.sign_in()

    def _on_restore_failed(self, exc: BaseException) -> None:
        if isinstance(exc, AlreadyRunningError):
            self._tell_already_running()
            return
        self.messages.error(exc, doing="restoring the remembered sign-in")
        self.sign_in()

    def _tell_already_running(self) -> None:
        logger.info("Another instance holds the engine lock; not signing in")
        self.window.summary_label.setText("")
        notice = self.window.notices.post(
            Level.WARNING.value,
            self.tr("Already uploading elsewhere"),
            self.tr(
                "Another Proctor Uploader (a command in a terminal, or another window) is "
                "uploading on this computer. Let it finish, then try again."
            ),
        )
        notice.add_action(self.tr("Try again"), self.start_again)

    @Slot()
    def start_again(self) -> None:
        """Sign in again once the other instance has finished (the notice's "Try again")."""
        if self._release_lock is not None or self._shut_down:
            return
        if self.services.session.is_signed_in:
            self._start_queue()
        else:
            self._sign_in_at_start()

    @Slot()
    def sign_in(self, reason: str = "") -> bool:
        """Show the sign-in form (once at a time); True when the user signed in."""
        if self._signing_in or self._shut_down:
            return False
        self._signing_in = True
        try:
            config = self.config
            result = SignInDialog.ask(
                self.window if self.window.isVisible() else None,
                self.services.session,
                server_url=config.server_url,
                username=config.username or (self.services.session.username or ""),
                remember=config.remember_me,
                server_locked=config.server_url_locked,
                allow_insecure_http=config.allow_insecure_http,
                reason=reason,
            )
        finally:
            self._signing_in = False
        if result is None:
            self.window.show_summary(self.model.summary)
            if not self.services.session.is_signed_in:
                notice = self.window.notices.post(
                    Level.INFO.value,
                    self.tr("You are not signed in"),
                    self.tr("Sign in to upload recordings. Files you add wait until then."),
                )
                notice.add_action(self.tr("Sign in"), self._on_sign_in_triggered)
            return False
        self._on_signed_in(result, save=True)
        return True

    def _on_signed_in(self, result: SignInResult, *, save: bool) -> None:
        host = urlsplit(result.server_url).netloc or result.server_url
        self.receipt_keys.check(result.server_url)
        self.window.set_account(f"{result.username} @ {host}")
        self.window.show_summary(self.model.summary)
        if save:
            self.update_config(
                dataclasses.replace(
                    self.config,
                    server_url=result.server_url,
                    username=result.username,
                    remember_me=result.remembered,
                )
            )
        queue = self.queue
        if queue is not None and queue.api.server_url == result.server_url:
            self.command(queue.login_restored, doing="resuming after sign-in")
            self._process_pending_adds()
        elif queue is None:
            self._start_queue()
        else:
            # A different server: the old queue's uploads belong there; start afresh here.
            old, self.queue = queue, None
            self.command(lambda: old.shutdown(pause=True), doing="switching servers")
            self._start_queue()

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

    @Slot()
    def _on_bridge_login_required(self) -> None:
        title = self.tr("Sign in to continue uploading")
        message = self.tr(
            "Your sign-in has ended. Uploads are waiting, and nothing is lost: sign in again and "
            "they continue where they stopped."
        )
        self.tray.notify(Level.WARNING, title, message)
        if self._signing_in:
            return
        notice = self.window.notices.post(Level.WARNING.value, title, message)
        notice.add_action(self.tr("Sign in"), self._on_sign_in_triggered)
        if self.window.isVisible():
            QTimer.singleShot(0, self, lambda: self.sign_in(message))

    @Slot()
    def _on_sign_in_triggered(self) -> None:
        self.sign_in()

    @Slot()
    def _on_sign_out_triggered(self) -> None:
        if self.model.summary.active and not ConfirmDialog.ask(
            self.window,
            self.tr("Sign out while uploading?"),
            self.tr("Uploads wait until you sign in again, then continue where they stopped."),
            confirm=self.tr("Sign out"),
            cancel=self.tr("Stay signed in"),
        ):
            return
        session = self.services.session

        def signed_out(_: object) -> None:
            self.window.set_account("")
            self.sign_in()

        run_in_background(
            session.sign_out,
            signed_out,
            lambda exc: self.messages.error(exc, doing="signing out"),
            context=self,
        )

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

    @Slot()
    def _on_add_files_triggered(self) -> None:
        files = FileDialogs.open_files(self.window)
        if files:
            self.add_paths(files)

    @Slot()
    def _on_add_folder_triggered(self) -> None:
        folder = FileDialogs.open_folder(self.window)
        if folder:
            self.add_paths([folder])

    @Slot(list)
    def add_paths(self, paths: list[str]) -> None:
        """Sort out dropped or picked paths off the GUI thread, then ask for exam and kind."""
        self.window.summary_label.setText(self.tr("Looking for recordings…"))
        run_in_background(
            lambda: collect_files(Path(p) for p in paths),
            self._on_selection_collected,
            lambda exc: self.messages.error(exc, doing="reading the dropped files"),
            context=self,
        )

    def _on_selection_collected(self, selection: Selection) -> None:
        self.window.show_summary(self.model.summary)
        if not selection.recordings and not selection.others:
            self.messages.notify(
                Level.INFO,
                self.tr("No files found"),
                self.tr("The folder you chose holds no files to upload."),
            )
            return
        known = sorted({j.exam_id for j in self.model.jobs()} | {self.config.last_exam_id} - {""})
        request = AddFilesDialog.ask(
            self.window,
            selection,
            last_exam_id=self.config.last_exam_id,
            last_kind=self.config.last_kind,
            known_exams=known,
        )
        if request is None:
            return
        remembered = request.chosen_kind if request.chosen_kind != "auto" else self.config.last_kind
        self.update_config(
            dataclasses.replace(self.config, last_exam_id=request.exam_id, last_kind=remembered)
        )
        self._pending_adds.append(request)
        if self.queue is None:
            if not self.services.session.is_signed_in:
                self.sign_in(self.tr("Sign in to start uploading the files you added."))
            return
        self._process_pending_adds()

    def _process_pending_adds(self) -> None:
        queue = self.queue
        if queue is None:
            return
        requests, self._pending_adds = self._pending_adds, []
        settle = self._follow_settle()

        def add_all() -> AddOutcome:
            total = AddOutcome()
            for request in requests:
                outcome = add_files(queue, request.files, request.exam_id, follow_settle=settle)
                total.added_paths += outcome.added_paths
                total.skipped_paths += outcome.skipped_paths
                total.failed += outcome.failed
            return total

        if requests:
            self.command(add_all, doing="adding files", on_done=self._on_files_added)

    def _follow_settle(self) -> float | None:
        """The settle time of followed recordings, or None when following is off."""
        return float(self.config.watch_settle_seconds) if self.config.follow_recordings else None

    def _on_files_added(self, outcome: AddOutcome) -> None:
        self.window.tabs.setCurrentWidget(self.window.queue_view)
        for level, title, message in outcome.notices():
            self.messages.notify(level, title, message)

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

    def update_config(self, config: AppConfig) -> None:
        """Adopt `config` and save it off the GUI thread."""
        self.config = config
        path = self.services.paths.config_file
        run_in_background(
            lambda: config.save(path),
            None,
            lambda exc: self.messages.error(exc, doing="saving settings"),
            context=self,
        )

    @Slot()
    def _on_settings_triggered(self) -> None:
        session = self.services.session
        server = (session.server_url or "") if session.is_signed_in else ""
        edited = SettingsDialog.ask(self.window, self.config, server_url=server)
        if edited is not None:
            self.apply_settings(edited)

    def apply_settings(self, new: AppConfig) -> None:
        """Save `new` and apply what can change live."""
        old = self.config
        self.update_config(new)
        if new.language != old.language:
            i18n.apply_language(new.language)
            self.tray.retranslate()
        self.tray.notifications_enabled = new.notifications
        queue = self.queue
        if queue is not None and (new.parallel_files, new.parallel_parts) != (
            old.parallel_files,
            old.parallel_parts,
        ):
            files, parts = new.parallel_files, new.parallel_files * new.parallel_parts
            self.command(
                lambda: queue.set_concurrency(files=files, parts=parts),
                doing="changing parallel uploads",
            )
        self._apply_bandwidth()
        self.watch.configure(
            enabled=new.watch_enabled,
            folder=new.watch_path,
            settle_seconds=new.watch_settle_seconds,
            follow=new.follow_recordings,
        )
        self._update_keep_awake(self.model.summary)

    @Slot()
    def _apply_bandwidth(self) -> None:
        queue = self.queue
        kib = self.config.effective_bandwidth_kib(datetime.now())
        if queue is None or kib == self._bandwidth_kib:
            return
        self._bandwidth_kib = kib
        logger.info("Bandwidth limit now %s", f"{kib} KiB/s" if kib else "unlimited")
        self.command(
            lambda: queue.set_bandwidth_limit(kib * 1024), doing="changing the bandwidth limit"
        )

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

    @Slot()
    def show_window(self) -> None:
        """Bring the window to the front."""
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    @Slot()
    def _on_window_close_requested(self) -> None:
        if self.tray.present:
            self.window.hide()
            if not self._told_about_tray:
                self._told_about_tray = True
                self.tray.notify(
                    Level.INFO,
                    self.tr("Proctor Uploader is still running"),
                    self.tr(
                        "Uploads continue in the background. Use the tray icon to open the "
                        "window or to quit."
                    ),
                )
            return
        self.request_quit()

    @Slot()
    def request_quit(self) -> bool:
        """Quit, asking first while uploads are running; True when quitting."""
        if self.model.summary.active and not ConfirmDialog.ask(
            self.window if self.window.isVisible() else None,
            self.tr("Quit while uploading?"),
            self.tr(
                "Uploads stop now and continue where they stopped the next time you open "
                "Proctor Uploader. Nothing already sent is lost."
            ),
            confirm=self.tr("Quit"),
            cancel=self.tr("Keep uploading"),
        ):
            return False
        self.quit()
        return True

    def quit(self) -> None:
        """Close the window, pause and persist the queue, and end the event loop."""
        self.window.allow_close()
        self.window.close()
        self.shutdown()
        self.services.quit_app()

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
