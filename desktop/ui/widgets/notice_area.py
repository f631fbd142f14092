"""Non-modal notices above the queue: errors stay until closed, good news fades by itself."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.assets import icon
from desktop.ui.messages import Level

_MAX_VISIBLE = 3
_FADE_MS = {Level.INFO: 10_000, Level.SUCCESS: 10_000}
_ICONS = {
    Level.INFO: "info",
    Level.SUCCESS: "success",
    Level.WARNING: "warning",
    Level.ERROR: "error",
}


class Notice(QFrame):
    """One notice: icon, bold title, text, an optional action button and a close button."""

    def __init__(
        self, level: Level, title: str, message: str, parent: QWidget | None = None
    ) -> None:
        """Build the notice."""
        super().__init__(parent)
        self.setObjectName("notice")
        self.setProperty("level", level.value)
        self.level = level
        self.key = (level.value, title, message)
        self.count = 1
        self.dismissed = False
        self._title_text = title
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.setSpacing(10)
        badge = QLabel()
        badge.setPixmap(icon(_ICONS[level]).pixmap(20, 20))
        badge.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(badge)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("noticeTitle")
        self.title_label.setWordWrap(True)
        texts.addWidget(self.title_label)
        if message:
            body = QLabel(message)
            body.setObjectName("noticeText")
            body.setWordWrap(True)
            body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            texts.addWidget(body)
        layout.addLayout(texts, 1)
        self.action_button: QPushButton | None = None
        self.close_button = QToolButton()
        self.close_button.setIcon(icon("close"))
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip(self.tr("Dismiss"))
        self.close_button.clicked.connect(self.dismiss)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)

    def add_action(self, label: str, callback: Callable[[], None]) -> None:
        """Add a button (e.g. "Sign in") that runs `callback` and closes the notice."""
        button = QPushButton(label)
        button.clicked.connect(callback)
        button.clicked.connect(self.dismiss)
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.insertWidget(layout.count() - 1, button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.action_button = button

    def repeat(self) -> None:
        """The same notice was posted again: count it instead of stacking a copy."""
        self.count += 1
        self.title_label.setText(f"{self._title_text} (×{self.count})")

    @Slot()
    def dismiss(self) -> None:
        """Remove the notice."""
        self.dismissed = True
        self.hide()
        self.deleteLater()


class NoticeArea(QWidget):
    """A column of at most three notices; the newest on top."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create an empty (invisible) area."""
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._notices: list[Notice] = []

    def notices(self) -> list[Notice]:
        """The notices shown now, newest first."""
        self._forget()
        return list(self._notices)

    @Slot(str, str, str)
    def post(self, level: str, title: str, message: str) -> Notice:
        """Show a notice (or count a repeat of one already shown); returns it."""
        kind = Level(level)
        for notice in self.notices():
            if notice.key == (kind.value, title, message):
                notice.repeat()
                return notice
        notice = Notice(kind, title, message, self)
        notice.destroyed.connect(self._forget)
        self._layout.insertWidget(0, notice)
        self._notices.insert(0, notice)
        for old in self._notices[_MAX_VISIBLE:]:
            old.dismiss()
        del self._notices[_MAX_VISIBLE:]
        fade = _FADE_MS.get(kind)
        if fade is not None:
            QTimer.singleShot(fade, notice, notice.dismiss)
        return notice

    def clear(self) -> None:
        """Dismiss every notice."""
        for notice in self.notices():
            notice.dismiss()
        self._notices = []

    @Slot()
    def _forget(self) -> None:
        # A dismissed notice is hidden at once and deleted later; either way it is gone.
        self._notices = [n for n in self._notices if shiboken6.isValid(n) and not n.dismissed]
