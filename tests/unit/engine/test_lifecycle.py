"""JobLife's one error-to-state policy: every step of a run (prepare, a part, completion) turns an
error into the same state, through the same method, with a real queue database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.engine.events import JobState
from desktop.engine.fingerprint import Fingerprint
from desktop.engine.jobs import UploadJob
from desktop.engine.lifecycle import RESTARTED, JobLife
from desktop.engine.runs import JobRun
from desktop.engine.store import PartRecord, QueueStore
from desktop.errors import (
    AuthError,
    DataChangedError,
    StateStoreError,
    UploaderError,
    UploadNotFoundError,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[QueueStore]:
    s = QueueStore(tmp_path / "queue.sqlite3")
    yield s
    s.close()


def _life(store: QueueStore) -> tuple[JobLife, list[JobRun], list[UploadJob]]:
    admitted: list[JobRun] = []
    discarded: list[UploadJob] = []
    life = JobLife(
        store=store,
        files=2,
        admit=admitted.append,
        discard=discarded.append,
        probe=lambda: True,
        watch=lambda: None,
    )
    life.started = True
    return life, admitted, discarded


def _running(life: JobLife, store: QueueStore, admitted: list[JobRun], name: str) -> JobRun:
    job = UploadJob(
        job_id=name,
        path=f"/r/{name}.webm",
        size=10,
        exam_id="E",
        kind="webcam",
        priority=0,
        created_at=float(len(life.jobs)),
        fingerprint=Fingerprint(size=10, mtime_ns=1, sample="s"),
        upload_id=f"up_{name}",
    )
    store.save_job(job)
    life.jobs[job.job_id] = job
    life.schedule()
    (run,) = [r for r in admitted if r.job is job]
    assert job.state is JobState.UPLOADING
    assert life.current_run(run)
    return run


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (AuthError("signed out"), JobState.NEEDS_LOGIN),
        (StateStoreError("disk full"), JobState.PAUSED),
        (DataChangedError("edited"), JobState.SOURCE_CHANGED),
        (UploadNotFoundError(status=404, code="NoSuchUpload"), JobState.QUEUED),
        (UploaderError("storage refused", retryable=False), JobState.FAILED),
    ],
)
def test_each_error_becomes_one_state_and_ends_the_run(
    store: QueueStore, error: UploaderError, state: JobState
) -> None:
    life, admitted, discarded = _life(store)
    run = _running(life, store, admitted, "a")
    life.fail(run, error)
    job = run.job
    assert run.cancel.is_set()
    assert not life.current_run(run)
    # A changed file's upload is discarded at once.
    assert discarded == ([job] if state is JobState.SOURCE_CHANGED else [])
    (saved,) = store.load_jobs()
    if isinstance(error, UploadNotFoundError):
        # Forgotten, saved as queued, and admitted again at once as a new run, saying so.
        assert job.upload_id is None
        assert saved.error_title == RESTARTED.title
        assert saved.state is JobState.QUEUED
        assert saved.upload_id is None
        assert len(admitted) == 2
        assert job.state is JobState.UPLOADING
        return
    assert job.state is state
    if isinstance(error, StateStoreError):
        assert saved.state is JobState.QUEUED  # the database failed: what is on disk stays
    else:
        assert saved.state is state


def test_an_error_of_a_run_that_already_ended_changes_nothing(store: QueueStore) -> None:
    life, admitted, _ = _life(store)
    run = _running(life, store, admitted, "a")
    life.suspend(run.job, JobState.PAUSED, None)
    life.fail(run, UploaderError("late", retryable=False))
    assert run.job.state is JobState.PAUSED


def test_a_failed_state_database_pauses_every_unfinished_job_and_keeps_parts(
    store: QueueStore,
) -> None:
    life, admitted, _ = _life(store)
    first = _running(life, store, admitted, "a")
    second = _running(life, store, admitted, "b")
    store.record_part("a", PartRecord(1, 5, "etag", "00" * 8))
    life.fail(first, StateStoreError("disk full"))
    assert first.job.state is JobState.PAUSED
    assert second.job.state is JobState.PAUSED
    assert not life.current_run(second)
    assert store.parts("a") == {1: PartRecord(1, 5, "etag", "00" * 8)}
