"""The one rule for "already queued or uploaded" and the queue read offline, on a real state DB."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop.engine import fingerprint
from desktop.engine.events import JobState
from desktop.engine.jobs import UploadJob
from desktop.engine.ledger import Duplicate, duplicate_of, read_jobs
from desktop.engine.store import QueueStore


def _job(path: Path, state: JobState, n: int = 1) -> UploadJob:
    job = UploadJob(
        job_id=f"job{n}",
        path=str(path.resolve()),
        size=path.stat().st_size,
        exam_id="E",
        kind="webcam",
        priority=0,
        created_at=0.0,
        fingerprint=fingerprint.compute(path),
    )
    job.state = state
    return job


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "cam.mp4"
    path.write_bytes(b"v" * 4096)
    return path


@pytest.mark.parametrize(
    "state", [JobState.QUEUED, JobState.UPLOADING, JobState.PAUSED, JobState.NEEDS_LOGIN]
)
def test_an_unfinished_job_is_never_queued_twice(video: Path, state: JobState) -> None:
    jobs = [_job(video, state)]
    assert duplicate_of(jobs, video) is Duplicate.QUEUED
    assert duplicate_of(jobs, video, again=True) is Duplicate.QUEUED


def test_an_unchanged_upload_is_not_sent_again_unless_asked(video: Path) -> None:
    jobs = [_job(video, JobState.COMPLETED)]
    assert duplicate_of(jobs, video) is Duplicate.UPLOADED
    assert duplicate_of(jobs, video, again=True) is None


def test_a_changed_failed_or_cancelled_file_may_be_queued_anew(video: Path) -> None:
    for state in (JobState.FAILED, JobState.CANCELLED, JobState.SOURCE_CHANGED):
        assert duplicate_of([_job(video, state)], video) is None
    done = _job(video, JobState.COMPLETED)
    video.write_bytes(b"w" * 5000)
    os.utime(video, ns=(0, 10**9))
    assert duplicate_of([done], video) is None


def test_the_same_file_through_a_link_is_the_same_file(video: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.mp4"
    link.symlink_to(video)
    assert duplicate_of([_job(video, JobState.QUEUED)], link) is Duplicate.QUEUED


def test_status_offline_counts_the_bytes_storage_holds(video: Path, tmp_path: Path) -> None:
    db = tmp_path / "queue.sqlite3"
    store = QueueStore(db)
    try:
        store.save_job(_job(video, JobState.COMPLETED, 1))
        store.save_job(_job(video, JobState.PAUSED, 2))
    finally:
        store.close()
    store = QueueStore(db)
    try:
        by_id = {job.job_id: job for job in read_jobs(store)}
    finally:
        store.close()
    assert by_id["job1"].bytes_done == video.stat().st_size
    assert by_id["job2"].bytes_done == 0
    assert by_id["job2"].state is JobState.PAUSED
