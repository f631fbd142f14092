"""Uploads end to end through the real backend and real S3 servers: sizes, many files, receipts,
cancel, remove, live settings, and the bandwidth limit's effect."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.engine.events import JobState
from desktop.engine.planner import MIB
from tests.backend.helpers import multipart_etag
from tests.integration.conftest import Stack, file_sha256, write_file
from tests.support.checksums import crc64nvme

pytestmark = pytest.mark.integration

SIZES = {
    "empty": 0,
    "one-byte": 1,
    "exactly-one-part": 5 * MIB,
    "one-part-plus-one-byte": 5 * MIB + 1,
    "several-parts": 17 * MIB + 3,
}


@pytest.mark.parametrize(
    "storage", ["moto", pytest.param("seaweedfs", marks=pytest.mark.seaweedfs)]
)
def test_every_size_arrives_byte_identical(
    make_stack: Callable[..., Stack], tmp_path: Path, storage: str
) -> None:
    stack = make_stack(storage)
    q, rec = stack.queue()
    files = {}
    for name, size in SIZES.items():
        path = tmp_path / f"{name}.mp4"
        files[name] = (path, write_file(path, size))
        q.add(path, exam_id="EXAM-1", kind="webcam")
    assert q.wait_idle(120)
    jobs = {Path(j.path).stem: j for j in q.jobs()}
    assert {n: j.state for n, j in jobs.items()} == dict.fromkeys(SIZES, JobState.COMPLETED)
    receipts = {Path(r.path).stem: r for r in q.receipts()}
    for name, (path, sha) in files.items():
        r = receipts[name]
        assert r.size == SIZES[name]
        assert r.sha256 == sha
        assert stack.object_sha256(r.key) == sha, name
        # Storage keeps the whole object's CRC64NVME, the one the engine combined from its parts.
        assert stack.object_crc64nvme(r.key) == crc64nvme(path.read_bytes()), name
        assert r.key.startswith("recordings/webcam/")
        assert r.exam_id == "EXAM-1"
        parts = max(1, -(-SIZES[name] // (5 * MIB)))
        assert r.etag.endswith(f"-{parts}")
    assert len(rec.receipts) == len(SIZES)
    # Each job went through verification before it completed.
    for job in jobs.values():
        states = rec.states(job.job_id)
        assert states.index(JobState.VERIFYING) < states.index(JobState.COMPLETED)


def test_priority_order_and_one_global_part_budget(stack: Stack, tmp_path: Path) -> None:
    q, rec = stack.queue(start=False, files=1, parts=2)
    low = tmp_path / "low.mp4"
    high = tmp_path / "high.mp4"
    write_file(low, 6 * MIB)
    write_file(high, 6 * MIB)
    lo = q.add(low, exam_id="E", kind="screen", priority=0)
    hi = q.add(high, exam_id="E", kind="screen", priority=5)
    q.start()
    assert q.wait_idle(60)
    first_started = next(c.job_id for c in rec.changes if c.state is JobState.UPLOADING)
    assert first_started == hi.job_id
    assert {j.state for j in q.jobs()} == {JobState.COMPLETED}
    assert lo.job_id in {r.job_id for r in q.receipts()}


def test_cancel_aborts_on_the_server_and_remove_keeps_receipts(
    stack: Stack, tmp_path: Path
) -> None:
    q, rec = stack.queue(bandwidth_limit=4 * MIB)
    done_path = tmp_path / "done.mp4"
    write_file(done_path, 10)
    done = q.add(done_path, exam_id="E", kind="other")
    big = tmp_path / "big.mp4"
    write_file(big, 30 * MIB)
    job = q.add(big, exam_id="E", kind="other")
    rec.wait_for(lambda: rec.progress.get(job.job_id, 0) >= 5 * MIB)
    q.cancel(job.job_id)
    assert q.wait_idle(60)
    states = {j.job_id: j.state for j in q.jobs()}
    assert states[job.job_id] is JobState.CANCELLED
    # The backend reports the upload aborted (the abort runs on a control thread: wait for it).
    api = stack.session().api()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        statuses = {u.filename: u.status for u in api.list_uploads().items}
        if statuses.get("big.mp4") == "aborted":
            break
        time.sleep(0.1)
    assert statuses["big.mp4"] == "aborted"
    assert not any(k.endswith("big.mp4") for k in stack.object_keys())
    q.remove(done.job_id)
    q.remove(job.job_id)
    assert q.jobs() == []
    assert [r.job_id for r in q.receipts()] == [done.job_id]


def test_live_concurrency_and_bandwidth_changes(stack: Stack, tmp_path: Path) -> None:
    q, rec = stack.queue(files=1, parts=1, bandwidth_limit=2 * MIB)
    paths = []
    for i in range(3):
        p = tmp_path / f"f{i}.mp4"
        write_file(p, 8 * MIB)
        paths.append(p)
        q.add(p, exam_id="E", kind="other")
    rec.wait_for(lambda: sum(rec.progress.values()) >= MIB)
    q.set_concurrency(files=3, parts=6)
    q.set_bandwidth_limit(0)
    assert q.wait_idle(60)
    assert [j.state for j in q.jobs()] == [JobState.COMPLETED] * 3
    for r in q.receipts():
        assert r.sha256 == file_sha256(Path(r.path))


def test_bandwidth_limit_slows_uploads_by_the_expected_ratio(stack: Stack, tmp_path: Path) -> None:
    """The limit's effect as a ratio against an unlimited run in the same test: no absolute
    time bound, only that the limited run is several times slower and no faster than allowed."""
    path = tmp_path / "r.mp4"
    write_file(path, 10 * MIB)
    durations = {}
    for limit in (0, 2 * MIB):
        q, _ = stack.queue(db=tmp_path / f"q{limit}.sqlite3", bandwidth_limit=limit)
        start = time.monotonic()
        q.add(path, exam_id="E", kind="other")
        assert q.wait_idle(120)
        durations[limit] = time.monotonic() - start
        assert [j.state for j in q.jobs()] == [JobState.COMPLETED]
        q.shutdown()
    assert durations[2 * MIB] / durations[0] > 2.0
    # 10 MiB at 2 MiB/s (after a 0.25 s burst) cannot take less than ~4.5 s.
    assert 10 * MIB / durations[2 * MIB] <= 2 * MIB * 1.15


@pytest.mark.parametrize(
    "storage", ["moto", pytest.param("seaweedfs", marks=pytest.mark.seaweedfs)]
)
def test_md5_fallback_deployment_signs_content_md5_and_proves_the_etag(
    make_stack: Callable[..., Stack], tmp_path: Path, storage: str
) -> None:
    """A backend run with --integrity md5 (stores without flexible checksums) gets parts signed
    with Content-MD5 and a receipt proven by the multipart ETag; SeaweedFS checks the signature,
    so an unsigned header would show here."""
    stack = make_stack(storage, integrity="md5")
    q, _ = stack.queue()
    path = tmp_path / "r.mp4"
    sha = write_file(path, 11 * MIB)
    q.add(path, exam_id="E", kind="other")
    assert q.wait_idle(60)
    (receipt,) = q.receipts()
    assert stack.object_sha256(receipt.key) == sha
    assert receipt.etag == multipart_etag(path.read_bytes(), 5 * MIB)
    assert stack.object_crc64nvme(receipt.key) is None  # no CRC was asked of storage
