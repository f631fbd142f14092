"""The window, the tray and quitting: closing to the tray, asking before quitting mid-upload."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, Slot

from desktop.ui.control.base import ControllerParts
from desktop.ui.dialogs.confirm import ConfirmDialog
from desktop.ui.messages import Level

logger = logging.getLogger(__name__)


class WindowFlow(ControllerParts):
    """Showing the window, closing it to the tray, and quitting in order."""

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
                    QCoreApplication.translate(
                        "AppController", "Proctor Uploader is still running"
                    ),
                    QCoreApplication.translate(
                        "AppController",
                        "Uploads continue in the background. Use the tray icon to open the "
                        "window or to quit.",
                    ),
                )
            return
        self.request_quit()

    @Slot()
    def request_quit(self) -> bool:
        """Quit, asking first while uploads are running; True when quitting."""
        if self.model.summary.active and not ConfirmDialog.ask(
            self.window if self.window.isVisible() else None,
            QCoreApplication.translate("AppController", "Quit while uploading?"),
            QCoreApplication.translate(
                "AppController",
                "Uploads stop now and continue where they stopped the next time you open "
                "Proctor Uploader. Nothing already sent is lost.",
            ),
            confirm=QCoreApplication.translate("AppController", "Quit"),
            cancel=QCoreApplication.translate("AppController", "Keep uploading"),
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
