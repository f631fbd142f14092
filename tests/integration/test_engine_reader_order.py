"""The sequential reader feeds the senders: on a fresh upload parts leave lowest first, each only
once the reader has hashed it, URLs are signed in batches of hashed parts, and the reader stays
within its lookahead of the senders (so what it read is still cached when they send it)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from desktop.engine.events import JobState
from desktop.engine.planner import MIB
from desktop.engine.runs import JobRun
from tests.integration.conftest import Stack, write_file

pytestmark = pytest.mark.integration


def test_parts_leave_in_order_once_hashed_and_the_reader_stays_close(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = threading.Lock()
    events: list[tuple[str, int]] = []
    leads: list[tuple[int, int]] = []
    real_turn = JobRun.reader_turn
    real_hashed = JobRun.hashed

    def turn(self: JobRun, number: int, lookahead: int) -> bool:
        allowed = real_turn(self, number, lookahead)
        with self.lock:
            waiting = [*self.pending, *self.in_flight]
        with lock:
            leads.append((number, min(waiting) if waiting else number))
        return allowed

    def hashed(self: JobRun, number: int, checksum: str) -> bool:
        with lock:
            events.append(("hashed", number))
        return real_hashed(self, number, checksum)

    monkeypatch.setattr(JobRun, "reader_turn", turn)
    monkeypatch.setattr(JobRun, "hashed", hashed)
    q, _ = stack.queue(parts=2, bandwidth_limit=16 * MIB)
    real_put = q.sender.put_part
    real_sign = q.api.sign_parts
    signed: list[list[int]] = []

    def put(**kwargs: Any) -> Any:
        with lock:
            events.append(("sent", kwargs["offset"] // (5 * MIB) + 1))
        return real_put(**kwargs)

    def sign(upload_id: str, numbers: Any, **kwargs: Any) -> Any:
        assert set(kwargs["checksums"]) == set(numbers)  # every URL carries its part's checksum
        signed.append(list(numbers))
        return real_sign(upload_id, numbers, **kwargs)

    monkeypatch.setattr(q.sender, "put_part", put)
    monkeypatch.setattr(q.api, "sign_parts", sign)
    path = tmp_path / "exam.mp4"
    sha = write_file(path, 60 * MIB)  # 12 parts: more than the reader may run ahead
    q.add(path, exam_id="E", kind="webcam")
    assert q.wait_idle(120)
    (job,) = q.jobs()
    assert job.state is JobState.COMPLETED, job.error_message
    (receipt,) = q.receipts()
    assert receipt.sha256 == sha == stack.object_sha256(receipt.key)
    sent = [n for kind, n in events if kind == "sent"]
    assert sorted(sent[:2]) == [1, 2]  # the first parts go first: none jumps ahead of the reader
    for n in sent:
        assert events.index(("hashed", n)) < events.index(("sent", n))
    lookahead = 2 * 2 + 2
    assert all(number <= low + lookahead for number, low in leads)
    assert max(number - low for number, low in leads) > 2  # it does run ahead of the senders
    assert len(signed) < 12  # signed in batches, not one call per part
