"""What the engine tells the GUI and the CLI: job states, immutable snapshots, receipts, the
listener.

Everything here is a plain value that can cross threads (frozen, so no
thread can change what another is reading). Listeners are called from engine
threads and must not block; the GUI's bridge only emits Qt signals, the CLI only updates its
progress display.
"""

from __future__ import annotations

import enum
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from desktop.engine.receipt import Receipt


class JobState(enum.StrEnum):
    """Where a job is in its life. Terminal states are final except that `retry()` leaves FAILED and
    SOURCE_CHANGED."""

    QUEUED = "queued"
    UPLOADING = "uploading"
    PAUSED = "paused"
    WAITING_NETWORK = "waiting_network"
    NEEDS_LOGIN = "needs_login"
    VERIFYING = "verifying"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SOURCE_CHANGED = "source_changed"


TERMINAL: frozenset[JobState] = frozenset(
    {JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED, JobState.SOURCE_CHANGED}
)
RETRYABLE_TERMINAL: frozenset[JobState] = frozenset({JobState.FAILED, JobState.SOURCE_CHANGED})


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    """An immutable view of one job, safe to hand to another thread.

    Attributes:
        job_id: The engine's id for the job (stable across restarts).
        path: Absolute path of the source file.
        size: Size of the file when it was queued.
        exam_id: The exam the recording belongs to.
        kind: ``webcam``, ``screen`` or ``other``.
        state: The current state.
        bytes_done: Bytes stored so far (committed parts plus bytes of parts in flight).
        speed_bps: Smoothed speed in bytes per second (0 when idle).
        eta_seconds: Estimated seconds left, None when unknown.
        error_title: A few words about the last problem, None when there is none.
        error_message: What happened and what to do, None when there is none.
        key: The object key once the backend chose it.
        priority: Higher runs first; equal priorities run in the order they were added.
        created_at: When the job was added (seconds since the epoch).
        following: The job follows a recording still being written: `size` is what was
            recorded so far and grows until the recording ends.
    """

    job_id: str
    path: str
    size: int
    exam_id: str
    kind: str
    state: JobState
    bytes_done: int
    speed_bps: float
    eta_seconds: float | None
    error_title: str | None
    error_message: str | None
    key: str | None
    priority: int
    created_at: float
    following: bool = False


class EngineListener(Protocol):
    """Receives engine events. Called from engine threads: implementations must return quickly."""

    def on_job_added(self, *, job: JobSnapshot) -> None:
        """A job entered the queue (also once per persisted job at start)."""

    def on_job_changed(self, *, job: JobSnapshot) -> None:
        """A job's state or error changed."""

    def on_progress(
        self,
        *,
        job_id: str,
        bytes_done: int,
        total: int,
        speed_bps: float,
        eta_seconds: float | None,
    ) -> None:
        """Bytes moved; throttled to a few calls per second per job."""

    def on_job_removed(self, *, job_id: str) -> None:
        """A job left the queue (its receipt, if any, stays)."""

    def on_receipt(self, *, receipt: Receipt) -> None:
        """A job completed and its receipt was stored."""

    def on_login_required(self) -> None:
        """The sign-in ended; the queue is paused in NEEDS_LOGIN until `login_restored()`."""


class BaseListener:
    """A listener that ignores everything; subclass it and override what you need."""

    def on_job_added(self, *, job: JobSnapshot) -> None:
        """Ignore."""

    def on_job_changed(self, *, job: JobSnapshot) -> None:
        """Ignore."""

    def on_progress(
        self,
        *,
        job_id: str,
        bytes_done: int,
        total: int,
        speed_bps: float,
        eta_seconds: float | None,
    ) -> None:
        """Ignore."""

    def on_job_removed(self, *, job_id: str) -> None:
        """Ignore."""

    def on_receipt(self, *, receipt: Receipt) -> None:
        """Ignore."""

    def on_login_required(self) -> None:
        """Ignore."""


class ProgressMeter:
    """Smoothed speed and ETA for one job, and the throttle that keeps progress events few.

    Speed is an exponentially weighted moving average over samples at least `min_interval` apart,
    with a time constant of `tau` seconds, so large parts landing at once do not make the figure
    jump (rclone PR #5983).

    Thread-safe: part workers add bytes concurrently.
    """

    def __init__(
        self,
        total: int,
        *,
        tau: float = 5.0,
        min_interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a meter for a job of `total` bytes."""
        self.total = total
        self._tau = tau
        self._min_interval = min_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._done = 0
        self._speed = 0.0
        self._last_t: float | None = None
        self._last_done = 0
        self._last_emit = -math.inf

    @property
    def bytes_done(self) -> int:
        """Bytes counted so far."""
        return self._done

    def reset(self, done: int) -> None:
        """Set the count without a speed sample (a restart, a resume, a rewound retry)."""
        with self._lock:
            self._done = max(0, min(done, self.total))
            self._last_done = self._done
            self._last_t = None

    def add(self, delta: int) -> bool:
        """Count `delta` bytes (negative to rewind a failed part); True when an event is due."""
        with self._lock:
            self._done = max(0, min(self._done + delta, self.total))
            now = self._clock()
            if self._last_t is None:
                self._last_t = now
                self._last_done = self._done
            elif now - self._last_t >= self._min_interval:
                dt = now - self._last_t
                rate = max(0.0, (self._done - self._last_done) / dt)
                alpha = 1.0 - math.exp(-dt / self._tau)
                self._speed = (
                    rate if self._speed == 0.0 else self._speed + alpha * (rate - self._speed)
                )
                self._last_t = now
                self._last_done = self._done
            if now - self._last_emit >= self._min_interval or self._done >= self.total:
                self._last_emit = now
                return True
            return False

    def idle(self) -> None:
        """Forget the speed (paused, waiting, finished)."""
        with self._lock:
            self._speed = 0.0
            self._last_t = None

    @property
    def speed(self) -> float:
        """Smoothed bytes per second."""
        return self._speed

    @property
    def eta(self) -> float | None:
        """Seconds left at the smoothed speed; None while the speed is unknown."""
        speed = self._speed
        if speed <= 0.0:
            return None
        return max(0.0, (self.total - self._done) / speed)
