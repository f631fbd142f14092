"""Notices closed with the keyboard alone: Tab to the close button, Enter, Space or Esc.

Each test drives a real main window with key events sent where the proctor's keystroke goes (the
focused widget), and checks where the focus is and which notices are still shown.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from desktop.ui.messages import Level
from desktop.ui.text import i18n
from desktop.ui.widgets.notice_area import Notice
from tests.ui.conftest import main_window

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _focus() -> QWidget | None:
    return QApplication.focusWidget()


def _press(qtbot: Any, key: Qt.Key) -> None:
    """Press `key` where the proctor's keystroke would go: the focused widget."""
    focused = _focus()
    assert focused is not None, "nothing has the keyboard focus"
    qtbot.keyClick(focused, key)


def _tab_to(qtbot: Any, target: QWidget) -> QWidget | None:
    """Press Tab until `target` has the focus, as a proctor would; fail if it never does.

    Returns:
        The widget that had the focus just before `target`.
    """
    before = None
    for _ in range(40):
        if _focus() is target:
            return before
        before = _focus()
        _press(qtbot, Qt.Key.Key_Tab)
    pytest.fail(f"Tab never reached {target!r}; it stopped at {_focus()!r}")


def test_tab_from_the_uploads_table_reaches_the_notice_without_it_taking_the_focus(
    qtbot: Any,
) -> None:
    window = main_window(qtbot, active=True)[0]
    table = window.queue_view.table
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    notice = window.notices.post(Level.ERROR.value, "Storage error", "part 3 was refused")
    qtbot.waitUntil(notice.isVisible)
    assert table.hasFocus()  # appearing took nothing from the table

    _tab_to(qtbot, notice.close_button)
    assert notice.close_button.hasFocus()


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space])
def test_enter_or_space_on_the_close_button_closes_and_gives_the_focus_back(
    qtbot: Any, key: Qt.Key
) -> None:
    window = main_window(qtbot, active=True)[0]
    notice = window.notices.post(Level.ERROR.value, "Storage error", "part 3 was refused")
    came_from = _tab_to(qtbot, notice.close_button)
    assert came_from is not None

    _press(qtbot, key)
    qtbot.waitUntil(lambda: notice not in window.notices.notices())
    assert not window.notices.isVisible()
    assert _focus() is came_from  # back where Tab came from, not lost to the window


def test_escape_closes_the_focused_notice_and_the_focus_moves_down_the_stack(
    qtbot: Any,
) -> None:
    window = main_window(qtbot, active=True)[0]
    area = window.notices
    window.tabs.setCurrentIndex(1)
    field = window.history_view.search
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    # A proctor typing in a field loses no keystroke while notices appear.
    qtbot.keyClicks(field, "BIO")
    oldest = area.post(Level.ERROR.value, "First", "the oldest, at the bottom")
    middle = area.post(Level.WARNING.value, "Second", "in the middle")
    newest = area.post(Level.ERROR.value, "Third", "the newest, on top")
    _press(qtbot, Qt.Key.Key_1)
    _press(qtbot, Qt.Key.Key_0)
    assert field.hasFocus()
    assert field.text() == "BIO10"
    _press(qtbot, Qt.Key.Key_Escape)  # the field's own Esc: no notice closes under it
    assert area.notices() == [newest, middle, oldest]

    came_from = _tab_to(qtbot, newest.close_button)  # the top notice first, as they are shown
    _press(qtbot, Qt.Key.Key_Escape)
    assert area.notices() == [middle, oldest]
    assert middle.close_button.hasFocus()  # the next notice down
    _press(qtbot, Qt.Key.Key_Escape)
    assert area.notices() == [oldest]
    assert oldest.close_button.hasFocus()
    _press(qtbot, Qt.Key.Key_Escape)
    assert area.notices() == []
    qtbot.waitUntil(lambda: not area.isVisible())
    assert came_from is not None
    assert _focus() is came_from  # back where Tab came from into the notices


def test_escape_on_the_middle_notice_keeps_the_others(qtbot: Any) -> None:
    window = main_window(qtbot, active=True)[0]
    area = window.notices
    oldest = area.post(Level.ERROR.value, "First", "")
    middle = area.post(Level.ERROR.value, "Second", "")
    newest = area.post(Level.ERROR.value, "Third", "")
    _tab_to(qtbot, middle.close_button)
    _press(qtbot, Qt.Key.Key_Escape)
    assert area.notices() == [newest, oldest]
    assert oldest.close_button.hasFocus()
    # Shift+Tab walks back up to the newest.
    _press(qtbot, Qt.Key.Key_Backtab)
    assert newest.close_button.hasFocus()


def test_enter_on_the_action_button_runs_it(qtbot: Any) -> None:
    window = main_window(qtbot, active=True)[0]
    area = window.notices
    other = area.post(Level.ERROR.value, "Storage error", "")
    notice = area.post(Level.WARNING.value, "Sign-in needed", "Sign in again to go on.")
    pressed: list[int] = []
    notice.add_action("Sign in", lambda: pressed.append(1))
    assert notice.action_button is not None
    _tab_to(qtbot, notice.action_button)
    _press(qtbot, Qt.Key.Key_Tab)  # the action, then its own close button, then the next notice
    assert notice.close_button.hasFocus()
    _press(qtbot, Qt.Key.Key_Tab)
    assert other.close_button.hasFocus()
    _tab_to(qtbot, notice.action_button)
    _press(qtbot, Qt.Key.Key_Return)
    assert pressed == [1]
    assert area.notices() == [other]
    assert other.close_button.hasFocus()


def test_a_fading_notice_waits_while_the_keyboard_is_on_it(qtbot: Any) -> None:
    window = main_window(qtbot, active=True)[0]
    area = window.notices
    area.fade_ms = {kind: 100 for kind in area.fade_ms}
    notice = area.post(Level.INFO.value, "History exported", "3 receipts saved")
    _tab_to(qtbot, notice.close_button)
    timer = notice._fade_timer
    assert timer is not None
    with qtbot.waitSignal(timer.timeout, timeout=5_000):
        pass
    assert notice in area.notices()  # still there for the proctor reading it
    window.tabs.tabBar().setFocus()
    qtbot.waitUntil(lambda: notice not in area.notices(), timeout=5_000)


def test_the_close_button_has_a_spoken_name_in_english_and_korean(qtbot: Any) -> None:
    window = main_window(qtbot, active=True)[0]
    notice: Notice = window.notices.post(Level.ERROR.value, "Storage error", "part 3 refused")
    assert notice.close_button.accessibleName() == "Dismiss notice"
    assert notice.close_button.accessibleDescription() == "Storage error"
    # The notice itself reads as its title and text, the repeat count included.
    assert notice.accessibleName() == "Storage error"
    assert notice.accessibleDescription() == "part 3 refused"
    window.notices.post(Level.ERROR.value, "Storage error", "part 3 refused")
    assert notice.accessibleName() == "Storage error (×2)"
    i18n.apply_language("ko")
    qtbot.waitUntil(lambda: bool(HANGUL.search(notice.close_button.accessibleName())))
    assert HANGUL.search(notice.close_button.toolTip())
