"""One upload job: its persistent fields and its state machine, guarded by one lock per job,
so a state is read and changed atomically by whichever thread holds the job.

The transition table below is the whole state machine. Nothing leaves a terminal state except
`retry`, which takes FAILED and SOURCE_CHANGED back to QUEUED. Suspensions (PAUSED, WAITING_NETWORK,
NEEDS_LOGIN) return to QUEUED, and the queue then reconciles the job with the server before sending
anything again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from desktop.engine.events import RETRYABLE_TERMINAL, TERMINAL, JobSnapshot, JobState
from desktop.engine.fingerprint import Fingerprint
from desktop.engine.growth import FileIdentity
from desktop.errors import UploaderError

_S = JobState
_ACTIVE_EXITS = frozenset(
    {
        _S.PAUSED,
        _S.WAITING_NETWORK,
        _S.NEEDS_LOGIN,
        _S.FAILED,
        _S.CANCELLED,
        _S.SOURCE_CHANGED,
        _S.QUEUED,
    }
)

#: Allowed transitions. QUEUED is also where a job goes to be restarted cleanly (NoSuchUpload) or
#: resumed.
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    _S.QUEUED: frozenset(_ACTIVE_EXITS - {_S.QUEUED} | {_S.UPLOADING}),
    _S.UPLOADING: frozenset(_ACTIVE_EXITS | {_S.VERIFYING}),
    _S.VERIFYING: frozenset(_ACTIVE_EXITS | {_S.COMPLETED}),
    _S.PAUSED: frozenset({_S.QUEUED, _S.CANCELLED}),
    _S.WAITING_NETWORK: frozenset({_S.QUEUED, _S.PAUSED, _S.CANCELLED, _S.NEEDS_LOGIN}),
    _S.NEEDS_LOGIN: frozenset({_S.QUEUED, _S.PAUSED, _S.CANCELLED}),
    _S.FAILED: frozenset(),
    _S.SOURCE_CHANGED: frozenset(),
    _S.COMPLETED: frozenset(),
    _S.CANCELLED: frozenset(),
}

#: States in which the queue may be sending or talking to the backend for the job.
RUNNING: frozenset[JobState] = frozenset({_S.UPLOADING, _S.VERIFYING})
#: States that wait for something outside the job (the user, the network, a new sign-in).
SUSPENDED: frozenset[JobState] = frozenset({_S.PAUSED, _S.WAITING_NETWORK, _S.NEEDS_LOGIN})


@dataclass(frozen=True, slots=True)
class Following:
    """How a job follows a recording that is still being written (issue 13).

    Attributes:
        settle: Seconds without any change that end the recording (where no close is seen).
        identity: The file being followed; another file at the same path is a change.
    """

    settle: float
    identity: FileIdentity


class InvalidTransitionError(RuntimeError):
    """A programming error: the queue asked for a transition the table does not allow."""


@dataclass(slots=True)
class UploadJob:
    """A job's persistent fields. Mutate only through the methods, which take the job's lock.

    Attributes:
        job_id: Stable id (hex).
        path: Absolute path of the source file.
        size: Size at queue time.
        exam_id: Exam metadata.
        kind: ``webcam``, ``screen`` or ``other``.
        priority: Higher first.
        created_at: Seconds since the epoch.
        fingerprint: What the file looked like when queued; checked on every resume and before
        completing. state: Current state.
        error_title: Short description of the last problem.
        error_message: Long description of the last problem.
        key: Object key, once created.
        upload_id: Backend upload id, once created.
        part_size: Bytes per part, once created.
        follow: Set while the job follows a recording still being written (its size then grows
            until it ends; the fingerprint is the file's when it was queued).
        checksum_algorithm: The part checksum storage verifies for this upload (``CRC64NVME``,
            ``CRC32C`` or ``MD5``), as the backend said when creating it; None before that (and
            for uploads of earlier versions, which used MD5).
        lock: Guards every field above.
    """

    job_id: str
    path: str
    size: int
    exam_id: str
    kind: str
    priority: int
    created_at: float
    fingerprint: Fingerprint
    state: JobState = JobState.QUEUED
    error_title: str | None = None
    error_message: str | None = None
    key: str | None = None
    upload_id: str | None = None
    part_size: int | None = None
    follow: Following | None = None
    checksum_algorithm: str | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @property
    def terminal(self) -> bool:
        """True in COMPLETED, FAILED, CANCELLED and SOURCE_CHANGED."""
        return self.state in TERMINAL

    def can_transition(self, new: JobState) -> bool:
        """Whether the table allows going from the current state to `new`."""
        return new in TRANSITIONS[self.state]

    def transition(self, new: JobState, *, error: UploaderError | None = None) -> None:
        """Move to `new`, recording `error` (or clearing the last one when None).

        Raises:
            InvalidTransitionError: The table does not allow it.
        """
        with self.lock:
            if not self.can_transition(new):
                raise InvalidTransitionError(f"job {self.job_id}: {self.state} -> {new}")
            self.state = new
            self.set_error(error)

    def try_transition(self, new: JobState, *, error: UploaderError | None = None) -> bool:
        """Like `transition`, but return False instead of raising when not allowed."""
        with self.lock:
            if not self.can_transition(new):
                return False
            self.transition(new, error=error)
            return True

    def set_error(self, error: UploaderError | None) -> None:
        """Record the last problem's title and message, or clear them."""
        with self.lock:
            self.error_title = error.title if error is not None else None
            self.error_message = error.message if error is not None else None

    def retry(self) -> None:
        """Take a FAILED or SOURCE_CHANGED job back to QUEUED, clearing its error.

        Raises:
            InvalidTransitionError: The job is in another state.
        """
        with self.lock:
            if self.state not in RETRYABLE_TERMINAL:
                raise InvalidTransitionError(f"job {self.job_id}: retry from {self.state}")
            self.state = JobState.QUEUED
            self.set_error(None)

    def forget_upload(self) -> None:
        """Drop the server-side upload (restart cleanly: a new upload id and parts)."""
        with self.lock:
            self.upload_id = None
            self.key = None
            self.part_size = None
            self.checksum_algorithm = None

    def snapshot(
        self, *, bytes_done: int = 0, speed_bps: float = 0.0, eta: float | None = None
    ) -> JobSnapshot:
        """An immutable view with the given progress figures."""
        with self.lock:
            return JobSnapshot(
                job_id=self.job_id,
                path=self.path,
                size=self.size,
                exam_id=self.exam_id,
                kind=self.kind,
                state=self.state,
                bytes_done=bytes_done,
                speed_bps=speed_bps,
                eta_seconds=eta,
                error_title=self.error_title,
                error_message=self.error_message,
                key=self.key,
                priority=self.priority,
                created_at=self.created_at,
                following=self.follow is not None,
            )
