"""Which added files are followed: dropped ones only when seen growing, watched ones when recent."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, cast

from desktop.engine.queue import UploadQueue
from desktop.ui.control.adding import add_files


class AddRecorder:
    """Stands in for the engine's queue: remembers how each file was added."""

    def __init__(self) -> None:
        self.added: list[tuple[str, bool, float]] = []

    def duplicate_of(self, path: Path, *, again: bool = False) -> None:
        return None  # nothing is queued yet

    def add(self, path: Path, *, exam_id: str, kind: str, follow: bool, settle: float) -> Any:
        assert exam_id == "EX-1"
        self.added.append((path.name, follow, settle))


def test_only_a_dropped_file_that_is_growing_is_followed(tmp_path: Path) -> None:
    growing = tmp_path / "webcam.mkv"
    growing.write_bytes(b"x" * 100)
    just_copied = tmp_path / "copy.mkv"
    just_copied.write_bytes(b"z" * 100)
    old = tmp_path / "screen.mp4"
    old.write_bytes(b"y" * 100)
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    files = [(growing, "webcam"), (just_copied, "other"), (old, "screen")]
    stop = threading.Event()

    def record() -> None:
        with growing.open("ab") as f:
            while not stop.wait(0.05):
                f.write(b"x" * 1000)
                f.flush()

    recorder = threading.Thread(target=record)
    recorder.start()
    try:
        dropped = AddRecorder()
        outcome = add_files(cast(UploadQueue, dropped), files, "EX-1", follow_settle=10.0)
    finally:
        stop.set()
        recorder.join()
    assert len(outcome.added_paths) == 3
    assert [(n, f) for n, f, _ in dropped.added] == [
        ("webcam.mkv", True),
        ("copy.mkv", False),
        ("screen.mp4", False),
    ]

    # From the watched folder, every recent file is a recording a recorder is writing.
    watched = AddRecorder()
    add_files(cast(UploadQueue, watched), files, "EX-1", follow_settle=10.0, probe=False)
    assert [f for _, f, _ in watched.added] == [True, True, False]

    off = AddRecorder()  # following switched off in the settings
    add_files(cast(UploadQueue, off), files, "EX-1", follow_settle=None)
    assert [f for _, f, _ in off.added] == [False, False, False]
