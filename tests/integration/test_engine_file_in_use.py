"""A recording the recorder still holds (a Windows sharing violation) waits, then arrives intact.

The hold is put in front of the engine's one way of opening a recording
(tests/unit/engine/test_sourcefile.py); the queue, the backend and the S3 server are real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.engine import sourcefile
from desktop.engine.events import JobState
from desktop.engine.planner import MIB
from tests.integration.conftest import Stack, file_sha256, write_file
from tests.unit.engine.test_sourcefile import RecorderHold

pytestmark = pytest.mark.integration


def test_parts_wait_for_the_recorder_to_let_go(
    make_stack: Callable[..., Stack], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = make_stack("moto")
    path = tmp_path / "screen.mkv"
    sha = write_file(path, 12 * MIB)
    q, rec = stack.queue(start=False)
    job = q.add(path, exam_id="E", kind="screen")
    hold = RecorderHold(path)
    monkeypatch.setattr(sourcefile, "_open", hold.open)

    def let_go_after_a_few_refusals() -> None:
        deadline = time.monotonic() + 30
        while hold.refused < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        hold.held = False

    releaser = threading.Thread(target=let_go_after_a_few_refusals)
    releaser.start()
    q.start()
    try:
        assert q.wait_idle(90)
    finally:
        releaser.join()
    (snap,) = q.jobs()
    assert hold.refused >= 4
    assert snap.state is JobState.COMPLETED, (snap.error_title, snap.error_message)
    assert not {JobState.FAILED, JobState.SOURCE_CHANGED} & set(rec.states(job.job_id))
    (receipt,) = q.receipts()
    assert receipt.sha256 == file_sha256(path) == sha
    assert stack.object_sha256(receipt.key) == sha
