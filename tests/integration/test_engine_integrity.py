"""Storage checks every byte against the checksum the engine hashed, on SeaweedFS (which, unlike
moto, refuses a part whose signed CRC64NVME differs from its bytes): a file rewritten mid-upload
with its mtime restored never yields a receipt whose SHA-256 differs from the stored object's, and a
byte damaged on the wire is refused and sent again. A forged completion answer is caught too."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from desktop.engine.events import JobState
from desktop.engine.planner import MIB
from tests.integration.conftest import Stack, file_sha256, write_file
from tests.support.checksums import crc64nvme
from tests.support.faultproxy import Rule
from tests.support.faultrules import flip_byte, respond

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Rewrite:
    """One attack: after `after` bytes went out, overwrite 4 KiB at `offset`, restore the mtime.

    Attributes:
        size: File size (5 MiB parts).
        parts: Parts in flight (the reader runs at most 2 x parts + 2 parts ahead).
        rate: Bandwidth limit, bytes per second.
        after: Bytes sent before the rewrite.
        offset: Where the 4 KiB go (never in the fingerprint's three sampled windows).
        outcome: What must happen.
        signed: Also wait until the backend has signed a URL for this part (with the checksum
            the reader computed): on a loaded machine the reader may otherwise not have got there.
    """

    size: int
    parts: int
    rate: int
    after: int
    offset: int
    outcome: JobState
    signed: int = 0


CHANGED, DONE = JobState.SOURCE_CHANGED, JobState.COMPLETED
REWRITES = {
    # The attack: the part is hashed (its URL signed with the old CRC) but not yet sent,
    # so storage refuses the new bytes and the job ends "source changed", nothing stored.
    "hashed-not-yet-sent": Rewrite(20 * MIB, 2, 4 * MIB, 1 * MIB, 15_000_000, CHANGED, signed=3),
    # Inside the part being streamed, ahead of the bytes already out: refused the same way.
    "in-the-part-being-sent": Rewrite(15 * MIB, 1, 2 * MIB, 1 * MIB, 4_000_000, CHANGED),
    # Beyond the reader (it stays a few parts ahead of the senders): the new bytes are hashed and
    # sent together, and the receipt describes them.
    "beyond-the-reader": Rewrite(35 * MIB, 1, 8 * MIB, 64 * 1024, 32_000_000, DONE),
    # In a part already stored: storage keeps the old bytes, which the receipt describes.
    "already-stored": Rewrite(20 * MIB, 1, 8 * MIB, 5 * MIB + 1, 1_000_000, DONE),
}  # fmt: skip


@pytest.mark.seaweedfs
@pytest.mark.parametrize("case", list(REWRITES.values()), ids=list(REWRITES))
def test_a_rewrite_with_the_mtime_restored_never_yields_a_lying_receipt(
    make_stack: Callable[..., Stack], tmp_path: Path, case: Rewrite
) -> None:
    stack = make_stack("seaweedfs")
    q, rec = stack.queue(parts=case.parts, bandwidth_limit=case.rate)
    path = tmp_path / "exam.webm"
    original = write_file(path, case.size)
    before = os.stat(path)
    job = q.add(path, exam_id="E", kind="webcam")
    rec.wait_for(lambda: rec.progress.get(job.job_id, 0) >= case.after)
    if case.signed:
        _wait_signed(stack, q.store.load_jobs()[0].upload_id, case.signed)
    with path.open("r+b") as f:
        f.seek(case.offset)
        f.write(os.urandom(4096))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns
    modified = file_sha256(path)
    assert q.wait_idle(90)
    (snap,) = q.jobs()
    receipts = q.receipts()
    # The invariant, whatever the timing: a receipt always names the stored object's SHA-256.
    for receipt in receipts:
        assert stack.object_sha256(receipt.key) == receipt.sha256
    assert snap.state is case.outcome, (snap.error_title, snap.error_message)
    if case.outcome is JobState.SOURCE_CHANGED:
        assert receipts == []
        assert stack.object_keys() == []
        assert "changed" in (snap.error_message or "")
        assert not rec.saw_state(job.job_id, JobState.VERIFYING)
    else:
        (receipt,) = receipts
        if case.offset < case.after:
            assert receipt.sha256 == original
        else:
            assert receipt.sha256 == modified
            assert stack.object_crc64nvme(receipt.key) == crc64nvme(path.read_bytes())


def _wait_signed(stack: Stack, upload_id: str | None, number: int) -> None:
    assert upload_id is not None
    deadline = time.monotonic() + 30
    while number not in stack.backend.services.db.signed_checksums(upload_id):
        assert time.monotonic() < deadline, f"part {number} was never signed"
        time.sleep(0.005)


@pytest.mark.seaweedfs
def test_a_byte_flipped_on_the_wire_is_refused_and_sent_again(
    make_stack: Callable[..., Stack], tmp_path: Path
) -> None:
    stack = make_stack("seaweedfs")
    rule = stack.storage_proxy.add_rule(
        Rule(method="PUT", query=r"partNumber=2\b", action=flip_byte(3 * MIB + 7), times=1)
    )
    q, _ = stack.queue(parts=2)
    path = tmp_path / "exam.webm"
    size = 12 * MIB
    sha = write_file(path, size)
    job = q.add(path, exam_id="E", kind="screen")
    assert q.wait_idle(90)
    (snap,) = q.jobs()
    assert snap.state is JobState.COMPLETED, (snap.error_title, snap.error_message)
    (receipt,) = q.receipts()
    assert receipt.job_id == job.job_id
    assert receipt.sha256 == sha == stack.object_sha256(receipt.key)
    assert stack.object_crc64nvme(receipt.key) == crc64nvme(path.read_bytes())
    stats = stack.storage_proxy.stats()
    assert stats.rules_fired[rule] == 1
    # Storage refused the damaged part (400 BadDigest) and kept nothing of it; it went again.
    refused = [r for r in stats.log if r.method == "PUT" and r.status == 400]
    assert len(refused) == 1
    assert stack.put_bytes() == size + 5 * MIB


def test_a_receipt_naming_another_crc_is_never_verified(stack: Stack, tmp_path: Path) -> None:
    """The backend's answer to complete is checked too: a receipt whose full-object CRC is not the
    one the engine combined from its parts fails the job "Verification failed" and gives no
    receipt (here the answer is forged by the proxy in front of the backend)."""
    size = 6 * MIB
    forged = {
        "upload_id": "up_forged",
        "key": "recordings/other/forged.webm",
        "size": size,
        "etag": "0" * 32 + "-2",
        "sha256": None,
        "completed_at": "2026-12-06T00:00:00Z",
        "bucket": stack.bucket,
        "metadata": {"exam_id": "E", "kind": "other"},
        "checksum_algorithm": "CRC64NVME",
        "checksum": crc64nvme(b"not the file"),
    }
    rule = stack.backend_proxy.add_rule(
        Rule(
            method="POST",
            path=r"/complete$",
            action=respond(200, json.dumps(forged).encode(), content_type="application/json"),
        )
    )
    q, rec = stack.queue()
    path = tmp_path / "exam.webm"
    write_file(path, size)
    job = q.add(path, exam_id="E", kind="other")
    assert q.wait_idle(60)
    (snap,) = q.jobs()
    assert snap.state is JobState.FAILED
    assert snap.error_title == "Verification failed"
    assert crc64nvme(path.read_bytes()) in (snap.error_message or "")
    assert q.receipts() == []
    assert rec.receipts == []
    assert not rec.saw_state(job.job_id, JobState.COMPLETED)
    assert stack.backend_proxy.stats().rules_fired[rule] == 1


@pytest.mark.seaweedfs
def test_resume_is_not_fooled_by_a_part_re_sent_with_other_bytes(
    make_stack: Callable[..., Stack], tmp_path: Path
) -> None:
    """After a stop, part 2 is sent again under the same number with other bytes of the same size
    (SeaweedFS then lists it twice, and the backend knows two checksums for it, so none): the
    resumed job must not trust it, and the object must be the file."""
    stack = make_stack("seaweedfs")
    db = tmp_path / "q.sqlite3"
    q1, rec1 = stack.queue(db=db, parts=2, bandwidth_limit=4 * MIB)
    path = tmp_path / "exam.webm"
    sha = write_file(path, 20 * MIB)
    job = q1.add(path, exam_id="E", kind="webcam")
    rec1.wait_for(lambda: rec1.progress.get(job.job_id, 0) >= 12 * MIB)
    q1.shutdown()
    (saved,) = q1.store.load_jobs()
    assert saved.upload_id is not None
    other = os.urandom(5 * MIB)
    api = stack.session().api()
    signed = api.sign_parts(saved.upload_id, [2], checksums={2: crc64nvme(other)}).parts[0]
    put = requests.put(signed.url, data=other, headers=signed.headers, timeout=60)
    assert put.status_code == 200, put.text
    listed = {p.part_number: p for p in api.list_parts(saved.upload_id)}
    assert listed[2].checksum is None  # signed with two checksums: which copy is kept is unknown

    q2, _ = stack.queue(db=db)
    assert q2.wait_idle(90)
    (snap,) = q2.jobs()
    assert snap.state is JobState.COMPLETED, (snap.error_title, snap.error_message)
    (receipt,) = q2.receipts()
    assert receipt.sha256 == sha == stack.object_sha256(receipt.key)
    assert stack.object_crc64nvme(receipt.key) == crc64nvme(path.read_bytes())
