"""Route Qt's own messages (qWarning and friends) into Python logging, so they reach the log
file (and fail tests) like our own warnings."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

logger = logging.getLogger("qt")

_Handler = Callable[[QtMsgType, QMessageLogContext, str], object]
# The handler that listened before ours (pytest-qt's in tests, none in the app): it still hears
# every message, so a Qt warning while the whole app runs fails the test as anywhere else.
_previous: _Handler | None = None

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    logger.log(_LEVELS.get(kind, logging.WARNING), "%s", message)
    if _previous is not None:
        _previous(kind, context, message)


def install_qt_message_handler() -> object:
    """Send Qt's messages to the `qt` logger (and so to the log file) from now on.

    Returns:
        The handler that was installed before, for `uninstall_qt_message_handler`.
    """
    global _previous
    previous = qInstallMessageHandler(_handler)
    _previous = previous if callable(previous) else None
    return previous


def uninstall_qt_message_handler(previous: object) -> None:
    """Put back the handler `install_qt_message_handler` replaced."""
    global _previous
    qInstallMessageHandler(previous)  # type: ignore[arg-type]
    _previous = None
