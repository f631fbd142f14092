"""Whatever happens between the proctor and storage, a queued recording arrives intact or the
proctor is told why: faults injected by real proxies on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.engine.events import JobSnapshot, JobState
from desktop.engine.planner import MIB
from desktop.engine.queue import UploadQueue
from tests.integration.conftest import Recorder, Stack, file_sha256, write_file
from tests.support.faultproxy import (
    Action,
    Rule,
    clock_skewed,
    internal_error,
    no_such_upload,
    reset_after,
    slow_down,
    stall,
    url_expired,
)

pytestmark = pytest.mark.integration


def _upload_one(
    stack: Stack, tmp_path: Path, size: int = 12 * MIB, **config: Any
) -> tuple[UploadQueue, Recorder, JobSnapshot, Path, str]:
    q, rec = stack.queue(**config)
    path = tmp_path / "rec.mp4"
    sha = write_file(path, size)
    job = q.add(path, exam_id="E", kind="webcam")
    return q, rec, job, path, sha


def _completed_intact(stack: Stack, q: UploadQueue, job: JobSnapshot, sha: str) -> None:
    assert q.wait_idle(90)
    (snap,) = [j for j in q.jobs() if j.job_id == job.job_id]
    assert snap.state is JobState.COMPLETED, (snap.error_title, snap.error_message)
    (receipt,) = [r for r in q.receipts() if r.job_id == job.job_id]
    assert receipt.sha256 == sha
    assert stack.object_sha256(receipt.key) == sha


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(reset_after(1 * MIB), id="reset-mid-body"),
        pytest.param(reset_after(0), id="reset-before-body"),
        pytest.param(internal_error(), id="500"),
        pytest.param(slow_down(), id="503-slowdown"),
        pytest.param(url_expired(), id="403-expired"),
        pytest.param(stall(3.0), id="stall"),
    ],
)
def test_storage_faults_are_retried_until_the_object_is_intact(
    stack: Stack, tmp_path: Path, action: Action
) -> None:
    rule = stack.storage_proxy.add_rule(Rule(method="PUT", action=action, times=2))
    q, _, job, _, sha = _upload_one(stack, tmp_path, timeout=1.5)
    _completed_intact(stack, q, job, sha)
    assert stack.storage_proxy.stats().rules_fired[rule] == 2


def test_clock_skew_fails_with_a_clock_message(stack: Stack, tmp_path: Path) -> None:
    stack.storage_proxy.add_rule(Rule(method="PUT", action=clock_skewed()))
    q, _, _, _, _ = _upload_one(stack, tmp_path)
    assert q.wait_idle(60)
    (snap,) = q.jobs()
    assert snap.state is JobState.FAILED
    assert snap.error_title == "Computer clock is wrong"
    assert "clock" in (snap.error_message or "")


def test_no_such_upload_restarts_the_file_cleanly_and_says_so(stack: Stack, tmp_path: Path) -> None:
    stack.storage_proxy.add_rule(
        Rule(method="PUT", query=r"partNumber=2\b", action=no_such_upload(), times=1)
    )
    q, rec, job, _, sha = _upload_one(stack, tmp_path)
    _completed_intact(stack, q, job, sha)
    assert any(c.error_title == "Restarted from the beginning" for c in rec.changes)


@pytest.mark.parametrize(
    ("path", "action"),
    [
        pytest.param(r"/uploads$", reset_after(0), id="create-reset"),
        pytest.param(r"/parts$", internal_error(), id="sign-500"),
        pytest.param(r"/complete$", slow_down(), id="complete-503"),
        # The backend completes, but the answer never arrives: the retried call must get the
        # same receipt (complete is idempotent), never strand a finished upload.
        pytest.param(r"/complete$", reset_after(0), id="complete-answer-lost"),
    ],
)
def test_backend_calls_are_retried(stack: Stack, tmp_path: Path, path: str, action: Action) -> None:
    rule = stack.backend_proxy.add_rule(Rule(method="POST", path=path, action=action, times=2))
    q, _, job, _, sha = _upload_one(stack, tmp_path)
    _completed_intact(stack, q, job, sha)
    assert stack.backend_proxy.stats().rules_fired[rule] == 2


def test_network_cut_then_restored_waits_and_resumes_by_itself(
    stack: Stack, tmp_path: Path
) -> None:
    q, rec, job, _, sha = _upload_one(stack, tmp_path, size=20 * MIB, bandwidth_limit=4 * MIB)
    rec.wait_for(lambda: rec.progress.get(job.job_id, 0) >= 5 * MIB)
    stack.storage_proxy.network_down()
    stack.backend_proxy.network_down()
    rec.wait_for(lambda: rec.saw_state(job.job_id, JobState.WAITING_NETWORK))
    (snap,) = q.jobs()
    assert snap.state is JobState.WAITING_NETWORK
    assert "continue by themselves" in (snap.error_message or "")
    time.sleep(1.5)  # stay offline through several probes
    assert q.jobs()[0].state is JobState.WAITING_NETWORK
    stack.storage_proxy.network_up()
    stack.backend_proxy.network_up()
    _completed_intact(stack, q, job, sha)


@pytest.mark.parametrize(
    "storage", ["moto", pytest.param("seaweedfs", marks=pytest.mark.seaweedfs)]
)
def test_url_ttl_of_two_seconds(
    make_stack: Callable[..., Stack], tmp_path: Path, storage: str
) -> None:
    stack = make_stack(storage, url_ttl_seconds=2)
    q, _, job, _, sha = _upload_one(
        stack, tmp_path, size=20 * MIB, bandwidth_limit=3 * MIB, parts=2
    )
    _completed_intact(stack, q, job, sha)
    signs = [r for r in stack.backend_proxy.stats().log if r.path.endswith("/parts")]
    assert len(signs) >= 2  # URLs were signed lazily, more than once


def test_access_tokens_expire_during_an_upload(
    make_stack: Callable[..., Stack], tmp_path: Path
) -> None:
    # A one-second token: the session renews it after 0.75 s, so an upload of about 2 s outlives
    # at least two tokens without waiting long for them to expire.
    stack = make_stack(access_token_ttl_seconds=1)
    q, _, job, _, sha = _upload_one(stack, tmp_path, size=6 * MIB, bandwidth_limit=3 * MIB)
    _completed_intact(stack, q, job, sha)
    refreshes = [r for r in stack.backend_proxy.stats().log if r.path.endswith("/auth/refresh")]
    assert refreshes


def test_sign_in_lost_waits_for_login_and_loses_nothing(stack: Stack, tmp_path: Path) -> None:
    session = stack.session()
    q, rec = stack.queue(session=session, bandwidth_limit=4 * MIB, parts=1, sign_batch=1)
    path = tmp_path / "rec.mp4"
    sha = write_file(path, 20 * MIB)
    job = q.add(path, exam_id="E", kind="webcam")
    rec.wait_for(lambda: rec.progress.get(job.job_id, 0) >= 5 * MIB)
    session.sign_out()
    rec.wait_for(lambda: rec.login_required >= 1)
    assert q.wait_idle(30)  # nothing active: the job waits for the user
    (snap,) = q.jobs()
    assert snap.state is JobState.NEEDS_LOGIN
    session.sign_in(stack.server_url, stack.username, stack.password, remember=False)
    q.login_restored()
    _completed_intact(stack, q, job, sha)


def test_state_database_unwritable_pauses_and_loses_nothing(stack: Stack, tmp_path: Path) -> None:
    # One part at a time, so exactly one part is stored but not recorded when the database fails.
    q, rec, job, _, sha = _upload_one(
        stack, tmp_path, size=20 * MIB, bandwidth_limit=4 * MIB, parts=1
    )
    rec.wait_for(lambda: rec.progress.get(job.job_id, 0) >= 5 * MIB)
    with q.store._lock:  # the real SQLite refuses writes from now on
        q.store._db.execute("PRAGMA query_only = ON")
    rec.wait_for(lambda: rec.saw_state(job.job_id, JobState.PAUSED))
    (snap,) = q.jobs()
    assert snap.state is JobState.PAUSED
    assert snap.error_title == "Cannot save upload progress"
    with q.store._lock:
        q.store._db.execute("PRAGMA query_only = OFF")
    q.resume_all()
    _completed_intact(stack, q, job, sha)
    # The part stored but never recorded was recognised in storage (same MD5), not sent again.
    assert stack.put_bytes() == 20 * MIB


def test_file_modified_mid_upload_is_never_stored_mixed(stack: Stack, tmp_path: Path) -> None:
    q, rec, job, path, _ = _upload_one(stack, tmp_path, size=20 * MIB, bandwidth_limit=4 * MIB)
    rec.wait_for(lambda: rec.progress.get(job.job_id, 0) >= 5 * MIB)
    with path.open("r+b") as f:
        f.seek(15 * MIB)
        f.write(b"edited by the recorder")
    assert q.wait_idle(60)
    (snap,) = q.jobs()
    assert snap.state is JobState.SOURCE_CHANGED
    assert "changed" in (snap.error_message or "")
    assert stack.object_keys() == []  # nothing was completed
    # Retrying sends the new version whole.
    q.retry(job.job_id)
    assert q.wait_idle(60)
    (receipt,) = q.receipts()
    assert receipt.sha256 == file_sha256(path)
    assert stack.object_sha256(receipt.key) == receipt.sha256


def test_file_deleted_mid_upload_says_so(stack: Stack, tmp_path: Path) -> None:
    q, rec, job, path, _ = _upload_one(stack, tmp_path, size=20 * MIB, bandwidth_limit=4 * MIB)
    rec.wait_for(lambda: rec.progress.get(job.job_id, 0) >= 5 * MIB)
    path.unlink()
    assert q.wait_idle(60)
    (snap,) = q.jobs()
    assert snap.state is JobState.SOURCE_CHANGED
    assert stack.object_keys() == []


def test_resume_sends_only_missing_parts_and_restarts_a_lost_upload(
    stack: Stack, tmp_path: Path
) -> None:
    db = tmp_path / "q.sqlite3"
    q1, rec1 = stack.queue(db=db, bandwidth_limit=4 * MIB, parts=2)
    path = tmp_path / "rec.mp4"
    sha = write_file(path, 20 * MIB)
    job = q1.add(path, exam_id="E", kind="screen")
    rec1.wait_for(lambda: rec1.progress.get(job.job_id, 0) >= 10 * MIB)
    q1.shutdown()
    sent_before = stack.put_bytes()
    q2, _ = stack.queue(db=db)
    _completed_intact(stack, q2, job, sha)
    resent = sent_before + (stack.put_bytes() - sent_before) - 20 * MIB
    assert stack.put_bytes() - sent_before < 20 * MIB  # only what was missing went again
    assert resent <= 2 * 5 * MIB  # at most the parts that were in flight

    # Second file: its upload vanishes on the server while paused -> restarted cleanly.
    q3, rec3 = stack.queue(db=tmp_path / "q3.sqlite3", bandwidth_limit=4 * MIB)
    other = tmp_path / "other.mp4"
    sha2 = write_file(other, 15 * MIB)
    job2 = q3.add(other, exam_id="E", kind="screen")
    rec3.wait_for(lambda: rec3.progress.get(job2.job_id, 0) >= 5 * MIB)
    q3.shutdown()
    upload_id = q3.store.load_jobs()[0].upload_id
    assert upload_id is not None
    stack.session().api().abort(upload_id)
    q4, rec4 = stack.queue(db=tmp_path / "q3.sqlite3")
    _completed_intact(stack, q4, job2, sha2)
    assert any(c.error_title == "Restarted from the beginning" for c in rec4.changes)


def test_mixed_faults_and_network_blips_lose_nothing(stack: Stack, tmp_path: Path) -> None:
    """Seeded random faults on every storage and backend call, plus two network cuts, while
    several files upload at once: every file arrives byte-identical, none fails."""
    import random

    from tests.support.faultproxy import delay

    storage_faults = [reset_after(0, 3 * MIB), internal_error(), slow_down(), url_expired()]
    storage_faults.append(stall(1.0))
    for i, action in enumerate(storage_faults):
        stack.storage_proxy.add_rule(Rule(method="PUT", action=action, probability=0.08, seed=i))
    for i, action in enumerate([reset_after(0), internal_error(), slow_down(), delay(0.3)]):
        stack.backend_proxy.add_rule(
            Rule(path=r"/(uploads|parts|complete)$", action=action, probability=0.08, seed=10 + i)
        )
    q, _ = stack.queue(files=3, parts=6, timeout=0.8)
    rng = random.Random(7)
    shas = {}
    for i in range(6):
        path = tmp_path / f"exam-{i}.mp4"
        shas[str(path)] = write_file(path, rng.randint(0, 16 * MIB))
        q.add(path, exam_id="E", kind="webcam")
    for _ in range(2):
        time.sleep(1.5)
        stack.storage_proxy.network_down()
        stack.backend_proxy.network_down()
        time.sleep(1.0)
        stack.storage_proxy.network_up()
        stack.backend_proxy.network_up()
    assert q.wait_idle(300)
    assert [(j.state, j.error_message) for j in q.jobs()] == [(JobState.COMPLETED, None)] * 6
    receipts = q.receipts()
    assert len(receipts) == 6
    for r in receipts:
        assert r.sha256 == shas[r.path]
        assert stack.object_sha256(r.key) == shas[r.path]
    fired = sum(stack.storage_proxy.stats().rules_fired.values())
    fired += sum(stack.backend_proxy.stats().rules_fired.values())
    assert fired >= 5  # the faults really happened
