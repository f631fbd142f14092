"""What may wait for the first part: the whole-file SHA-256 pass begins only once the first part's
bytes are on their way (issue 6: on two cores it would otherwise compete with them), and is still
finished and used before completion."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from desktop.engine.events import JobState
from desktop.engine.hashing import Sha256Pass
from desktop.engine.planner import MIB
from tests.integration.conftest import Stack, write_file

pytestmark = pytest.mark.integration


def test_the_sha256_pass_begins_after_the_first_part_bytes(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    lock = threading.Lock()
    real_hash = Sha256Pass._hash

    def observed_hash(self: Sha256Pass) -> str:
        with lock:
            events.append("sha256 began")
        return real_hash(self)

    monkeypatch.setattr(Sha256Pass, "_hash", observed_hash)
    q, _ = stack.queue()
    real_put = q.sender.put_part

    def observed_put(**kwargs: Any) -> Any:
        progress = kwargs["progress"]

        def noting(delta: int) -> None:
            with lock:
                if "first bytes" not in events:
                    events.append("first bytes")
            progress(delta)

        return real_put(**{**kwargs, "progress": noting})

    monkeypatch.setattr(q.sender, "put_part", observed_put)
    path = tmp_path / "exam.mp4"
    sha = write_file(path, 12 * MIB)
    q.add(path, exam_id="E", kind="webcam")
    assert q.wait_idle(120)
    (job,) = q.jobs()
    assert job.state is JobState.COMPLETED, job.error_message
    assert events == ["first bytes", "sha256 began"]
    (receipt,) = q.receipts()
    assert receipt.sha256 == sha
    assert stack.object_sha256(receipt.key) == sha
