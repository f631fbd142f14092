"""A notice, of any level, floats over the window: the tabs and tables never move for it."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QWidget

from desktop.ui.messages import Level
from desktop.ui.views.main_window import MainWindow
from tests.ui.conftest import main_window


def _positions(window: MainWindow) -> dict[str, QRect]:
    """Where the tabs and the tables are, in window coordinates, after any pending layout."""
    central = window.centralWidget()
    assert central is not None
    layout = central.layout()
    assert layout is not None
    layout.activate()  # apply a pending relayout now, so a move cannot hide behind the event loop
    widgets: dict[str, QWidget] = {
        "tabs": window.tabs,
        "tab bar": window.tabs.tabBar(),
        "uploads table": window.queue_view.table,
        "history table": window.history_view.table,
    }
    return {name: QRect(w.mapTo(window, QPoint(0, 0)), w.size()) for name, w in widgets.items()}


@pytest.mark.parametrize("level", list(Level))
def test_a_notice_shows_and_goes_without_moving_the_tabs(qtbot: Any, level: Level) -> None:
    window = main_window(qtbot)[0]
    area = window.notices
    area.fade_ms = {kind: 200 for kind in area.fade_ms}  # the fading levels fade quickly here
    before = _positions(window)

    notice = area.post(level.value, "History exported", "3 receipts saved to /tmp/history.csv")
    if level is Level.WARNING:
        notice.add_action("Sign in", lambda: None)  # the tallest kind: with a button
    area.post(Level.INFO.value, "Second notice", "stacked above the first")
    qtbot.waitUntil(notice.isVisible)
    assert _positions(window) == before
    # It is on screen, inside the window, over the tabs' bottom-right corner, clear of the tab bar.
    shown = QRect(area.mapTo(window, QPoint(0, 0)), area.size())
    for each in area.notices():  # each whole, none squeezed to fit
        assert each.height() >= each.minimumSizeHint().height() > 0
        assert shown.contains(QRect(each.mapTo(window, QPoint(0, 0)), each.size()))
    assert window.rect().contains(shown)
    assert shown.top() > before["tab bar"].bottom()
    assert shown.right() > before["tabs"].center().x()

    if level in area.fade_ms:
        qtbot.waitUntil(lambda: not area.notices(), timeout=5_000)  # it fades by itself
    else:
        assert notice in area.notices()  # errors and warnings stay until closed
        qtbot.mouseClick(notice.close_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: notice not in area.notices())
        qtbot.waitUntil(lambda: not area.notices(), timeout=5_000)
    qtbot.waitUntil(lambda: not area.isVisible())
    assert _positions(window) == before


def test_notices_follow_the_window_corner_when_it_is_resized(qtbot: Any) -> None:
    window = main_window(qtbot)[0]
    area = window.notices
    area.post(Level.ERROR.value, "Upload failed", "webcam.mp4: the server refused the part")
    qtbot.waitUntil(area.isVisible)
    window.resize(800, 500)
    central = window.centralWidget()
    assert central is not None
    qtbot.waitUntil(lambda: area.geometry().bottom() > central.height() - 40)
    assert area.geometry().right() > central.width() - 40
    assert central.rect().contains(area.geometry())
