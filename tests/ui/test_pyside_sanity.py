"""Guards against Qt-binding regressions the app cannot survive.

PySide6 6.12.0 drops a reference to `True` on every `Signal.emit()`; after a few thousand emits
(a minute of progress events) the interpreter aborts with "bool_dealloc". pyproject excludes it;
this test fails loudly if such a build comes back.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal


class _Emitter(QObject):
    sig_tick = Signal(str)
    """A test signal: (text)."""


def test_emitting_signals_keeps_reference_counts(qtbot: Any) -> None:
    emitter = _Emitter()
    received: list[str] = []
    emitter.sig_tick.connect(received.append, Qt.ConnectionType.QueuedConnection)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(200):
        emitter.sig_tick.emit("x")
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert after == before
    qtbot.waitUntil(lambda: len(received) == 200)
