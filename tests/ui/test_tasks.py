"""Background tasks: work runs off the GUI thread, results come back on it, dead widgets none."""

from __future__ import annotations

import functools
import threading
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from desktop.ui.tasks import SerialTasks, run_in_background


def test_result_arrives_on_the_gui_thread(qtbot: Any) -> None:
    gui = threading.get_ident()
    seen: dict[str, Any] = {}

    def work() -> int:
        seen["worker"] = threading.get_ident()
        return 42

    def done(value: int) -> None:
        seen["value"] = value
        seen["callback"] = threading.get_ident()

    run_in_background(work, done)
    qtbot.waitUntil(lambda: "value" in seen)
    assert seen["value"] == 42
    assert seen["worker"] != gui
    assert seen["callback"] == gui


def test_errors_go_to_on_error(qtbot: Any) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        raise ValueError("boom")

    run_in_background(work, lambda _: pytest.fail("no result expected"), errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ValueError)


def test_unhandled_errors_are_logged(qtbot: Any, caplog: pytest.LogCaptureFixture) -> None:
    future = run_in_background(lambda: 1 / 0)
    qtbot.waitUntil(future.done)
    qtbot.waitUntil(lambda: "Background task failed" in caplog.text)


def test_callbacks_are_dropped_when_the_context_widget_is_gone(qtbot: Any) -> None:
    widget = QWidget()
    release = threading.Event()
    called: list[int] = []
    future = run_in_background(lambda: release.wait(10) and 7, called.append, context=widget)
    widget.deleteLater()
    qtbot.waitUntil(lambda: not _alive(widget))
    release.set()
    qtbot.waitUntil(future.done)
    # Give the queued delivery a chance to run: a later task's callback arrives after it.
    marker: list[int] = []
    run_in_background(lambda: 1, marker.append)
    qtbot.waitUntil(lambda: bool(marker))
    assert called == []


def _alive(widget: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)


def test_serial_lane_keeps_order(qtbot: Any) -> None:
    lane = SerialTasks("test-lane")
    order: list[int] = []
    results: list[int] = []
    try:

        def step(i: int) -> int:
            order.append(i)
            return i

        for i in range(20):
            lane.submit(functools.partial(step, i), results.append)
        qtbot.waitUntil(lambda: len(results) == 20)
    finally:
        lane.shutdown()
    assert order == list(range(20))
    assert results == list(range(20))
