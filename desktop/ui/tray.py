"""The tray icon: progress in its tooltip, a small menu, and desktop notifications.

`QSystemTrayIcon.isSystemTrayAvailable()` is False offscreen, under Xvfb and on desktops without a
tray; then `TrayController.present` is False, nothing is created, and the window stays the only
surface (closing it asks before quitting with uploads running).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from desktop.ui.assets import icon
from desktop.ui.messages import Level
from desktop.ui.queue_model import QueueSummary
from desktop.ui.text import labels

logger = logging.getLogger(__name__)

_ICONS = {
    Level.INFO: QSystemTrayIcon.MessageIcon.Information,
    Level.SUCCESS: QSystemTrayIcon.MessageIcon.Information,
    Level.WARNING: QSystemTrayIcon.MessageIcon.Warning,
    Level.ERROR: QSystemTrayIcon.MessageIcon.Critical,
}


class TrayController(QObject):
    """Owns the tray icon when the desktop has a tray."""

    sig_show_window_requested = Signal()
    """The user wants the window (menu entry or a click on the icon)."""

    sig_pause_all_requested = Signal()
    """"Pause all" was chosen in the tray menu."""

    sig_resume_all_requested = Signal()
    """"Resume all" was chosen in the tray menu."""

    sig_quit_requested = Signal()
    """"Quit" was chosen in the tray menu."""

    sig_notification_shown = Signal(str, str)
    """A desktop notification was shown: (title, message)."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
    ) -> None:
        """Create the icon if `available()` says the desktop has a tray."""
        super().__init__(parent)
        self.notifications_enabled = True
        self.icon: QSystemTrayIcon | None = None
        self._summary = QueueSummary()
        self.menu: QMenu | None = None
        if not available():
            logger.info("No system tray: the window stays the only way to see uploads")
            return
        self.icon = QSystemTrayIcon(icon("tray"), self)
        self.menu = QMenu()
        self.show_action = QAction(icon("show-window"), "", self.menu)
        self.show_action.triggered.connect(self.sig_show_window_requested)
        self.pause_action = QAction(icon("pause"), "", self.menu)
        self.pause_action.triggered.connect(self.sig_pause_all_requested)
        self.resume_action = QAction(icon("resume"), "", self.menu)
        self.resume_action.triggered.connect(self.sig_resume_all_requested)
        self.quit_action = QAction(icon("quit"), "", self.menu)
        self.quit_action.triggered.connect(self.sig_quit_requested)
        self.menu.addAction(self.show_action)
        self.menu.addSeparator()
        self.menu.addAction(self.pause_action)
        self.menu.addAction(self.resume_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_icon_activated)
        self.retranslate()
        self.icon.show()

    @property
    def present(self) -> bool:
        """Whether a tray icon exists."""
        return self.icon is not None

    def retranslate(self) -> None:
        """Set every text in the current language."""
        if self.icon is None:
            return
        self.show_action.setText(self.tr("Show Proctor Uploader"))
        self.pause_action.setText(self.tr("Pause all"))
        self.resume_action.setText(self.tr("Resume all"))
        self.quit_action.setText(self.tr("Quit"))
        self.update_summary(self._summary)

    def tooltip(self, summary: QueueSummary) -> str:
        """The tooltip text for `summary`."""
        lines = ["Proctor Uploader"]
        if summary.active:
            lines.append(
                self.tr("{percent}% · {done} of {total} files uploaded").format(
                    percent=int(summary.fraction * 100),
                    done=summary.completed,
                    total=summary.batch_files,
                )
            )
            speed = labels.format_speed(summary.speed_bps)
            left = labels.format_duration(summary.eta_seconds)
            if speed:
                lines.append(" · ".join(part for part in (speed, left) if part))
        elif summary.total:
            lines.append(self.tr("Nothing uploading"))
        if summary.needs_login:
            lines.append(self.tr("Sign in to continue"))
        if summary.problems:
            lines.append(self.tr("%n file(s) need attention", "", summary.problems))
        return "\n".join(lines)

    @Slot(QueueSummary)
    def update_summary(self, summary: QueueSummary) -> None:
        """Show the queue's state in the tooltip and enable the menu entries that apply."""
        self._summary = summary
        if self.icon is None:
            return
        self.icon.setToolTip(self.tooltip(summary))
        self.pause_action.setEnabled(summary.active > 0)
        self.resume_action.setEnabled(summary.paused > 0)

    def notify(self, level: Level, title: str, message: str) -> bool:
        """Show a desktop notification; False when there is no tray or notifications are off."""
        if self.icon is None or not self.notifications_enabled:
            return False
        self.icon.showMessage(title, message, _ICONS[level], 8000)
        self.sig_notification_shown.emit(title, message)
        return True

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.sig_show_window_requested.emit()

    def hide(self) -> None:
        """Remove the icon (at quit)."""
        if self.icon is not None:
            self.icon.hide()
