"""Non-modal notices floating over the window: errors stay until closed, good news fades by itself.

The notices float in the bottom-right corner over the tabs, as toasts do (napari's notifications,
the platforms' own), instead of taking a place in the layout: a notice that came and faded in the
layout pushed the tabs and the table down by its height and back, under the proctor's pointer.
Errors stay until closed and may cover the last rows' right end meanwhile; the status bar is not
used, because it holds the lasting queue summary and a message there would hide it.

The keyboard closes them too: Tab reaches each notice's buttons (newest first, as they are shown),
Enter or Space presses the one with focus, and Esc closes the notice that has the focus. A notice
never takes the focus when it appears, so a proctor typing elsewhere loses no keystroke; when the
notice holding the focus closes, the focus goes to the next notice, else back where it came from.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
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


class _CloseButton(QToolButton):
    """A tool button that Enter presses as well as Space, as a focused button does in a dialog."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Press on Enter or Return; everything else as any tool button."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.isAutoRepeat():
            self.click()
            return
        super().keyPressEvent(event)


class Notice(QFrame):
    """One notice: icon, bold title, text, an optional action button and a close button."""

    sig_notice_closing = Signal()
    """The notice is about to hide (it may hold the keyboard focus still); no arguments."""

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
        # What a screen reader says for the notice itself; its button says which notice it closes.
        self.setAccessibleName(title)
        self.setAccessibleDescription(message)
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
        self.close_button = _CloseButton()
        self.close_button.setObjectName("noticeClose")
        self.close_button.setIcon(icon("close"))
        self.close_button.setAutoRaise(True)
        # Tab reaches it, a click does not: clicking it must not pull the focus out of a field.
        self.close_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.close_button.clicked.connect(self.dismiss)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._fade_timer: QTimer | None = None
        self.retranslate()

    def retranslate(self) -> None:
        """Name the close control for tooltips and screen readers in the current language."""
        self.close_button.setToolTip(self.tr("Dismiss"))
        # A screen reader reads the name, then the description: which notice this button closes.
        self.close_button.setAccessibleName(self.tr("Dismiss notice"))
        self.close_button.setAccessibleDescription(self._title_text)

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate the close control when the language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc, pressed on one of the notice's buttons, closes the notice."""
        if event.key() == Qt.Key.Key_Escape:
            self.dismiss()
            return
        super().keyPressEvent(event)

    def holds_focus(self) -> bool:
        """Whether the keyboard focus is on one of this notice's buttons."""
        focus = QApplication.focusWidget()
        return focus is not None and self.isAncestorOf(focus)

    def fade_after(self, milliseconds: int) -> None:
        """Close by itself after `milliseconds`, but never while the proctor's focus is on it."""
        self._fade_timer = QTimer(self)
        self._fade_timer.setSingleShot(True)
        self._fade_timer.setInterval(milliseconds)
        self._fade_timer.timeout.connect(self._on_fade_timer_timeout)
        self._fade_timer.start()

    @Slot()
    def _on_fade_timer_timeout(self) -> None:
        if self.holds_focus() and self._fade_timer is not None:
            self._fade_timer.start()  # someone is reading it with the keyboard: wait for them
            return
        self.dismiss()

    def add_action(self, label: str, callback: Callable[[], None]) -> None:
        """Add a button (e.g. "Sign in") that runs `callback` and closes the notice."""
        button = QPushButton(label)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        button.setAutoDefault(True)  # Enter presses it, as in a dialog (Space does anyway)
        button.clicked.connect(callback)
        button.clicked.connect(self.dismiss)
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.insertWidget(layout.count() - 1, button, 0, Qt.AlignmentFlag.AlignVCenter)
        # Tab visits it just before the close button, where the notice's place in the chain is.
        before = self.close_button.previousInFocusChain()
        if before is not None:
            QWidget.setTabOrder(before, button)
        button.show()  # now, not at the next event loop pass: Tab may come at once
        self.action_button = button

    def repeat(self) -> None:
        """The same notice was posted again: count it instead of stacking a copy."""
        self.count += 1
        self.title_label.setText(f"{self._title_text} (×{self.count})")
        self.setAccessibleName(self.title_label.text())

    def focus_widgets(self) -> list[QWidget]:
        """The buttons Tab visits, left to right."""
        return [w for w in (self.action_button, self.close_button) if w is not None]

    @Slot()
    def dismiss(self) -> None:
        """Remove the notice (once: a click and a fade may both ask)."""
        if self.dismissed:
            return
        self.dismissed = True
        # Before hiding: a hidden focus widget hands the focus to whatever Qt finds next.
        self.sig_notice_closing.emit()
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
        # Where the focus was before it came into the notices: it goes back there after the last.
        self._focus_before: QWidget | None = None
        self.fade_ms = dict(_FADE_MS)
        if parent is not None:
            parent.installEventFilter(self)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_app_focus_changed)
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
        notice.sig_notice_closing.connect(self._on_notice_closing)
        notice.sig_notice_dismissed.connect(self._forget)
        self._layout.insertWidget(0, notice)
        # Shown without focus: focus stays where the proctor is typing.
        notice.show()  # now, not at the layout's next pass: the area's height must count it
        self._notices.insert(0, notice)
        for old in self._notices[_MAX_VISIBLE:]:
            old.dismiss()
        del self._notices[_MAX_VISIBLE:]
        fade = self.fade_ms.get(kind)
        if fade is not None:
            notice.fade_after(fade)
        self._order_tabs()
        self._place()
        return notice

    def _order_tabs(self) -> None:
        # Tab visits the buttons top to bottom (newest first), as the notices are shown; Qt's own
        # order is the order of creation, which would visit the oldest, lowest notice first.
        chain = [w for n in self.notices() for w in n.focus_widgets()]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

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

    @Slot(QWidget, QWidget)
    def _on_app_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        # Remember where the focus came from when it enters the notices, to give it back.
        if new is None or not self.isAncestorOf(new):
            return
        if old is not None and not self.isAncestorOf(old) and old.window() is self.window():
            self._focus_before = old

    @Slot()
    def _on_notice_closing(self) -> None:
        closing = self.sender()
        if not isinstance(closing, Notice) or not closing.holds_focus():
            return
        # To the next notice down (older), else up; after the last, back where the focus was.
        place = self._notices.index(closing) if closing in self._notices else 0
        below = [n for n in self._notices[place + 1 :] if not n.dismissed]
        above = [n for n in reversed(self._notices[:place]) if not n.dismissed]
        for notice in below + above:
            if shiboken6.isValid(notice):
                notice.close_button.setFocus(Qt.FocusReason.TabFocusReason)
                return
        back = self._focus_before
        self._focus_before = None
        if (
            back is not None
            and shiboken6.isValid(back)
            and back.isVisible()
            and back.isEnabled()
            and back.focusPolicy() != Qt.FocusPolicy.NoFocus
        ):
            back.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.window().setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def _forget(self) -> None:
        # A dismissed notice is hidden at once and deleted later; either way it is gone.
        before = len(self._notices)
        self._notices = [n for n in self._notices if shiboken6.isValid(n) and not n.dismissed]
        if len(self._notices) != before:
            self._place()
