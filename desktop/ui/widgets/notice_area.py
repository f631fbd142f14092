"""Non-modal notices floating over the window: errors stay until closed, good news fades by itself.

The notices float in the bottom-right corner over the tabs, as toasts do (napari's notifications,
the platforms' own), instead of taking a place in the layout: a notice that came and faded in the
layout pushed the tabs and the table down by its height and back, under the proctor's pointer.
Errors stay until closed and may cover the last rows' right end meanwhile; the status bar is not
used, because it holds the lasting queue summary and a message there would hide it.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.assets import icon
from desktop.ui.messages import Level

_MAX_VISIBLE = 3
_FADE_MS = {Level.INFO: 10_000, Level.SUCCESS: 10_000}
_WIDTH = 440  # at most; narrower in a narrow window
_MARGIN = 12  # from the corner of the area the notices float over
_ICONS = {
    Level.INFO: "info",
    Level.SUCCESS: "success",
    Level.WARNING: "warning",
    Level.ERROR: "error",
}


class Notice(QFrame):
    """One notice: icon, bold title, text, an optional action button and a close button."""

    sig_notice_dismissed = Signal()
    """The notice was closed (by the user, its action, or fading); no arguments."""

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
        self.sig_notice_dismissed.emit()
        self.deleteLater()


class NoticeArea(QWidget):
    """A column of at most three notices, the newest on top, floating over its parent's corner.

    Attributes:
        fade_ms: How long a notice of each fading level stays (the others stay until closed).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create an empty (hidden) area; it floats over `parent` and follows its size."""
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._notices: list[Notice] = []
        self.fade_ms = dict(_FADE_MS)
        if parent is not None:
            parent.installEventFilter(self)
        self.hide()

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
                self._place()
                return notice
        notice = Notice(kind, title, message, self)
        notice.destroyed.connect(self._forget)
        notice.sig_notice_dismissed.connect(self._forget)
        self._layout.insertWidget(0, notice)
        notice.show()  # now, not at the layout's next pass: the area's height must count it
        self._notices.insert(0, notice)
        for old in self._notices[_MAX_VISIBLE:]:
            old.dismiss()
        del self._notices[_MAX_VISIBLE:]
        fade = self.fade_ms.get(kind)
        if fade is not None:
            QTimer.singleShot(fade, notice, notice.dismiss)
        self._place()
        return notice

    def clear(self) -> None:
        """Dismiss every notice."""
        for notice in self.notices():
            notice.dismiss()
        self._notices = []
        self._place()

    def event(self, event: QEvent) -> bool:
        """Refit when a notice's contents change size (a repeat count, an added button)."""
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self._place()
        return handled

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Follow the parent's size, to stay in its corner."""
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._place()
        return super().eventFilter(watched, event)

    def _place(self) -> None:
        """Size the area to its notices and put it in the parent's bottom-right corner."""
        parent = self.parentWidget()
        if not self._notices or parent is None:
            self.hide()
            return
        # Clear of the tables' scroll bars, which stay usable while an error waits to be closed.
        inset = _MARGIN + self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        width = max(0, min(_WIDTH, parent.width() - _MARGIN - inset))
        self._layout.invalidate()
        wanted = self._layout.totalHeightForWidth(width)
        if wanted < 0:  # nothing wraps
            wanted = self._layout.totalSizeHint().height()
        height = max(0, min(wanted, parent.height() - _MARGIN - inset))
        self.setGeometry(
            parent.width() - width - inset, parent.height() - height - inset, width, height
        )
        self.show()
        self.raise_()

    @Slot()
    def _forget(self) -> None:
        # A dismissed notice is hidden at once and deleted later; either way it is gone.
        before = len(self._notices)
        self._notices = [n for n in self._notices if shiboken6.isValid(n) and not n.dismissed]
        if len(self._notices) != before:
            self._place()
