"""The composition root: the demo against a real backend subprocess, and one window per user."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop import app
from desktop.ui.single_instance import InstanceServer, notify_running
from desktop.ui.views.main_window import MainWindow


def _children_of_this_process() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        # Field 4 of /proc/PID/stat is the parent pid (after the parenthesised command name).
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
            found.append(cmdline)
    return found


@pytest.mark.integration
@pytest.mark.slow
def test_demo_starts_the_backend_signs_in_and_stops_it(qtbot: Any) -> None:
    seen: dict[str, str] = {}
    home_before = os.environ.get("PROCTOR_UPLOADER_HOME")

    def poll() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                label = widget.account_label.text()
                if label.startswith("Signed in as demo @ 127.0.0.1:"):
                    seen["account"] = label
                    seen["children"] = " | ".join(_children_of_this_process())
                    widget.quit_action.trigger()  # nothing uploading: quits without asking
                    return
        timer.start()

    timer = QTimer()
    timer.setSingleShot(True)
    timer.setInterval(200)
    timer.timeout.connect(poll)
    timer.start()
    assert app.run_demo([]) == 0
    assert seen["account"].startswith("Signed in as demo @ 127.0.0.1:")
    assert "-m backend dev --port 0" in seen["children"]  # a subprocess, never an import
    assert not any("-m backend dev" in c for c in _children_of_this_process())  # stopped
    assert os.environ.get("PROCTOR_UPLOADER_HOME") == home_before  # the demo's home is gone


def test_a_second_launch_brings_the_first_window_forward(qtbot: Any, tmp_path: Path) -> None:
    server = InstanceServer(tmp_path)
    try:
        with qtbot.waitSignal(server.sig_show_requested, timeout=10_000):
            assert notify_running(tmp_path)
    finally:
        server.close()
    assert not notify_running(tmp_path)  # nobody listens any more: this launch starts the app
    assert not notify_running(tmp_path / "another-user")
