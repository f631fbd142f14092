"""No multipart upload is left open by a job that ended without completing.

Open uploads keep their parts billed in the bucket and show as "in progress" on the backend. A
changed file's upload is aborted at once (no retry can use it); a failed job's is kept for a retry
to continue, and aborted when the job is removed or cancelled. Checked on both sides: the
backend's upload list, and the bucket's own list of multipart uploads.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from desktop.engine.events import JobState
from desktop.engine.planner import MIB
from tests.integration.conftest import Stack, write_file
from tests.support.faultrules import Rule, clock_skewed
from tests.support.storage import s3_client

pytestmark = pytest.mark.integration


def _open_in_bucket(stack: Stack) -> list[str]:
    listing = s3_client(stack.endpoint).list_multipart_uploads(Bucket=stack.bucket)
    return [u["Key"] for u in listing.get("Uploads", [])]


def _backend_status(stack: Stack, filename: str) -> str:
    api = stack.session().api()
    return {u.filename: u.status for u in api.list_uploads().items}[filename]


def _wait_aborted(stack: Stack, filename: str) -> None:
    deadline = time.monotonic() + 30  # the abort runs on a control thread
    while _backend_status(stack, filename) != "aborted":
        assert time.monotonic() < deadline, _backend_status(stack, filename)
        time.sleep(0.1)


def test_a_changed_file_leaves_no_upload_open(stack: Stack, tmp_path: Path) -> None:
    q, rec = stack.queue(bandwidth_limit=4 * MIB)
    path = tmp_path / "webcam.mp4"
    write_file(path, 20 * MIB)
    job = q.add(path, exam_id="E", kind="webcam")
    rec.wait_for(lambda: rec.progress.get(job.job_id, 0) >= 5 * MIB)
    assert _open_in_bucket(stack)  # parts are stored in an open upload
    with path.open("r+b") as f:
        f.seek(15 * MIB)
        f.write(b"edited by the recorder")
    assert q.wait_idle(60)
    (snap,) = q.jobs()
    assert snap.state is JobState.SOURCE_CHANGED
    _wait_aborted(stack, "webcam.mp4")
    assert _open_in_bucket(stack) == []
    assert q.store.parts(job.job_id) == {}
    # A retry still sends the new version, in a new upload.
    q.retry(job.job_id)
    assert q.wait_idle(60)
    assert [j.state for j in q.jobs()] == [JobState.COMPLETED]


def test_a_failed_job_keeps_its_upload_for_a_retry_and_removing_it_aborts(
    stack: Stack, tmp_path: Path
) -> None:
    rule = stack.storage_proxy.add_rule(Rule(method="PUT", action=clock_skewed()))
    q, _ = stack.queue()
    failed = tmp_path / "screen.mkv"
    write_file(failed, 6 * MIB)
    job = q.add(failed, exam_id="E", kind="screen")
    assert q.wait_idle(60)
    assert [j.state for j in q.jobs()] == [JobState.FAILED]
    assert _backend_status(stack, "screen.mkv") != "aborted"  # a retry continues it

    q.remove(job.job_id)
    _wait_aborted(stack, "screen.mkv")
    assert _open_in_bucket(stack) == []
    stack.storage_proxy.remove_rule(rule)


def test_cancel_of_a_failed_job_discards_its_upload(stack: Stack, tmp_path: Path) -> None:
    rule = stack.storage_proxy.add_rule(Rule(method="PUT", action=clock_skewed()))
    q, _ = stack.queue()
    path = tmp_path / "room.mp4"
    write_file(path, 6 * MIB)
    job = q.add(path, exam_id="E", kind="other")
    assert q.wait_idle(60)
    q.cancel(job.job_id)
    _wait_aborted(stack, "room.mp4")
    (snap,) = q.jobs()
    assert snap.state is JobState.FAILED  # what happened to it stays visible
    stack.storage_proxy.remove_rule(rule)
    # Retrying after that starts a new upload, and completes.
    q.retry(job.job_id)
    assert q.wait_idle(60)
    assert [j.state for j in q.jobs()] == [JobState.COMPLETED]


@pytest.mark.slow
def test_cli_cancel_of_a_failed_job_discards_what_it_stored(stack: Stack, tmp_path: Path) -> None:
    from tests.integration.test_cli_end_to_end import cli, login

    login(stack)
    rule = stack.storage_proxy.add_rule(Rule(method="PUT", action=clock_skewed()))
    path = tmp_path / "screen.mkv"
    write_file(path, 6 * MIB)
    password = stack.password + "\n"
    r = cli("upload", str(path), "--exam", "E", "--password-stdin", stdin=password)
    assert r.returncode == 1, r.stdout + r.stderr
    job_id = next(line.split()[0] for line in cli("status").stdout.splitlines() if "failed" in line)
    stack.storage_proxy.remove_rule(rule)
    r = cli("cancel", job_id, "--password-stdin", stdin=password)
    assert r.returncode == 0, r.stderr
    assert "Discarded the stored parts" in r.stdout
    assert _backend_status(stack, "screen.mkv") == "aborted"  # the CLI aborts before it returns
    assert _open_in_bucket(stack) == []
    r = cli("cancel", job_id)  # nothing left now, and no password asked for
    assert r.returncode == 0
    assert "nothing to cancel" in r.stdout
