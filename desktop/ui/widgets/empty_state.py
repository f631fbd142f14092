"""The friendly empty queue: what to do, in one glance, with the two buttons that do it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.ui.assets import icon


class EmptyState(QFrame):
    """A dashed drop zone with a headline, a hint and Add files / Add folder buttons."""

    sig_add_files_requested = Signal()
    """The user clicked "Add files…"."""

    sig_add_folder_requested = Signal()
    """The user clicked "Add folder…"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Build the drop zone."""
        super().__init__(parent)
        self.setObjectName("emptyState")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 32, 32, 32)
        layout.setSpacing(12)
        layout.addStretch(1)
        picture = QLabel()
        picture.setPixmap(icon("drop").pixmap(96, 96))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(picture)
        self.headline = QLabel()
        self.headline.setObjectName("emptyHeadline")
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.headline)
        self.hint = QLabel()
        self.hint.setObjectName("mutedLabel")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.add_files = QPushButton(icon("add-file-light"), "")
        self.add_files.setObjectName("primaryButton")
        self.add_files.clicked.connect(self.sig_add_files_requested)
        buttons.addWidget(self.add_files)
        self.add_folder = QPushButton(icon("add-folder"), "")
        self.add_folder.clicked.connect(self.sig_add_folder_requested)
        buttons.addWidget(self.add_folder)
        buttons.addStretch(1)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        layout.addStretch(2)
        self.retranslate()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.headline.setText(self.tr("Drop recordings here"))
        self.hint.setText(
            self.tr(
                "Drag video files or whole folders from your computer onto this window. "
                "Each file climbs to 100% and is checked when it arrives."
            )
        )
        self.add_files.setText(self.tr("Add files…"))
        self.add_folder.setText(self.tr("Add folder…"))

    def set_dragging(self, dragging: bool) -> None:
        """Highlight the zone while something is dragged over the window."""
        self.setProperty("dragging", dragging)
        self.style().unpolish(self)
        self.style().polish(self)

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
