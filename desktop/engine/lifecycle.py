"""The life of every job: which jobs exist, which run is live, every change of state, and the one
policy that turns an error into a state.

The queue (the public face), the control threads and the part workers all change a job's state
through :class:`JobLife` and nothing else, so none of them reaches back into another: the walk of
a part from file to PUT to receipt goes forward (``workers`` -> ``control`` -> ``JobLife``), never
back into the queue. It is also the one place that knows the engine's global conditions (offline,
sign-in needed, closed) and admits queued jobs while fewer than ``files`` are active.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop.engine.config import TransferConfig
from desktop.engine.events import EngineListener, JobSnapshot, JobState, ProgressMeter
from desktop.engine.jobs import UploadJob
from desktop.engine.runs import JobRun
from desktop.engine.store import QueueStore
from desktop.engine.transfer import PartSender
from desktop.errors import (
    AuthError,
    DataChangedError,
    NetworkError,
    StateStoreError,
    UploaderError,
    UploadNotFoundError,
)

if TYPE_CHECKING:
    from desktop.api.client import ApiClient

logger = logging.getLogger(__name__)

#: States in which a job still needs the engine (wait_idle waits for them).
ACTIVE = frozenset(
    {JobState.QUEUED, JobState.UPLOADING, JobState.VERIFYING, JobState.WAITING_NETWORK}
)

RESTARTED = UploaderError(
    "The server no longer had this upload (it may have been cleaned up), so the file is being "
    "sent again from the start.",
    title="Restarted from the beginning",
)


@dataclass(frozen=True, slots=True)
class Toolkit:
    """What a job's steps work with, shared by the control threads and the part workers.

    Attributes:
        api: The backend.
        store: The queue database.
        config: Transfer settings.
        sender: Sends part bytes to storage.
    """

    api: ApiClient
    store: QueueStore
    config: TransferConfig
    sender: PartSender


class JobLife:
    """Every job and its live run, their state changes, and the error-to-state policy.

    Thread-safe: one re-entrant lock guards the jobs, the runs and the global conditions, and its
    condition (`wake`) is notified whenever parts may have become available or a job changed.
    """

    def __init__(
        self,
        *,
        store: QueueStore,
        files: int,
        admit: Callable[[JobRun], None],
        discard: Callable[[UploadJob], None],
        probe: Callable[[], bool],
        watch: Callable[[], None],
        listeners: Sequence[EngineListener] = (),
    ) -> None:
        """Start with no jobs.

        Args:
            store: Where job rows are saved.
            files: Files active at once.
            admit: Starts a run just admitted (prepare it, or follow its recording).
            discard: Aborts the upload of a job whose file changed (no retry can use its parts).
            probe: Whether the server answers now (after a transport error).
            watch: Start probing until it answers again (then call :meth:`back_online`).
            listeners: Receive every event.
        """
        self.store = store
        self._listeners: list[EngineListener] = list(listeners)
        self._lock = threading.RLock()
        self.wake = threading.Condition(self._lock)
        self.jobs: dict[str, UploadJob] = {}
        self._runs: dict[str, JobRun] = {}
        # Bytes committed by jobs that are not running (paused, waiting, failed), for snapshots.
        self.committed: dict[str, int] = {}
        self.files = files
        self._probe = probe
        self._watch = watch
        self._offline = False
        self._login_needed = False
        self.started = False
        self.closed = False
        self._admit = admit
        self._discard = discard

    @property
    def lock(self) -> threading.RLock:
        """Guards the jobs, the runs and the global conditions."""
        return self._lock

    # -- events ---------------------------------------------------------------------------------

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
        done = job.size if job.state is JobState.COMPLETED else self.committed.get(job.job_id, 0)
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

    # -- jobs and runs --------------------------------------------------------------------------

    def all_jobs(self) -> list[UploadJob]:
        """Every job, highest priority first, then oldest."""
        with self._lock:
            jobs = list(self.jobs.values())
        return sorted(jobs, key=lambda j: (-j.priority, j.created_at))

    def runs(self) -> list[JobRun]:
        """The live runs, highest priority first."""
        with self._lock:
            runs = list(self._runs.values())
        return sorted(runs, key=lambda r: (-r.job.priority, r.job.created_at))

    def current_run(self, run: JobRun) -> bool:
        """Whether `run` is still the job's live run."""
        with self._lock:
            return self._runs.get(run.job.job_id) is run and not run.cancel.is_set()

    def end_run(self, job: UploadJob) -> None:
        """End the job's live run, if any (its threads stop at their next chunk)."""
        with self._lock:
            run = self._runs.pop(job.job_id, None)
            if run is not None:
                with run.lock:
                    self.committed[job.job_id] = sum(r.size for r in run.done.values())
                run.end()
                run.meter.idle()
            self.wake.notify_all()

    def close(self) -> list[JobRun]:
        """Stop admitting and end every run; returns the runs that were live."""
        with self._lock:
            self.closed = True
            runs = list(self._runs.values())
            self._runs.clear()
            for run in runs:
                run.end()
            self.wake.notify_all()
        return runs

    def persist(self, job: UploadJob) -> bool:
        """Save the job's row; on failure pause the queue and return False."""
        try:
            self.store.save_job(job)
        except UploaderError as exc:
            self.store_failed(exc)
            return False
        return True

    # -- state changes --------------------------------------------------------------------------

    def suspend(self, job: UploadJob, state: JobState, error: UploaderError | None) -> None:
        """Stop a job's run and move it to a waiting state (paused, network, sign-in)."""
        with self._lock:
            if not job.try_transition(state, error=error):
                return
            self.end_run(job)
        self.persist(job)
        self.changed(job)
        self.schedule()

    def finish(self, job: UploadJob, state: JobState, error: UploaderError | None) -> None:
        """End a job in a terminal state (failed, source changed, completed)."""
        with self._lock:
            if not job.try_transition(state, error=error):
                return
            self.end_run(job)
        if error is not None:
            logger.info("job %s %s: %s", job.job_id, state.value, error.title)
        self.persist(job)
        if state is JobState.SOURCE_CHANGED:
            # The parts sent are of a file that is no longer there as it was: no retry can use
            # them (a retry reads the file anew), so they are aborted now rather than left open.
            self._discard(job)
        self.changed(job)
        self.schedule()

    def restart_job(self, job: UploadJob, notice: UploaderError) -> None:
        """The server lost the upload: forget it and send the file again from the start, saying so
        (`notice` is shown until the job's next change)."""
        logger.info("job %s: upload gone on the server; restarting from the beginning", job.job_id)
        with self._lock:
            if not job.try_transition(JobState.QUEUED, error=notice):
                return
            self.end_run(job)
            # Forgotten before anything can admit the job again, so no run sees the old upload.
            job.forget_upload()
            self.committed[job.job_id] = 0
        try:
            self.store.replace_parts(job.job_id, [])
        except UploaderError as exc:
            self.store_failed(exc)
            return
        self.persist(job)
        self.changed(job)
        self.schedule()

    def fail(self, run: JobRun, error: UploaderError) -> None:
        """The one error-to-state policy, for every step of a run (prepare, parts, completion).

        An error of a run that has ended meanwhile (pause, network wait, shutdown) is moot. A
        sign-in that ended waits for a new one; a state database that fails pauses everything; a
        file that changed ends the job as changed; an upload the server lost restarts cleanly;
        anything else fails the job with its message.
        """
        if not self.current_run(run):
            return
        job = run.job
        if isinstance(error, AuthError):
            self.needs_login(error)
        elif isinstance(error, StateStoreError):
            self.store_failed(error)
        elif isinstance(error, DataChangedError):
            self.finish(job, JobState.SOURCE_CHANGED, error)
        elif isinstance(error, UploadNotFoundError):
            self.restart_job(job, RESTARTED)
        else:
            self.finish(job, JobState.FAILED, error)

    def store_failed(self, error: UploaderError) -> None:
        """The state database failed: pause every unfinished job, keeping what is on disk."""
        logger.error("state store failed; pausing the queue: %s", error.message)
        changed = []
        with self._lock:
            for job in self.jobs.values():
                if not job.terminal and job.try_transition(JobState.PAUSED, error=error):
                    self.end_run(job)
                    changed.append(job)
        for job in changed:
            self.changed(job)

    def needs_login(self, error: UploaderError) -> None:
        """The sign-in ended: every unfinished job waits for `login_restored()`."""
        changed = []
        with self._lock:
            first = not self._login_needed
            self._login_needed = True
            for job in self.jobs.values():
                if job.state in ACTIVE and job.try_transition(JobState.NEEDS_LOGIN, error=error):
                    self.end_run(job)
                    changed.append(job)
        for job in changed:
            self.persist(job)
            self.changed(job)
        if first:
            logger.info("sign-in needed; %d jobs wait for it", len(changed))
            self.emit("on_login_required")

    def login_restored(self) -> None:
        """After a new sign-in: jobs waiting for it continue."""
        with self._lock:
            self._login_needed = False
            waiting = [j for j in self.jobs.values() if j.state is JobState.NEEDS_LOGIN]
            for job in waiting:
                job.try_transition(JobState.QUEUED)
        for job in waiting:
            self.persist(job)
            self.changed(job)
        self.schedule()

    def network_suspect(self) -> None:
        """A transport error happened: probe now; if the server is unreachable, wait for it."""
        with self._lock:
            if self._offline or self.closed:
                return
        if self._probe():
            return
        error = NetworkError(
            "The server cannot be reached. Uploads continue by themselves when the network is back."
        )
        changed = []
        with self._lock:
            if self._offline or self.closed:
                return
            self._offline = True
            for job in self.jobs.values():
                if job.state in (
                    JobState.UPLOADING,
                    JobState.VERIFYING,
                    JobState.QUEUED,
                ) and job.try_transition(JobState.WAITING_NETWORK, error=error):
                    self.end_run(job)
                    changed.append(job)
        logger.info("network down; %d jobs waiting", len(changed))
        for job in changed:
            self.changed(job)
        self._watch()

    def back_online(self) -> None:
        """The server answers again: jobs waiting for the network continue."""
        with self._lock:
            self._offline = False
            waiting = [j for j in self.jobs.values() if j.state is JobState.WAITING_NETWORK]
            for job in waiting:
                job.try_transition(JobState.QUEUED)
        for job in waiting:
            self.changed(job)
        self.schedule()

    def schedule(self) -> None:
        """Admit queued jobs while fewer than `files` are active; `admit` starts each run."""
        admitted: list[JobRun] = []
        with self._lock:
            if self.closed or not self.started or self._offline or self._login_needed:
                self.wake.notify_all()
                return
            # Follow jobs do not count: each sends at its recorder's pace, for hours.
            active = sum(1 for r in self._runs.values() if r.job.follow is None)
            for job in sorted(self.jobs.values(), key=lambda j: (-j.priority, j.created_at)):
                if job.state is not JobState.QUEUED or job.job_id in self._runs:
                    continue
                if job.follow is None:
                    if active >= self.files:
                        continue
                    active += 1
                job.transition(JobState.UPLOADING, error=None)
                run = JobRun(job=job, plan=[], done={}, meter=ProgressMeter(job.size))
                self._runs[job.job_id] = run
                admitted.append(run)
            self.wake.notify_all()
        for run in admitted:
            logger.info("job %s started", run.job.job_id)
            self.changed(run.job)
            self._admit(run)
