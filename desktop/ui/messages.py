"""The single path by which errors and notices reach the proctor, so every one is logged
and worded the same way.

- `MessageCenter.error(err)` logs, then posts a non-modal notice (the main window shows it in its
  notice area, the tray as a notification when the window is hidden).
- `ConfirmDialog.ask` and `CrashDialog.ask` (in `desktop.ui.dialogs`) are the only modal
  messages (sign-in and keyring errors are shown inside the sign-in dialog); they are classmethods
  so tests monkeypatch them instead of clicking real modal loops.
- `install_excepthooks()` routes uncaught exceptions, from the GUI thread or any worker thread, to
  the crash dialog with the log path, instead of the app vanishing.
"""

from __future__ import annotations

import enum
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot

from desktop.errors import UploaderError
from desktop.log import redact
from desktop.ui.dialogs.crash import CrashDialog
from desktop.ui.text.errors import error_text

logger = logging.getLogger(__name__)


class Level(enum.StrEnum):
    """How serious a notice is; decides its colour, icon and whether it fades by itself."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class MessageCenter(QObject):
    """Turns errors and events into notices; widgets listen to `sig_notice_posted`."""

    sig_notice_posted = Signal(str, str, str)
    """A notice to show: (level — a `Level` value, title, message), already translated."""

    def error(self, err: BaseException, *, doing: str = "") -> None:
        """Log `err` and show it as a notice. Unexpected exceptions get a generic, honest text.

        Args:
            err: What went wrong.
            doing: What the app was doing, for the log ("adding files").
        """
        if isinstance(err, UploaderError):
            logger.warning("%s%s: %s", f"While {doing}: " if doing else "", err.title, err.message)
            title, message = error_text(err.title, err.message)
            level = Level.WARNING if err.retryable else Level.ERROR
        else:
            logger.error("Unexpected error%s", f" while {doing}" if doing else "", exc_info=err)
            title, message = error_text(None, None)
            level = Level.ERROR
        self.sig_notice_posted.emit(level.value, title, message)

    def notify(self, level: Level, title: str, message: str = "") -> None:
        """Show an already translated notice (and log it at INFO)."""
        logger.info("Notice (%s): %s %s", level.value, title, message)
        self.sig_notice_posted.emit(level.value, title, message)


class _CrashReporter(QObject):
    """Lives in the GUI thread; worker-thread crashes reach it through a queued signal."""

    sig_crashed = Signal(str)
    """An uncaught exception happened: (redacted traceback text)."""

    def __init__(self, log_path: Path | None) -> None:
        super().__init__()
        self._log_path = log_path
        self._showing = False
        self.sig_crashed.connect(self._on_self_crashed, Qt.ConnectionType.QueuedConnection)

    @Slot(str)
    def _on_self_crashed(self, details: str) -> None:
        if self._showing:
            return  # one dialog at a time; the log has every traceback
        self._showing = True
        try:
            CrashDialog.ask(None, details, self._log_path)
        finally:
            self._showing = False


def install_excepthooks(log_path: Path | None) -> Callable[[], None]:
    """Log uncaught exceptions and show the crash dialog; returns a function that uninstalls.

    Must be called on the GUI thread after the QApplication exists.
    """
    reporter = _CrashReporter(log_path)
    previous_sys, previous_thread = sys.excepthook, threading.excepthook

    def report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous_sys(exc_type, exc, tb)
            return
        logger.critical("Uncaught exception", exc_info=(exc_type, exc, tb))
        details = redact("".join(traceback.format_exception(exc_type, exc, tb)))
        reporter.sig_crashed.emit(details)

    def sys_hook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        report(exc_type, exc, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        report(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = sys_hook
    threading.excepthook = thread_hook

    def uninstall() -> None:
        sys.excepthook = previous_sys
        threading.excepthook = previous_thread
        reporter.deleteLater()

    return uninstall
