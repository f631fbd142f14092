"""Qt's own messages reach the log file, and still reach whoever listened before (pytest-qt)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from PySide6.QtCore import qWarning

from desktop.ui.qtlog import install_qt_message_handler, uninstall_qt_message_handler


@pytest.mark.qt_log_ignore("^a warning from Qt for the test$")
def test_a_qt_warning_is_logged_and_passed_on(qtlog: Any, caplog: pytest.LogCaptureFixture) -> None:
    previous = install_qt_message_handler()
    try:
        with caplog.at_level(logging.WARNING, logger="qt"):
            qWarning("a warning from Qt for the test")
    finally:
        uninstall_qt_message_handler(previous)
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("qt", logging.WARNING, "a warning from Qt for the test")
    ]
    # pytest-qt heard it too: while the whole app runs, a Qt warning still fails the test.
    assert [m.message for m in qtlog.records] == ["a warning from Qt for the test"]


def test_after_uninstalling_the_log_hears_nothing_more(
    qtlog: Any, caplog: pytest.LogCaptureFixture
) -> None:
    uninstall_qt_message_handler(install_qt_message_handler())
    with caplog.at_level(logging.DEBUG, logger="qt"), qtlog.disabled():
        qWarning("only pytest-qt's handler is installed now")
    assert caplog.records == []
