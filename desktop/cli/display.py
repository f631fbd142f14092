"""What the CLI shows while uploading: rich progress bars on a terminal, plain lines otherwise.

Both displays are :class:`desktop.engine.events.EngineListener` implementations, called from engine
threads; they only update in-memory figures and print, never block on the engine.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from desktop.engine.events import TERMINAL, BaseListener, JobSnapshot, JobState
from desktop.engine.receipt import Receipt
from desktop.sizes import format_size

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

_STATE_WORDS = {
    JobState.QUEUED: "queued",
    JobState.UPLOADING: "uploading",
    JobState.PAUSED: "paused",
    JobState.WAITING_NETWORK: "waiting for the network",
    JobState.NEEDS_LOGIN: "waiting for sign-in",
    JobState.VERIFYING: "verifying",
    JobState.COMPLETED: "uploaded and verified",
    JobState.FAILED: "FAILED",
    JobState.CANCELLED: "cancelled",
    JobState.SOURCE_CHANGED: "NOT UPLOADED (file changed)",
}


def recording_progress(sent: int) -> str:
    """What a followed recording shows while it is being written."""
    return f"recording — {format_size(sent)} sent"


def describe(job: JobSnapshot) -> str:
    """One line about a job's state, with its error when it has one."""
    word = _STATE_WORDS.get(job.state, job.state.value)
    if job.following and job.state is JobState.UPLOADING:
        word = "recording (sent as it grows)"
    text = f"{Path(job.path).name}: {word}"
    if job.error_message and job.state is not JobState.COMPLETED:
        text += f" — {job.error_message}"
    return text


class _Tracker(BaseListener):
    """Remembers job sizes and progress for the total line."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sizes: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.names: dict[str, str] = {}
        self.recording: set[str] = set()

    def track(self, job: JobSnapshot) -> None:
        with self.lock:
            self.sizes[job.job_id] = job.size
            self.done[job.job_id] = job.bytes_done
            self.names[job.job_id] = Path(job.path).name
            self.note_recording(job)

    def note_recording(self, job: JobSnapshot) -> None:
        """Whether the job's recording is still being written (its size still grows)."""
        if job.following and job.state in (JobState.QUEUED, JobState.UPLOADING):
            self.recording.add(job.job_id)
        else:
            self.recording.discard(job.job_id)
        self.sizes[job.job_id] = max(self.sizes.get(job.job_id, 0), job.size)

    @property
    def total(self) -> tuple[int, int]:
        with self.lock:
            return sum(self.done.values()), sum(self.sizes.values())


def _short(job: JobSnapshot) -> str:
    name = Path(job.path).name
    return name if len(name) <= 40 else name[:37] + "..."


