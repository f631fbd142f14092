"""A 1 GiB sparse file through the real stack on SeaweedFS: many parts, flat memory, exact bytes."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.engine.events import JobState
from desktop.engine.planner import GIB, MIB
from tests.integration.conftest import Stack, file_sha256

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.seaweedfs]


def test_one_gib_sparse_file(make_stack: Callable[..., Stack], tmp_path: Path) -> None:
    stack = make_stack("seaweedfs")
    path = tmp_path / "long-exam.mp4"
    size = GIB
    with path.open("wb") as f:
        f.truncate(size)  # sparse: no disk used, reads return zeros
        for offset, mark in ((0, b"HEAD"), (size // 2, b"MIDDLE"), (size - 4, b"TAIL")):
            f.seek(offset)
            f.write(mark)
    assert path.stat().st_size == size
    sha = file_sha256(path)
    # Parts stream through small buffers: uploading 1 GiB must not hold anything near a part's
    # size times the parts in flight (128 MiB). The peak of what Python allocates during the upload
    # is what a part held in memory would raise; the process's peak RSS would not show it, as it
    # also holds whatever earlier tests in this process once needed.
    tracemalloc.start()
    try:
        q, _ = stack.queue(part_size=32 * MIB, parts=4)
        job = q.add(path, exam_id="E", kind="screen")
        assert q.wait_idle(600)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (snap,) = q.jobs()
    assert snap.state is JobState.COMPLETED, snap.error_message
    (receipt,) = q.receipts()
    assert receipt.job_id == job.job_id
    assert receipt.size == size
    assert receipt.sha256 == sha
    assert receipt.etag.endswith("-32")
    assert stack.object_sha256(receipt.key) == sha
    assert peak < 32 * MIB, f"{peak / MIB:.1f} MiB allocated at the peak of the upload"
