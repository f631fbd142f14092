"""What every part of the app's controller reaches, and the collaborators it is given.

`AppController` (`desktop.ui.controller`) is put together from one part per responsibility:
`signing_in`, `adding` (files and folders), `settings` and `window` (window, tray, quitting); it
keeps the queue's life itself. Each part is a plain class; `ControllerParts` declares, for the type
checker only, what the parts find on `self` once combined: the state `AppController.__init__` sets
up and the methods another part provides.

Text shown by the parts keeps the translation context "AppController" (it is written with
`QCoreApplication.translate("AppController", ...)`), so the catalogues did not change with the
split.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from desktop.auth.session import AuthSession
from desktop.config import AppConfig, AppPaths
from desktop.engine.events import JobState
from desktop.engine.queue import UploadQueue
from desktop.keepawake import KeepAwake
from desktop.log import RecentLogBuffer
from desktop.ui.bridge import EngineBridge

if TYPE_CHECKING:
    from desktop.ui.dialogs.add_files import AddRequest
    from desktop.ui.messages import MessageCenter
    from desktop.ui.queue_model import QueueSummary, UploadQueueModel
    from desktop.ui.receipt_keys import ReceiptKeyCheck
    from desktop.ui.tasks import SerialTasks
    from desktop.ui.tray import TrayController
    from desktop.ui.views.main_window import MainWindow
    from desktop.ui.watch_service import WatchService

    _Base = QObject
else:
    _Base = object

T = TypeVar("T")


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


class ControllerParts(_Base):
    """The parts' common view of the assembled controller (declarations only)."""

    if TYPE_CHECKING:
        config: AppConfig
        services: Services
        queue: UploadQueue | None
        messages: MessageCenter
        bridge: EngineBridge
        model: UploadQueueModel
        commands: SerialTasks
        window: MainWindow
        tray: TrayController
        watch: WatchService
        receipt_keys: ReceiptKeyCheck
        _queue_starting: bool
        _release_lock: Callable[[], None] | None
        _pending_adds: list[AddRequest]
        _signing_in: bool
        _told_about_tray: bool
        _job_states: dict[str, JobState]
        _bandwidth_kib: int | None
        _shut_down: bool

        # The queue's life (AppController).
        def _begin(self, *, minimized: bool) -> None: ...
        def _start_queue(self) -> None: ...
        def command(
            self, fn: Callable[[], T], *, doing: str, on_done: Callable[[T], None] | None = None
        ) -> None: ...
        def _update_keep_awake(self, summary: QueueSummary) -> None: ...
        def shutdown(self) -> None: ...

        # Signing in.
        def sign_in(self, reason: str = "") -> bool: ...
        def _hold_engine_lock(self) -> None: ...
        def _tell_already_running(self) -> None: ...
        def _on_sign_in_triggered(self) -> None: ...

        # Adding files.
        def _process_pending_adds(self) -> None: ...
        def _follow_settle(self) -> float | None: ...

        # Settings.
        def update_config(self, config: AppConfig) -> None: ...
        def _apply_bandwidth(self) -> None: ...

        # Window, tray, quitting.
        def request_quit(self) -> bool: ...


__all__ = ["ControllerParts", "Services"]