class RichDisplay(_Tracker):
    """Progress bars per file and in total (a TTY)."""

    def __init__(self, console: Console | None = None) -> None:
        """Create the display; use it as a context manager around the upload."""
        # rich loads only for a terminal: scripts and `resume` after a crash start sooner.
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        super().__init__()
        self.console = console or Console()
        self.progress = Progress(
            TextColumn("{task.description}", justify="left"),
            BarColumn(bar_width=None),
            TextColumn("{task.percentage:>5.1f}%"),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            refresh_per_second=4,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._total = self.progress.add_task("[bold]Total", total=0)

    def __enter__(self) -> RichDisplay:
        """Start drawing."""
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop drawing (the last frame stays on screen)."""
        self.progress.stop()

    def _task(self, job: JobSnapshot) -> TaskID:
        with self.lock:
            task = self._tasks.get(job.job_id)
            if task is None:
                task = self.progress.add_task(_short(job), total=max(job.size, 1))
                self._tasks[job.job_id] = task
            return task

    def _update_total(self) -> None:
        done, size = self.total
        self.progress.update(self._total, completed=done, total=max(size, 1))

    def on_job_added(self, *, job: JobSnapshot) -> None:
        """Add a bar (not for jobs finished in an earlier run: `status` lists those)."""
        if job.state in TERMINAL:
            return
        self.track(job)
        self.progress.update(self._task(job), completed=job.bytes_done)
        self._update_total()

    def on_job_changed(self, *, job: JobSnapshot) -> None:
        """Print state changes worth reading; fill the bar on completion."""
        task = self._task(job)
        with self.lock:
            self.note_recording(job)
        if job.following:
            self.progress.update(task, total=max(job.size, 1), description=_short(job))
        if job.state is JobState.COMPLETED:
            with self.lock:
                self.done[job.job_id] = job.size
            self.progress.update(task, completed=max(job.size, 1))
        if job.state not in (JobState.QUEUED, JobState.UPLOADING, JobState.VERIFYING) or (
            job.error_message and job.state is JobState.UPLOADING
        ):
            style = "green" if job.state is JobState.COMPLETED else "yellow"
            if job.state in (JobState.FAILED, JobState.SOURCE_CHANGED):
                style = "red"
            self.progress.console.print(f"[{style}]{describe(job)}", markup=True, highlight=False)
        self._update_total()

    def on_progress(
        self,
        *,
        job_id: str,
        bytes_done: int,
        total: int,
        speed_bps: float,
        eta_seconds: float | None,
    ) -> None:
        """Move the bar (a recording's grows with it, and says how much was sent)."""
        with self.lock:
            task = self._tasks.get(job_id)
            self.done[job_id] = bytes_done
            recording = job_id in self.recording
            if recording:
                self.sizes[job_id] = max(self.sizes.get(job_id, 0), total)
            name = self.names.get(job_id, job_id[:8])
        if task is not None:
            if recording:
                self.progress.update(
                    task,
                    completed=bytes_done,
                    total=max(total, 1),
                    description=f"{name}: {recording_progress(bytes_done)}",
                )
            else:
                self.progress.update(task, completed=bytes_done)
        self._update_total()

    def on_login_required(self) -> None:
        """Say why nothing moves."""
        self.progress.console.print("[yellow]The sign-in expired; uploads are waiting.")


class PlainDisplay(_Tracker):
    """Timestamped lines (not a TTY: logs, CI, pipes): state changes, and progress every 10 s."""

    def __init__(self, out: TextIO | None = None, *, interval: float = 10.0) -> None:
        """Create the display writing to `out` (stdout by default)."""
        super().__init__()
        self.out = out or sys.stdout
        self.interval = interval
        self._last: dict[str, float] = {}
        self._said: dict[str, str] = {}
        self._print_lock = threading.Lock()

    def __enter__(self) -> PlainDisplay:
        """Nothing to start."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Flush."""
        self.out.flush()

    def line(self, text: str) -> None:
        """Print one timestamped line."""
        with self._print_lock:
            self.out.write(f"{time.strftime('%H:%M:%S')} {text}\n")
            self.out.flush()

    def on_job_added(self, *, job: JobSnapshot) -> None:
        """Announce a job that still has work to do.

        Jobs finished in an earlier run are loaded too (the queue knows its history); they are
        not this run's news, and `status` lists them.
        """
        if job.state in TERMINAL:
            return
        self.track(job)
        word = _STATE_WORDS.get(job.state, job.state.value)
        self.line(f"{Path(job.path).name}: {word} ({format_size(job.size)})")

    def on_job_changed(self, *, job: JobSnapshot) -> None:
        """Print every change of state or error (once each)."""
        text = describe(job)
        with self.lock:
            self.note_recording(job)
            if job.state is JobState.COMPLETED:
                self.done[job.job_id] = job.size
            if self._said.get(job.job_id) == text:
                return
            self._said[job.job_id] = text
        self.line(text)

    def on_progress(
        self,
        *,
        job_id: str,
        bytes_done: int,
        total: int,
        speed_bps: float,
        eta_seconds: float | None,
    ) -> None:
        """Print progress at most every `interval` seconds per job."""
        with self.lock:
            self.done[job_id] = bytes_done
            name = self.names.get(job_id, job_id[:8])
            recording = job_id in self.recording
        now = time.monotonic()
        if now - self._last.get(job_id, -math.inf) < self.interval and (
            recording or bytes_done < total
        ):
            return
        self._last[job_id] = now
        if recording:
            self.line(f"{name}: {recording_progress(bytes_done)}")
            return
        pct = 100.0 * bytes_done / total if total else 100.0
        eta = f", {eta_seconds:.0f} s left" if eta_seconds is not None else ""
        # No speed until the meter has one: a file sent within a second has none worth a number
        # ("at 0 B/s" read as if nothing had moved).
        speed = f" at {format_size(speed_bps)}/s" if speed_bps >= 1 else ""
        self.line(f"{name}: {pct:.1f}% of {format_size(total)}{speed}{eta}")

    def on_login_required(self) -> None:
        """Say why nothing moves."""
        self.line("The sign-in expired; uploads are waiting.")

    def on_receipt(self, *, receipt: Receipt) -> None:
        """Print the proof."""
        self.line(f"{Path(receipt.path).name}: stored as {receipt.key} (sha256 {receipt.sha256})")
