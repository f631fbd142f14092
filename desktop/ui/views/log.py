"""Logs: the most recent log lines (already redacted) and a button that opens the log folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.assets import icon

_MAX_LINES = 2000


class LogView(QWidget):
    """A read-only, monospaced tail of the app's log."""

    def __init__(
        self, lines: list[str], log_path: Path | None, parent: QWidget | None = None
    ) -> None:
        """Show `lines` (from `RecentLogBuffer.lines()`); `log_path` is the log file."""
        super().__init__(parent)
        self._log_path = log_path
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        self.path_label = QLabel()
        self.path_label.setObjectName("mutedLabel")
        bar.addWidget(self.path_label, 1)
        self.copy_button = QPushButton(icon("copy"), "")
        self.copy_button.clicked.connect(self._on_copy_clicked)
        bar.addWidget(self.copy_button)
        self.folder_button = QPushButton(icon("show-folder"), "")
        self.folder_button.clicked.connect(self._on_folder_clicked)
        self.folder_button.setEnabled(log_path is not None)
        bar.addWidget(self.folder_button)
        layout.addLayout(bar)
        self.text = QPlainTextEdit()
        self.text.setObjectName("logText")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(_MAX_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.text, 1)
        if lines:
            self.text.setPlainText("\n".join(lines[-_MAX_LINES:]))
        self.retranslate()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        where = str(self._log_path) if self._log_path else self.tr("not available")
        self.path_label.setText(self.tr("Log file: {path}").format(path=where))
        self.copy_button.setText(self.tr("Copy all"))
        self.folder_button.setText(self.tr("Open log folder"))

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    @Slot(str)
    def append_line(self, line: str) -> None:
        """Add a new log line; keeps the view pinned to the bottom when it was there."""
        self.append_lines([line])

    @Slot(list)
    def append_lines(self, lines: list[str]) -> None:
        """Add log lines in one edit (one layout pass however many); keeps the view pinned."""
        if not lines:
            return
        bar = self.text.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.text.appendPlainText("\n".join(lines[-_MAX_LINES:]))
        if at_bottom:
            bar.setValue(bar.maximum())

    @Slot()
    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())

    @Slot()
    def _on_folder_clicked(self) -> None:
        if self._log_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_path.parent)))
