"""One window per user: a second launch brings the running app to the front and exits.

The running app listens on a local socket named after its data folder; a new launch first tries
to connect and, when it can, asks the running one to show itself. Local IPC only, at start-up.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

logger = logging.getLogger(__name__)

_SHOW = b"show\n"


def server_name(data_dir: Path) -> str:
    """The local socket name for this user's data folder."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return f"proctor-uploader-{digest}"


def notify_running(data_dir: Path, timeout_ms: int = 500) -> bool:
    """Ask an already running app to show its window; True when one answered."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(_SHOW)
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for later launches and emits `sig_show_requested` when one arrives."""

    sig_show_requested = Signal()
    """Another launch asked this app to show its window."""

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        """Start listening (a stale socket from a crash is removed first)."""
        super().__init__(parent)
        self._server = QLocalServer(self)
        name = server_name(data_dir)
        QLocalServer.removeServer(name)
        if not self._server.listen(name):
            logger.info("Single-instance socket unavailable: %s", self._server.errorString())
        self._server.newConnection.connect(self._on_server_new_connection)

    @Slot()
    def _on_server_new_connection(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(self.sig_show_requested)
            socket.disconnected.connect(socket.deleteLater)

    def close(self) -> None:
        """Stop listening."""
        self._server.close()
