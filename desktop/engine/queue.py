"""UploadQueue: the engine's public face. Admits files, runs parts, completes, persists, recovers.

Threads and budgets:

* ``parts`` part workers share ONE global budget of parts in flight across all files; at most
  ``files`` jobs are active at once. Both change live.
* Two control threads run backend work (prepare: fingerprint, create or reconcile; complete; abort)
  from a priority queue in which completion comes first, so an exam-end burst of finished files is
  never stuck behind new parts.
* One sequential reader per active file hashes it (SHA-256 for the receipt, each part's checksum
  for storage) a few parts ahead of the senders.
* Part URLs are signed lazily by the worker that needs one, in small batches of parts already
  hashed, each with its checksum, and dropped on every failure so each retry uses a fresh URL
  (a URL signed long ago may have expired).

Every state change goes through one :class:`desktop.engine.lifecycle.JobLife`, which the queue,
the control threads and the workers share, with one error-to-state policy; none of them imports the
queue.

Failure policy (see ``retry.py``): transport errors make the queue probe ``GET /health``; when the
server is unreachable every active job waits in ``waiting_network`` and resumes by itself. An
expired URL is re-signed. 5xx/SlowDown/stalls back off with jitter (cap ~60 s). A sign-in that
cannot be refreshed puts jobs in ``needs_login``; a state database that cannot be written pauses
them. Nothing is lost in any of these: parts count only once committed to the store.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.engine import fingerprint, planner
from desktop.engine.config import MAX_FILES, MAX_PARTS, TransferConfig
from desktop.engine.control import ControlTasks
from desktop.engine.events import (
    RETRYABLE_TERMINAL,
    EngineListener,
    JobSnapshot,
    JobState,
)
from desktop.engine.growth import DEFAULT_SETTLE, FileIdentity
from desktop.engine.jobs import RUNNING, Following, UploadJob
from desktop.engine.ledger import Duplicate, duplicate_of
from desktop.engine.lifecycle import ACTIVE, JobLife, Toolkit
from desktop.engine.network import NetworkWatcher
from desktop.engine.ratelimit import TokenBucket
from desktop.engine.receipt import Receipt
from desktop.engine.retry import Backoff
from desktop.engine.runs import JobRun
from desktop.engine.store import QueueStore
from desktop.engine.transfer import PartSender
from desktop.engine.workers import PartWorkers
from desktop.errors import DataChangedError, UploaderError
from desktop.recordings import KINDS

if TYPE_CHECKING:
    from desktop.api.client import ApiClient
    from desktop.engine.following import FollowRun

logger = logging.getLogger(__name__)


class UploadQueue:
    """Uploads files through presigned multipart URLs, resumably. Thread-safe; Qt-free."""

    def __init__(
        self,
        *,
        api: ApiClient,
        store: QueueStore,
        config: TransferConfig,
        listeners: Sequence[EngineListener] = (),
    ) -> None:
        """Create a stopped queue; call :meth:`start` to load persisted jobs and begin."""
        self.api = api
        self.store = store
        self.config = config
        self._loaded = False
        self.bucket = TokenBucket(config.bandwidth_limit)
        self.sender = PartSender(
            bucket=self.bucket, timeout=config.timeout, ca_bundle=config.ca_bundle or None
        )
        self._life = JobLife(
            store=store,
            files=config.files,
            admit=self._admit,
            discard=self.discard_upload,
            probe=lambda: self.watcher.check(),
            watch=lambda: self.watcher.start(),
            listeners=listeners,
        )
        self.watcher = NetworkWatcher(
            api.health, self._life.back_online, backoff=Backoff(base=0.5, cap=config.probe_cap)
        )
        self._kit = Toolkit(api=api, store=store, config=config, sender=self.sender)
        self.control = ControlTasks(self._life, self._kit)
        self.workers = PartWorkers(
            self._life, self._kit, config.parts, complete=self.control.submit_complete
        )
        self._follow_runs: list[FollowRun] = []

    # -- listeners ------------------------------------------------------------------------------

    def add_listener(self, listener: EngineListener) -> None:
        """Add a listener; it receives events from now on."""
        self._life.add_listener(listener)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Load persisted jobs and resume every unfinished one that was not paused by the user.

        Raises:
            StateStoreError: The state database cannot be read.
        """
        with self._life.lock:
            if self._life.started:
                return
            self._life.started = True
        self.load()
        self.workers.start()
        self.control.start()
        self._life.schedule()

    def load(self) -> None:
        """Load persisted jobs without starting any transfer (``start`` calls it; a command that
        only inspects or cancels jobs calls it alone).

        Raises:
            StateStoreError: The state database cannot be read.
        """
        added = []
        with self._life.lock:
            if self._loaded:
                return
            self._loaded = True
            for job in self.store.load_jobs():
                if job.state in (RUNNING | {JobState.WAITING_NETWORK, JobState.NEEDS_LOGIN}):
                    # Interrupted (crash, quit, outage): it goes back in line and reconciles.
                    job.state = JobState.QUEUED
                if job.job_id not in self._life.jobs:
                    self._life.jobs[job.job_id] = job
                    added.append(job)
            for job in added:
                if not job.terminal:
                    parts = self.store.parts(job.job_id)
                    self._life.committed[job.job_id] = sum(p.size for p in parts.values())
        for job in added:
            self._life.emit("on_job_added", job=self._life.snapshot(job))

    def shutdown(self, *, pause: bool = True, timeout: float | None = 30) -> None:
        """Stop every transfer, persist the queue, and join the engine's threads.

        Args:
            pause: Show active jobs as paused. Either way they are saved as queued, so the next
                :meth:`start` resumes them (a proctor expects a restart to continue the upload).
            timeout: Seconds to wait for the threads.
        """
        with self._life.lock:
            if self._life.closed:
                return
            runs = self._life.close()
            for run in runs:
                job = run.job
                if pause and job.try_transition(JobState.PAUSED):
                    with contextlib.suppress(UploaderError):
                        self.store.save_job(job, state=JobState.QUEUED)
        for run in runs:
            self._life.changed(run.job)
        self.watcher.stop(timeout=timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        self.workers.stop(deadline)
        self.control.stop(deadline)
        with self._life.lock:
            follows = list(self._follow_runs)
        for follow in follows:
            follow.thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        for run in runs:
            if run.reader is not None:
                run.reader.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    @property
    def closed(self) -> bool:
        """True after :meth:`shutdown`."""
        return self._life.closed

    # -- adding and controlling jobs ------------------------------------------------------------

    def add(
        self,
        path: Path,
        *,
        exam_id: str,
        kind: str,
        priority: int = 0,
        follow: bool = False,
        settle: float = DEFAULT_SETTLE,
    ) -> JobSnapshot:
        """Queue a file. Reads the file's fingerprint and writes the database: call it off the GUI
        thread.

        Args:
            path: The file.
            exam_id: The exam it belongs to.
            kind: ``webcam``, ``screen`` or ``other``.
            priority: Higher first.
            follow: The file is a recording still being written: send it as it grows, and finish
                when its writer closes it or it has not changed for `settle` seconds.
            settle: See `follow`.

        Raises:
            ValueError: `kind` is not webcam, screen or other, or `exam_id` is empty.
            DataChangedError: The file is missing, not a regular file, or unreadable.
            StateStoreError: The job could not be saved.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if not exam_id.strip():
            raise ValueError("exam_id must not be empty")
        if follow and settle <= 0:
            raise ValueError("settle must be positive")
        absolute = str(Path(path).expanduser().resolve())
        fp = fingerprint.compute(absolute)
        following = None
        if follow:
            try:
                following = Following(settle, FileIdentity.of(os.stat(absolute)))
            except OSError as exc:
                raise DataChangedError(
                    f"The file {absolute} cannot be read ({exc.strerror})."
                ) from None
        if fp.size > planner.MAX_PART_SIZE * planner.MAX_PARTS:
            raise ValueError("the file is larger than S3 allows for one object (about 48 TiB)")
        import uuid  # only adding needs it (it loads `platform`): not at start-up

        job = UploadJob(
            job_id=uuid.uuid4().hex,
            path=absolute,
            size=fp.size,
            exam_id=exam_id.strip(),
            kind=kind,
            priority=priority,
            created_at=time.time(),
            fingerprint=fp,
            follow=following,
        )
        self.store.save_job(job)
        with self._life.lock:
            self._life.jobs[job.job_id] = job
        logger.info(
            "job %s added: %d bytes%s, kind %s",
            job.job_id,
            job.size,
            " so far (following)" if follow else "",
            kind,
        )
        snap = self._life.snapshot(job)
        self._life.emit("on_job_added", job=snap)
        self._life.schedule()
        return snap

    def _job(self, job_id: str) -> UploadJob:
        with self._life.lock:
            job = self._life.jobs.get(job_id)
        if job is None:
            raise KeyError(f"no job {job_id}")
        return job

    def pause(self, job_id: str) -> None:
        """Pause a job; parts in flight stop and are sent again on resume."""
        job = self._job(job_id)
        self._life.suspend(job, JobState.PAUSED, None)

    def resume(self, job_id: str) -> None:
        """Resume a paused (or sign-in/network-waiting) job."""
        job = self._job(job_id)
        if job.state is JobState.PAUSED and job.try_transition(JobState.QUEUED):
            self._life.persist(job)
            self._life.changed(job)
        self._life.schedule()

    def pause_all(self) -> None:
        """Pause every job that is not finished."""
        for job in self._life.all_jobs():
            if not job.terminal and job.state is not JobState.PAUSED:
                self._life.suspend(job, JobState.PAUSED, None)

    def resume_all(self) -> None:
        """Resume every paused job."""
        for job in self._life.all_jobs():
            if job.state is JobState.PAUSED:
                self.resume(job.job_id)

    def cancel(self, job_id: str) -> None:
        """Cancel a job and abort its multipart upload on the server (best effort, retried).

        A failed job keeps its upload for a retry to continue; cancelling it discards that upload
        and its stored parts, and the job stays failed.
        """
        job = self._job(job_id)
        if job.state in RETRYABLE_TERMINAL:
            self.discard_upload(job)
            return
        with self._life.lock:
            if job.terminal or not job.try_transition(JobState.CANCELLED):
                return
            self._life.end_run(job)
        self._life.persist(job)
        self._life.changed(job)
        if job.upload_id is not None:
            self._abort(job, job.upload_id)
        with contextlib.suppress(UploaderError):
            self.store.replace_parts(job.job_id, [])
        self._life.schedule()

    def _abort(self, job: UploadJob, upload_id: str) -> None:
        # A started queue aborts on a control thread; a queue that was only loaded (the CLI's
        # `cancel`) has none running, so it aborts right here.
        if self._life.started:
            self.control.submit_abort(job, upload_id)
        else:
            self.control.abort_now(job, upload_id)

    def retry(self, job_id: str) -> None:
        """Try a failed or changed job again. A changed file is re-read and sent whole, anew."""
        job = self._job(job_id)
        was_changed = job.state is JobState.SOURCE_CHANGED
        with job.lock:
            job.retry()
            if was_changed:
                try:
                    fp = fingerprint.compute(job.path)
                except UploaderError as exc:
                    job.state = JobState.SOURCE_CHANGED
                    job.set_error(exc)
                    self._life.persist(job)
                    self._life.changed(job)
                    return
                old_upload = job.upload_id
                job.fingerprint = fp
                job.size = fp.size
                if job.follow is not None:
                    # Follow whatever recording is at the path now, from its start.
                    with contextlib.suppress(OSError):
                        identity = FileIdentity.of(os.stat(job.path))
                        job.follow = Following(job.follow.settle, identity)
                job.forget_upload()
                if old_upload is not None:
                    self._abort(job, old_upload)
        if was_changed:
            self.store.replace_parts(job.job_id, [])
        self._life.persist(job)
        self._life.changed(job)
        self._life.schedule()

    def discard_upload(self, job: UploadJob) -> None:
        """Abort an ended job's upload on the server and forget it and its parts (if it has one).

        The parts stay billed in the bucket, and the backend lists the upload as in progress,
        until someone aborts it: nothing else would for a job that is not retried.
        """
        with job.lock:
            if job.state not in RETRYABLE_TERMINAL or job.upload_id is None:
                return
            upload_id = job.upload_id
            job.forget_upload()
        with contextlib.suppress(UploaderError):
            self.store.replace_parts(job.job_id, [])
        self._life.persist(job)
        self._abort(job, upload_id)

    def remove(self, job_id: str) -> None:
        """Remove a job from the queue (cancelling it first if unfinished); receipts stay."""
        job = self._job(job_id)
        if not job.terminal or job.state in RETRYABLE_TERMINAL:
            self.cancel(job_id)
        with self._life.lock:
            self._life.jobs.pop(job_id, None)
        self.store.delete_job(job_id)
        self._life.emit("on_job_removed", job_id=job_id)

    def set_concurrency(self, *, files: int, parts: int) -> None:
        """Change how many files and parts are in flight, now."""
        if not 1 <= files <= MAX_FILES or not 1 <= parts <= MAX_PARTS:
            raise ValueError(f"files must be 1..{MAX_FILES} and parts 1..{MAX_PARTS}")
        with self._life.lock:
            self._life.files = files
        self.workers.resize(parts)
        self._life.schedule()

    def set_bandwidth_limit(self, bytes_per_second: int) -> None:
        """Limit all transfers together to this many bytes per second; 0 = unlimited."""
        self.bucket.set_rate(bytes_per_second)

    def login_restored(self) -> None:
        """After a new sign-in: jobs waiting for it continue."""
        self._life.login_restored()

    def jobs(self) -> list[JobSnapshot]:
        """Snapshots of every job, in queue order."""
        return [self._life.snapshot(j) for j in self._life.all_jobs()]

    def receipts(self) -> list[Receipt]:
        """Every receipt stored on this computer, oldest first."""
        return self.store.receipts()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued, uploading, verifying or waiting for the network.

        Returns:
            True when idle; False when `timeout` passed first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._life.wake:
            life = self._life
            while any(j.state in ACTIVE for j in life.jobs.values()) and not life.closed:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._life.wake.wait(0.5 if left is None else min(left, 0.5))
            return True

    # -- internals -------------------------------------------------------------------------------

    def duplicate_of(self, path: Path, *, again: bool = False) -> Duplicate | None:
        """Whether `path` is already queued, or uploaded and unchanged (see `ledger.duplicate_of`).

        Reads the file's fingerprint when it was uploaded before: call it off the GUI thread.
        """
        return duplicate_of(self._life.all_jobs(), path, again=again)

    def _admit(self, run: JobRun) -> None:
        """Start a run just admitted: follow a recording on its own thread, or prepare it."""
        if run.job.follow is None:
            self.control.submit_prepare(run)
            return
        # Loaded with the first recording followed: an upload of finished files never needs it.
        from desktop.engine.following import FollowRun

        follow = FollowRun(self._life, self._kit, self.control, run)
        with self._life.lock:
            self._follow_runs = [f for f in self._follow_runs if f.thread.is_alive()]
            self._follow_runs.append(follow)
        follow.start()
