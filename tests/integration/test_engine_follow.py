"""Following recordings while FFmpeg's real muxers write them (PyAV), on SeaweedFS, which checks
every signature and stores exactly what it is sent.

Each recording grows at ~4 MB/s for a few seconds with 5 MiB parts, so parts leave while it is
being recorded; at the end the muxer rewrites its header (MP4 plain, MKV, WebM) or the whole file
(MP4 +faststart), or only appends (fragmented MP4). The object must equal the final file byte for
byte, and the part PUTs counted through the storage proxy show what was sent when.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.engine.events import JobState
from desktop.engine.planner import MIB
from tests.integration.conftest import Stack, file_sha256
from tests.support.recorder import CONTAINERS, RecorderProcess

pytestmark = [pytest.mark.integration, pytest.mark.seaweedfs]

RATE = 4_000_000
SECONDS = 4.0
#: Open uploads hold at most this much, so the 5 MiB parts the tests ask for are allowed.
SMALL_CAPACITY = 40 * 1024**3


def _stored_puts(stack: Stack) -> int:
    return sum(1 for r in stack.storage_proxy.stats().log if r.method == "PUT" and r.status == 200)


def _wait_for_file(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, "the recorder never created its file"
        time.sleep(0.01)


@pytest.mark.parametrize(
    ("name", "rewrites"),
    [
        ("mp4", "head"),
        ("mp4-faststart", "all"),
        ("fmp4", "none"),
        ("mkv", "head"),
        ("webm", "head"),
    ],
)
def test_a_followed_recording_is_stored_byte_identical(
    make_stack: Callable[..., Stack], tmp_path: Path, name: str, rewrites: str
) -> None:
    stack = make_stack("seaweedfs", open_upload_capacity=SMALL_CAPACITY)
    q, rec = stack.queue()
    path = tmp_path / f"webcam{CONTAINERS[name].suffix}"
    with RecorderProcess(path, name, seconds=SECONDS, rate=RATE) as recorder:
        _wait_for_file(path)
        job = q.add(path, exam_id="EXAM-1", kind="webcam", follow=True, settle=30)
        assert job.following
        recorder.wait()
        sent_while_recording = _stored_puts(stack)
    stopped = time.monotonic()
    rec.wait_for(lambda: bool(rec.receipts), timeout=60)
    stop_to_receipt = time.monotonic() - stopped
    assert q.wait_idle(30)

    (snap,) = q.jobs()
    assert snap.state is JobState.COMPLETED, (snap.error_title, snap.error_message)
    final = path.stat().st_size
    parts = -(-final // (5 * MIB))
    (receipt,) = rec.receipts
    sha = file_sha256(path)
    assert receipt.size == final
    assert receipt.sha256 == sha
    assert stack.object_sha256(receipt.key) == sha
    assert receipt.etag.endswith(f"-{parts}")
    # Parts left while it was still being recorded...
    assert sent_while_recording >= 1
    # ...and those the muxer rewrote at the end were sent again: one PUT per part, plus one per
    # rewritten part.
    resent = _stored_puts(stack) - parts
    if rewrites == "none":
        assert resent == 0
    elif rewrites == "head":
        assert resent == 1
    else:
        assert resent == sent_while_recording
    # The writer's close ended it, not the 30 s settle time.
    assert stop_to_receipt < 20
    assert JobState.VERIFYING in rec.states(snap.job_id)


def test_the_network_cut_mid_recording_costs_nothing_but_time(
    make_stack: Callable[..., Stack], tmp_path: Path
) -> None:
    stack = make_stack("seaweedfs", open_upload_capacity=SMALL_CAPACITY)
    q, rec = stack.queue()
    path = tmp_path / "screen.mkv"
    with RecorderProcess(path, "mkv", seconds=5.0, rate=RATE) as recorder:
        _wait_for_file(path)
        job = q.add(path, exam_id="EXAM-1", kind="screen", follow=True, settle=30)
        rec.wait_for(lambda: _stored_puts(stack) >= 1, timeout=30)
        stack.storage_proxy.network_down()
        stack.backend_proxy.network_down()
        rec.wait_for(lambda: rec.saw_state(job.job_id, JobState.WAITING_NETWORK), timeout=30)
        time.sleep(1.5)  # the recorder goes on writing meanwhile
        stack.storage_proxy.network_up()
        stack.backend_proxy.network_up()
        recorder.wait()
    assert q.wait_idle(60)
    (snap,) = q.jobs()
    assert snap.state is JobState.COMPLETED, (snap.error_title, snap.error_message)
    (receipt,) = rec.receipts
    sha = file_sha256(path)
    assert receipt.sha256 == sha == stack.object_sha256(receipt.key)
    assert receipt.size == path.stat().st_size


def test_a_recorder_that_hangs_without_closing_ends_after_the_settle_time(
    make_stack: Callable[..., Stack], tmp_path: Path
) -> None:
    stack = make_stack("seaweedfs", open_upload_capacity=SMALL_CAPACITY)
    q, rec = stack.queue()
    path = tmp_path / "webcam.webm"
    with RecorderProcess(path, "webm", seconds=30.0, rate=RATE) as recorder:
        _wait_for_file(path)
        q.add(path, exam_id="EXAM-1", kind="webcam", follow=True, settle=1.5)
        rec.wait_for(lambda: _stored_puts(stack) >= 1, timeout=30)
        recorder.freeze()  # hung: the file stays open and stops growing
        frozen = time.monotonic()
        rec.wait_for(lambda: bool(rec.receipts), timeout=60)
        assert time.monotonic() - frozen >= 1.5
        (receipt,) = rec.receipts
        sha = file_sha256(path)
    # Compared while the recorder was still hung: the object is the file as it stood.
    assert receipt.sha256 == sha == stack.object_sha256(receipt.key)
    (snap,) = q.jobs()
    assert snap.state is JobState.COMPLETED


@pytest.mark.parametrize("change", ["shrink", "replace"])
def test_a_recording_that_shrinks_or_is_replaced_is_never_verified(
    make_stack: Callable[..., Stack], tmp_path: Path, change: str
) -> None:
    stack = make_stack("seaweedfs", open_upload_capacity=SMALL_CAPACITY)
    q, rec = stack.queue()
    path = tmp_path / "webcam.mkv"
    with RecorderProcess(path, "mkv", seconds=30.0, rate=RATE) as recorder:
        _wait_for_file(path)
        job = q.add(path, exam_id="EXAM-1", kind="webcam", follow=True, settle=30)
        rec.wait_for(lambda: _stored_puts(stack) >= 1, timeout=30)
        recorder.kill()
        if change == "shrink":
            os.truncate(path, 1000)
        else:
            other = tmp_path / "other.mkv"
            other.write_bytes(os.urandom(100_000))
            os.replace(other, path)
    rec.wait_for(lambda: rec.saw_state(job.job_id, JobState.SOURCE_CHANGED), timeout=30)
    assert q.wait_idle(30)
    assert rec.receipts == []
    (snap,) = q.jobs()
    assert snap.state is JobState.SOURCE_CHANGED
    assert snap.error_title == (
        "Recording shortened" if change == "shrink" else "Recording replaced"
    )
