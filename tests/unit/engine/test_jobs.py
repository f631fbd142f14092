"""The job state machine: the transition table, terminal states, retry, snapshots."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.engine.events import RETRYABLE_TERMINAL, TERMINAL, JobState
from desktop.engine.fingerprint import Fingerprint
from desktop.engine.jobs import RUNNING, SUSPENDED, TRANSITIONS, InvalidTransitionError, UploadJob
from desktop.errors import DataChangedError, NetworkError


def make_job(state: JobState = JobState.QUEUED) -> UploadJob:
    return UploadJob(
        job_id="j1",
        path="/rec/a.mp4",
        size=10,
        exam_id="E1",
        kind="webcam",
        priority=0,
        created_at=1.0,
        fingerprint=Fingerprint(size=10, mtime_ns=5, sample="abc"),
        state=state,
    )


def test_every_state_has_a_row_and_terminal_rows_are_empty() -> None:
    assert set(TRANSITIONS) == set(JobState)
    for state in TERMINAL:
        assert TRANSITIONS[state] == frozenset()
    assert RUNNING.isdisjoint(TERMINAL)
    assert SUSPENDED.isdisjoint(TERMINAL)


def test_happy_path() -> None:
    job = make_job()
    for state in (JobState.UPLOADING, JobState.VERIFYING, JobState.COMPLETED):
        job.transition(state)
    assert job.state is JobState.COMPLETED
    assert job.terminal


def test_transition_records_and_clears_the_error() -> None:
    job = make_job(JobState.UPLOADING)
    job.transition(JobState.WAITING_NETWORK, error=NetworkError())
    assert job.error_title == NetworkError.default_title
    assert job.error_message == NetworkError.default_message
    job.transition(JobState.QUEUED)
    assert job.error_title is None
    assert job.error_message is None


def test_invalid_transition_raises_and_changes_nothing() -> None:
    job = make_job(JobState.COMPLETED)
    with pytest.raises(InvalidTransitionError, match="completed -> queued"):
        job.transition(JobState.QUEUED)
    assert job.state is JobState.COMPLETED
    assert job.try_transition(JobState.UPLOADING) is False


def test_try_transition_applies_allowed_moves() -> None:
    job = make_job()
    assert job.try_transition(JobState.PAUSED) is True
    assert job.state is JobState.PAUSED


@pytest.mark.parametrize("state", sorted(RETRYABLE_TERMINAL))
def test_retry_leaves_failed_and_source_changed(state: JobState) -> None:
    job = make_job(state)
    job.set_error(DataChangedError())
    job.retry()
    assert job.state is JobState.QUEUED
    assert job.error_title is None


@pytest.mark.parametrize("state", sorted(set(JobState) - RETRYABLE_TERMINAL))
def test_retry_refuses_other_states(state: JobState) -> None:
    job = make_job(state)
    with pytest.raises(InvalidTransitionError):
        job.retry()
    assert job.state is state


def test_forget_upload_drops_server_side_identity() -> None:
    job = make_job(JobState.UPLOADING)
    job.upload_id, job.key, job.part_size = "up1", "k", 5
    job.forget_upload()
    assert job.upload_id is None
    assert job.key is None
    assert job.part_size is None


def test_snapshot_is_a_frozen_copy() -> None:
    job = make_job()
    snap = job.snapshot(bytes_done=4, speed_bps=2.0, eta=3.0)
    job.transition(JobState.UPLOADING)
    assert snap.state is JobState.QUEUED
    assert (snap.bytes_done, snap.speed_bps, snap.eta_seconds) == (4, 2.0, 3.0)
    assert (snap.job_id, snap.path, snap.size, snap.exam_id, snap.kind) == (
        "j1",
        "/rec/a.mp4",
        10,
        "E1",
        "webcam",
    )
    with pytest.raises(AttributeError):
        snap.state = JobState.FAILED  # type: ignore[misc]


@given(st.lists(st.sampled_from(list(JobState)), max_size=40), st.booleans())
def test_random_walks_obey_the_table(moves: list[JobState], retry_at_end: bool) -> None:
    """Whatever is asked, the job only ever takes allowed steps and never leaves a terminal
    state, except through retry."""
    job = make_job()
    for target in moves:
        before = job.state
        allowed = target in TRANSITIONS[before]
        assert job.try_transition(target) is allowed
        assert job.state is (target if allowed else before)
        if before in TERMINAL:
            assert job.state is before
    if retry_at_end and job.state in RETRYABLE_TERMINAL:
        job.retry()
        assert job.state is JobState.QUEUED
