"""Backend answers that never arrive: the request did its work, the engine never heard.

Both were found by the chaos soak (tests/soak): a lost create answer orphaned a multipart upload,
and a lost complete answer followed by a restart turned a stored recording into a FAILED job.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from desktop.engine.events import JobState
from desktop.engine.planner import MIB
from tests.integration.conftest import Stack, write_file
from tests.support.faultproxy import Rule, reset_after
from tests.support.storage import s3_client

pytestmark = pytest.mark.integration

# Forward the whole request, then cut the connection before the answer comes back.
LOSE_ANSWER = reset_after(10**9)


def _open_uploads(stack: Stack) -> list[str]:
    listing = s3_client(stack.endpoint).list_multipart_uploads(Bucket=stack.bucket)
    return [u["Key"] for u in listing.get("Uploads", [])]


def _backend_statuses(stack: Stack) -> list[str]:
    rows = stack.backend.services.db.list_uploads(
        user_id=None, status=None, before_seq=None, limit=100
    )
    return sorted(r.status for r in rows)


def test_a_lost_create_answer_leaves_no_orphaned_upload(stack: Stack, tmp_path: Path) -> None:
    stack.backend_proxy.add_rule(
        Rule(method="POST", path=r"^/api/v1/uploads$", action=LOSE_ANSWER, times=1)
    )
    q, _ = stack.queue()
    path = tmp_path / "rec.mp4"
    write_file(path, 6 * MIB)
    job = q.add(path, exam_id="E", kind="webcam")
    assert q.wait_idle(90)
    (snap,) = [j for j in q.jobs() if j.job_id == job.job_id]
    assert snap.state is JobState.COMPLETED, snap.error_message
    assert stack.backend_proxy.stats().rules_fired  # the answer really was lost once
    assert _backend_statuses(stack) == ["completed"]
    assert _open_uploads(stack) == []


def test_a_lost_complete_answer_then_a_restart_still_completes(
    stack: Stack, tmp_path: Path
) -> None:
    db = tmp_path / "queue.sqlite3"
    rule = stack.backend_proxy.add_rule(Rule(method="POST", path=r"/complete$", action=LOSE_ANSWER))
    q, _ = stack.queue(db=db)
    path = tmp_path / "rec.mp4"
    sha = write_file(path, 11 * MIB)
    job = q.add(path, exam_id="E", kind="webcam")
    # Storage assembled the object and the backend recorded it, but no answer got through.
    deadline = time.monotonic() + 60
    while _backend_statuses(stack) != ["completed"]:
        assert time.monotonic() < deadline, "the completion never reached the backend"
        time.sleep(0.05)
    q.shutdown(pause=True)  # the app quits (or crashes) before hearing back
    stack.backend_proxy.remove_rule(rule)

    again, _ = stack.queue(db=db)
    assert again.wait_idle(90)
    (snap,) = [j for j in again.jobs() if j.job_id == job.job_id]
    assert snap.state is JobState.COMPLETED, (snap.error_title, snap.error_message)
    (receipt,) = again.receipts()
    assert receipt.sha256 == sha
    assert stack.object_sha256(receipt.key) == sha
    assert stack.object_keys() == [receipt.key]
