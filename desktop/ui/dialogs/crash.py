"""The dialog an uncaught exception shows: what happened, the log file, details to copy."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.assets import icon
from desktop.ui.dialogs.confirm import parent_window


class CrashDialog(QDialog):
    """ "Something went wrong": the log path, the (redacted) details, and a way to keep going."""

    def __init__(self, parent: QWidget | None, details: str, log_path: Path | None) -> None:
        """Build the dialog; `details` is the formatted traceback (already redacted)."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Proctor Uploader ran into a problem"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        headline = QLabel(self.tr("Something unexpected happened."))
        headline.setObjectName("dialogHeadline")
        layout.addWidget(headline)
        body = QLabel(
            self.tr(
                "Your uploads are safe: finished parts are kept, and unfinished files continue "
                "where they stopped. If this keeps happening, send the log file to your IT support."
            )
        )
        body.setWordWrap(True)
        layout.addWidget(body)
        self._log_path = log_path
        if log_path is not None:
            where = QLabel(self.tr("Log file: {path}").format(path=log_path))
            where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            where.setWordWrap(True)
            where.setObjectName("mutedLabel")
            layout.addWidget(where)
        self._details = QPlainTextEdit(details)
        self._details.setReadOnly(True)
        self._details.setVisible(False)
        self._details.setMinimumHeight(180)
        layout.addWidget(self._details)
        buttons = QHBoxLayout()
        toggle = QPushButton(self.tr("Show details"))
        toggle.setCheckable(True)
        toggle.toggled.connect(self._details.setVisible)
        buttons.addWidget(toggle)
        copy = QPushButton(icon("copy"), self.tr("Copy details"))
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
        buttons.addWidget(copy)
        if log_path is not None:
            folder = QPushButton(icon("show-folder"), self.tr("Open log folder"))
            folder.clicked.connect(self._on_folder_clicked)
            buttons.addWidget(folder)
        buttons.addStretch(1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        buttons.addWidget(box)
        layout.addLayout(buttons)
        # Enter and Esc both close: the person wants to get back to the app.
        close = box.button(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        close.setFocus()

    @Slot()
    def _on_folder_clicked(self) -> None:
        if self._log_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_path.parent)))

    @classmethod
    def ask(cls, parent: QWidget | None, details: str, log_path: Path | None) -> None:
        """Show the crash dialog and wait until it is closed."""
        cls(parent_window(parent), details, log_path).exec()
