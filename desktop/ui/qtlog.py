"""Route Qt's own messages (qWarning and friends) into Python logging (STYLE G2)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

logger = logging.getLogger("qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    del context
    logger.log(_LEVELS.get(kind, logging.WARNING), "%s", message)


def install_qt_message_handler() -> object:
    """Send Qt's messages to the `qt` logger (and so to the log file) from now on.

    Returns:
        The handler that was installed before, for `uninstall_qt_message_handler`.
    """
    return qInstallMessageHandler(_handler)


def uninstall_qt_message_handler(previous: object) -> None:
    """Put back the handler `install_qt_message_handler` replaced."""
    qInstallMessageHandler(previous)  # type: ignore[arg-type]
