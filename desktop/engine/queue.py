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
import threading
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
    ProgressMeter,
    Receipt,
)
from desktop.engine.following import FollowRun
from desktop.engine.growth import DEFAULT_SETTLE, FileIdentity
from desktop.engine.jobs import RUNNING, Following, UploadJob
from desktop.engine.ledger import Duplicate, duplicate_of
from desktop.engine.network import NetworkWatcher
from desktop.engine.ratelimit import TokenBucket
from desktop.engine.reader import SequentialReader
from desktop.engine.retry import Backoff
from desktop.engine.runs import JobRun
from desktop.engine.store import QueueStore
from desktop.engine.transfer import PartSender
from desktop.engine.workers import PartWorkers
from desktop.errors import DataChangedError, NetworkError, UploaderError
from desktop.recordings import KINDS

if TYPE_CHECKING:
    from desktop.api.client import ApiClient

logger = logging.getLogger(__name__)

#: States in which a job still needs the engine (wait_idle waits for them).
ACTIVE = frozenset(
    {JobState.QUEUED, JobState.UPLOADING, JobState.VERIFYING, JobState.WAITING_NETWORK}
)


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
        self._listeners: list[EngineListener] = list(listeners)
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._jobs: dict[str, UploadJob] = {}
        self._runs: dict[str, JobRun] = {}
        # Bytes committed by jobs that are not running (paused, waiting, failed), for snapshots.
        self._committed: dict[str, int] = {}
        self._files = config.files
        self._offline = False
        self._login_needed = False
        self._started = False
        self._loaded = False
        self._closed = False
        self.bucket = TokenBucket(config.bandwidth_limit)
        self.sender = PartSender(
            bucket=self.bucket, timeout=config.timeout, ca_bundle=config.ca_bundle or None
        )
        self.watcher = NetworkWatcher(
            self.api.health, self._back_online, backoff=Backoff(base=0.5, cap=config.probe_cap)
        )
        self.workers = PartWorkers(self, config.parts)
        self.control = ControlTasks(self)
        self._follow_runs: list[FollowRun] = []

    # -- listeners ------------------------------------------------------------------------------

    def add_listener(self, listener: EngineListener) -> None:
        """Add a listener; it receives events from now on."""
        with self._lock:
            self._listeners.append(listener)

    def emit(self, method: str, **kwargs: object) -> None:
        """Call `method` on every listener; a listener's exception is logged, never raised."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                getattr(listener, method)(**kwargs)
            except Exception:  # a broken listener must not break an upload
                logger.exception("listener %s.%s failed", type(listener).__name__, method)

    def snapshot(self, job: UploadJob) -> JobSnapshot:
        """The job's current snapshot, with live progress when it is active."""
        run = self._runs.get(job.job_id)
        if run is not None:
            meter = run.meter
            return job.snapshot(bytes_done=meter.bytes_done, speed_bps=meter.speed, eta=meter.eta)
        done = job.size if job.state is JobState.COMPLETED else self._committed.get(job.job_id, 0)
        return job.snapshot(bytes_done=done)

    def changed(self, job: UploadJob) -> None:
        """Tell listeners a job's state or error changed."""
        self.emit("on_job_changed", job=self.snapshot(job))

    def progress(self, run: JobRun) -> None:
        """Tell listeners how far a run is."""
        m = run.meter
        self.emit(
            "on_progress",
            job_id=run.job.job_id,
            bytes_done=m.bytes_done,
            total=m.total,
            speed_bps=m.speed,
            eta_seconds=m.eta,
        )

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Load persisted jobs and resume every unfinished one that was not paused by the user.

        Raises:
            StateStoreError: The state database cannot be read.
        """
        with self._lock:
            if self._started:
                return
            self._started = True
        self.load()
        self.workers.start()
        self.control.start()
        self.schedule()

    def load(self) -> None:
        """Load persisted jobs without starting any transfer (``start`` calls it; a command that
        only inspects or cancels jobs calls it alone).

        Raises:
            StateStoreError: The state database cannot be read.
        """
        added = []
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            for job in self.store.load_jobs():
                if job.state in (RUNNING | {JobState.WAITING_NETWORK, JobState.NEEDS_LOGIN}):
                    # Interrupted (crash, quit, outage): it goes back in line and reconciles.
                    job.state = JobState.QUEUED
                if job.job_id not in self._jobs:
                    self._jobs[job.job_id] = job
                    added.append(job)
            for job in added:
                if not job.terminal:
                    parts = self.store.parts(job.job_id)
                    self._committed[job.job_id] = sum(p.size for p in parts.values())
        for job in added:
            self.emit("on_job_added", job=self.snapshot(job))

    def shutdown(self, *, pause: bool = True, timeout: float | None = 30) -> None:
        """Stop every transfer, persist the queue, and join the engine's threads.

        Args:
            pause: Show active jobs as paused. Either way they are saved as queued, so the next
                :meth:`start` resumes them (a proctor expects a restart to continue the upload).
            timeout: Seconds to wait for the threads.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            runs = list(self._runs.values())
            self._runs.clear()
            for run in runs:
                run.end()
            for run in runs:
                job = run.job
                if pause and job.try_transition(JobState.PAUSED):
                    with contextlib.suppress(UploaderError):
                        self.store.save_job(job, state=JobState.QUEUED)
            self._wake.notify_all()
        for run in runs:
            self.changed(run.job)
        self.watcher.stop(timeout=timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        self.workers.stop(deadline)
        self.control.stop(deadline)
        with self._lock:
            follows = list(self._follow_runs)
        for follow in follows:
            follow.thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        for run in runs:
            if run.reader is not None:
                run.reader.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    @property
    def closed(self) -> bool:
        """True after :meth:`shutdown`."""
        return self._closed

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
        with self._lock:
            self._jobs[job.job_id] = job
        logger.info(
            "job %s added: %d bytes%s, kind %s",
            job.job_id,
            job.size,
            " so far (following)" if follow else "",
            kind,
        )
        snap = self.snapshot(job)
        self.emit("on_job_added", job=snap)
        self.schedule()
        return snap

    def _job(self, job_id: str) -> UploadJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(f"no job {job_id}")
        return job

    def pause(self, job_id: str) -> None:
        """Pause a job; parts in flight stop and are sent again on resume."""
        job = self._job(job_id)
        self.suspend(job, JobState.PAUSED, None)

    def resume(self, job_id: str) -> None:
        """Resume a paused (or sign-in/network-waiting) job."""
        job = self._job(job_id)
        if job.state is JobState.PAUSED and job.try_transition(JobState.QUEUED):
            self.persist(job)
            self.changed(job)
        self.schedule()

    def pause_all(self) -> None:
        """Pause every job that is not finished."""
        for job in self._all_jobs():
            if not job.terminal and job.state is not JobState.PAUSED:
                self.suspend(job, JobState.PAUSED, None)

    def resume_all(self) -> None:
        """Resume every paused job."""
        for job in self._all_jobs():
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
        with self._lock:
            if job.terminal or not job.try_transition(JobState.CANCELLED):
                return
            self._end_run(job)
        self.persist(job)
        self.changed(job)
        if job.upload_id is not None:
            self._abort(job, job.upload_id)
        with contextlib.suppress(UploaderError):
            self.store.replace_parts(job.job_id, [])
        self.schedule()

    def _abort(self, job: UploadJob, upload_id: str) -> None:
        # A started queue aborts on a control thread; a queue that was only loaded (the CLI's
        # `cancel`) has none running, so it aborts right here.
        if self._started:
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
                    self.persist(job)
                    self.changed(job)
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
        self.persist(job)
        self.changed(job)
        self.schedule()

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
        self.persist(job)
        self._abort(job, upload_id)

    def remove(self, job_id: str) -> None:
        """Remove a job from the queue (cancelling it first if unfinished); receipts stay."""
        job = self._job(job_id)
        if not job.terminal or job.state in RETRYABLE_TERMINAL:
            self.cancel(job_id)
        with self._lock:
            self._jobs.pop(job_id, None)
        self.store.delete_job(job_id)
        self.emit("on_job_removed", job_id=job_id)

    def set_concurrency(self, *, files: int, parts: int) -> None:
        """Change how many files and parts are in flight, now."""
        if not 1 <= files <= MAX_FILES or not 1 <= parts <= MAX_PARTS:
            raise ValueError(f"files must be 1..{MAX_FILES} and parts 1..{MAX_PARTS}")
        with self._lock:
            self._files = files
        self.workers.resize(parts)
        self.schedule()

    def set_bandwidth_limit(self, bytes_per_second: int) -> None:
        """Limit all transfers together to this many bytes per second; 0 = unlimited."""
        self.bucket.set_rate(bytes_per_second)

    def login_restored(self) -> None:
        """After a new sign-in: jobs waiting for it continue."""
        with self._lock:
            self._login_needed = False
            waiting = [j for j in self._jobs.values() if j.state is JobState.NEEDS_LOGIN]
            for job in waiting:
                job.try_transition(JobState.QUEUED)
        for job in waiting:
            self.persist(job)
            self.changed(job)
        self.schedule()

    def jobs(self) -> list[JobSnapshot]:
        """Snapshots of every job, in queue order."""
        return [self.snapshot(j) for j in self._all_jobs()]

    def receipts(self) -> list[Receipt]:
        """Every receipt stored on this computer, oldest first."""
        return self.store.receipts()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued, uploading, verifying or waiting for the network.

        Returns:
            True when idle; False when `timeout` passed first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._wake:
            while any(j.state in ACTIVE for j in self._jobs.values()) and not self._closed:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._wake.wait(0.5 if left is None else min(left, 0.5))
            return True

    # -- internals used by the runner -----------------------------------------------------------

    def duplicate_of(self, path: Path, *, again: bool = False) -> Duplicate | None:
        """Whether `path` is already queued, or uploaded and unchanged (see `ledger.duplicate_of`).

        Reads the file's fingerprint when it was uploaded before: call it off the GUI thread.
        """
        return duplicate_of(self._all_jobs(), path, again=again)

    def _all_jobs(self) -> list[UploadJob]:
        with self._lock:
            jobs = list(self._jobs.values())
        return sorted(jobs, key=lambda j: (-j.priority, j.created_at))

    def persist(self, job: UploadJob) -> bool:
        """Save the job's row; on failure pause the queue and return False."""
        try:
            self.store.save_job(job)
        except UploaderError as exc:
            self.store_failed(exc)
            return False
        return True

    def current_run(self, run: JobRun) -> bool:
        """Whether `run` is still the job's live run."""
        with self._lock:
            return self._runs.get(run.job.job_id) is run and not run.cancel.is_set()

    def _end_run(self, job: UploadJob) -> None:
        with self._lock:
            run = self._runs.pop(job.job_id, None)
            if run is not None:
                with run.lock:
                    self._committed[job.job_id] = sum(r.size for r in run.done.values())
                run.end()
                run.meter.idle()
            self._wake.notify_all()

    def suspend(self, job: UploadJob, state: JobState, error: UploaderError | None) -> None:
        """Stop a job's run and move it to a waiting state (paused, network, sign-in)."""
        with self._lock:
            if not job.try_transition(state, error=error):
                return
            self._end_run(job)
        self.persist(job)
        self.changed(job)
        self.schedule()

    def finish(self, job: UploadJob, state: JobState, error: UploaderError | None) -> None:
        """End a job in a terminal state (failed, source changed, completed)."""
        with self._lock:
            if not job.try_transition(state, error=error):
                return
            self._end_run(job)
        if error is not None:
            logger.info("job %s %s: %s", job.job_id, state.value, error.title)
        self.persist(job)
        if state is JobState.SOURCE_CHANGED:
            # The parts sent are of a file that is no longer there as it was: no retry can use
            # them (a retry reads the file anew), so they are aborted now rather than left open.
            self.discard_upload(job)
        self.changed(job)
        self.schedule()

    def requeue(self, job: UploadJob, error: UploaderError | None) -> None:
        """Take an active job back to QUEUED (restart cleanly, or after a transient setback)."""
        with self._lock:
            if not job.try_transition(JobState.QUEUED, error=error):
                return
            self._end_run(job)
        self.persist(job)
        self.changed(job)
        self.schedule()

    def restart_job(self, job: UploadJob, notice: UploaderError) -> None:
        """The server lost the upload: forget it and send the file again from the start, saying so
        (`notice` is shown until the job's next change)."""
        logger.info("job %s: upload gone on the server; restarting from the beginning", job.job_id)
        with self._lock:
            if not job.try_transition(JobState.QUEUED, error=notice):
                return
            self._end_run(job)
            # Forgotten before anything can admit the job again, so no run sees the old upload.
            job.forget_upload()
            self._committed[job.job_id] = 0
        try:
            self.store.replace_parts(job.job_id, [])
        except UploaderError as exc:
            self.store_failed(exc)
            return
        self.persist(job)
        self.changed(job)
        self.schedule()

    def store_failed(self, error: UploaderError) -> None:
        """The state database failed: pause every unfinished job, keeping what is on disk."""
        logger.error("state store failed; pausing the queue: %s", error.message)
        changed = []
        with self._lock:
            for job in self._jobs.values():
                if not job.terminal and job.try_transition(JobState.PAUSED, error=error):
                    self._end_run(job)
                    changed.append(job)
        for job in changed:
            self.changed(job)

    def needs_login(self, error: UploaderError) -> None:
        """The sign-in ended: every unfinished job waits for `login_restored()`."""
        changed = []
        with self._lock:
            first = not self._login_needed
            self._login_needed = True
            for job in self._jobs.values():
                if job.state in ACTIVE and job.try_transition(JobState.NEEDS_LOGIN, error=error):
                    self._end_run(job)
                    changed.append(job)
        for job in changed:
            self.persist(job)
            self.changed(job)
        if first:
            logger.info("sign-in needed; %d jobs wait for it", len(changed))
            self.emit("on_login_required")

    def network_suspect(self) -> None:
        """A transport error happened: probe now; if the server is unreachable, wait for it."""
        with self._lock:
            if self._offline or self._closed:
                return
        if self.watcher.check():
            return
        error = NetworkError(
            "The server cannot be reached. Uploads continue by themselves when the network is back."
        )
        changed = []
        with self._lock:
            if self._offline or self._closed:
                return
            self._offline = True
            for job in self._jobs.values():
                if job.state in (
                    JobState.UPLOADING,
                    JobState.VERIFYING,
                    JobState.QUEUED,
                ) and job.try_transition(JobState.WAITING_NETWORK, error=error):
                    self._end_run(job)
                    changed.append(job)
        logger.info("network down; %d jobs waiting", len(changed))
        for job in changed:
            self.changed(job)
        self.watcher.start()

    def _back_online(self) -> None:
        with self._lock:
            self._offline = False
            waiting = [j for j in self._jobs.values() if j.state is JobState.WAITING_NETWORK]
            for job in waiting:
                job.try_transition(JobState.QUEUED)
        for job in waiting:
            self.changed(job)
        self.schedule()

    def schedule(self) -> None:
        """Admit queued jobs while fewer than `files` are active."""
        admitted: list[JobRun] = []
        with self._lock:
            if self._closed or not self._started or self._offline or self._login_needed:
                self._wake.notify_all()
                return
            # Follow jobs do not count: each sends at its recorder's pace, for hours.
            active = sum(1 for r in self._runs.values() if r.job.follow is None)
            for job in sorted(self._jobs.values(), key=lambda j: (-j.priority, j.created_at)):
                if job.state is not JobState.QUEUED or job.job_id in self._runs:
                    continue
                if job.follow is None:
                    if active >= self._files:
                        continue
                    active += 1
                job.transition(JobState.UPLOADING, error=None)
                run = JobRun(job=job, plan=[], done={}, meter=ProgressMeter(job.size))
                self._runs[job.job_id] = run
                admitted.append(run)
            self._wake.notify_all()
        for run in admitted:
            logger.info("job %s started", run.job.job_id)
            self.changed(run.job)
            if run.job.follow is not None:
                follow = FollowRun(self, run)
                with self._lock:
                    self._follow_runs = [f for f in self._follow_runs if f.thread.is_alive()]
                    self._follow_runs.append(follow)
                follow.start()
            else:
                self.control.submit_prepare(run)

    def runs(self) -> list[JobRun]:
        """The live runs, highest priority first."""
        with self._lock:
            runs = list(self._runs.values())
        return sorted(runs, key=lambda r: (-r.job.priority, r.job.created_at))

    def start_reader(self, run: JobRun) -> None:
        """Begin the run's sequential pass: SHA-256 and every part's checksum, a few parts ahead
        of the senders (twice the parts in flight: enough that senders never wait for it, few
        enough that what it read is still in the page cache when they send it)."""
        lookahead = 2 * self.config.parts + 2

        def hashed(number: int, checksum: str) -> bool:
            agreed = run.hashed(number, checksum)
            with self._wake:
                self._wake.notify_all()  # a worker may be waiting for this part's checksum
            return agreed

        def failed(error: UploaderError) -> None:
            if self.current_run(run):
                logger.info("job %s: reading the file failed: %s", run.job.job_id, error.title)
                self.finish(run.job, JobState.SOURCE_CHANGED, error)

        run.reader = SequentialReader(
            run.job.path,
            run.job.size,
            run.plan,
            run.algorithm,
            turn=lambda number: run.reader_turn(number, lookahead),
            on_part=hashed,
            on_error=failed,
            name=f"reader-{run.job.job_id[:8]}",
        )

    @property
    def wake(self) -> threading.Condition:
        """Notified whenever parts may have become available."""
        return self._wake
