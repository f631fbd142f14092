"""What the queue already holds: the one rule for "already queued or uploaded", and the queue's
state read offline.

The app and the CLI ask the engine the same question before adding a file
(`UploadQueue.duplicate_of` uses :func:`duplicate_of`), so dropping a file on the window and naming
it to ``upload`` give the same answer. :func:`read_jobs` reads the queue without starting anything:
``status`` and ``cancel`` need no engine threads to find a job.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path

from desktop.engine import fingerprint
from desktop.engine.events import JobSnapshot, JobState
from desktop.engine.jobs import UploadJob
from desktop.engine.store import QueueStore
from desktop.errors import UploaderError


class Duplicate(enum.StrEnum):
    """Why a file is not queued again."""

    #: A job for it is unfinished: it continues (or waits to) with the rest of the queue.
    QUEUED = "queued"
    #: It was uploaded, and has not changed since (same size, time and sampled content).
    UPLOADED = "uploaded"


def duplicate_of(jobs: Iterable[UploadJob], path: Path, *, again: bool = False) -> Duplicate | None:
    """Whether `path` should not be queued again, given the queue's `jobs`.

    A file with an unfinished job is never queued twice. A file uploaded and unchanged since is
    not uploaded again unless `again`. A failed, cancelled or changed file may be queued anew.
    Reads the file's fingerprint when it was uploaded before: call it off the GUI thread.
    """
    resolved = str(Path(path).expanduser().resolve())
    same = [job for job in jobs if job.path == resolved]
    if any(not job.terminal for job in same):
        return Duplicate.QUEUED
    done = [job for job in same if job.state is JobState.COMPLETED]
    if done and not again:
        try:
            now = fingerprint.compute(resolved)
        except UploaderError:
            return None  # unreadable now: adding it reports why
        if any(job.fingerprint == now for job in done):
            return Duplicate.UPLOADED
    return None


def read_jobs(store: QueueStore) -> list[JobSnapshot]:
    """Every job in the state database, with the bytes storage holds for it as its progress."""
    snapshots = []
    for job in store.load_jobs():
        if job.state is JobState.COMPLETED:
            stored = job.size
        else:
            stored = sum(part.size for part in store.parts(job.job_id).values())
        snapshots.append(job.snapshot(bytes_done=stored))
    return snapshots
