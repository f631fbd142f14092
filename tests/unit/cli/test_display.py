"""What the plain (non-TTY) and rich displays print about jobs from earlier runs and tiny files."""

from __future__ import annotations

import dataclasses
import io

import pytest

from desktop.cli.display import PlainDisplay
from desktop.engine.events import TERMINAL, JobSnapshot, JobState


def _snap(job_id: str, name: str, state: JobState, size: int = 2048) -> JobSnapshot:
    return JobSnapshot(
        job_id, f"/r/{name}", size, "E", "webcam", state, 0, 0.0, None, None, None, None, 0, 0.0
    )


def _lines(out: io.StringIO) -> list[str]:
    return [line.split(" ", 1)[1] for line in out.getvalue().splitlines()]


@pytest.mark.parametrize("state", sorted(TERMINAL, key=str))
def test_plain_display_is_silent_about_jobs_finished_in_earlier_runs(state: JobState) -> None:
    out = io.StringIO()
    display = PlainDisplay(out, interval=3600)
    display.on_job_added(job=_snap("old", "monday.mp4", state))  # loaded from the database
    display.on_job_added(job=_snap("new", "today.mp4", JobState.QUEUED))
    assert _lines(out) == ["today.mp4: queued (2.0 KiB)"]
    assert display.total == (0, 2048)  # history does not count in this run's total


def test_plain_display_names_an_unfinished_job_by_its_state() -> None:
    out = io.StringIO()
    PlainDisplay(out).on_job_added(job=_snap("p", "paused.mp4", JobState.PAUSED))
    assert _lines(out) == ["paused.mp4: paused (2.0 KiB)"]


def test_plain_display_prints_no_speed_before_there_is_one() -> None:
    out = io.StringIO()
    display = PlainDisplay(out, interval=3600)
    display.on_job_added(job=_snap("t", "tiny.mp4", JobState.QUEUED, size=10))
    # A 10-byte file is sent before the meter has measured any speed.
    display.on_progress(job_id="t", bytes_done=10, total=10, speed_bps=0.0, eta_seconds=None)
    display.on_progress(job_id="t", bytes_done=10, total=10, speed_bps=5.0, eta_seconds=None)
    assert _lines(out)[1:] == ["tiny.mp4: 100.0% of 10 B", "tiny.mp4: 100.0% of 10 B at 5 B/s"]


def test_rich_display_draws_no_bar_for_jobs_finished_in_earlier_runs() -> None:
    from rich.console import Console

    from desktop.cli.display import RichDisplay

    out = io.StringIO()
    display = RichDisplay(Console(file=out, force_terminal=True, width=120))
    with display:
        display.on_job_added(job=_snap("old", "monday.mp4", JobState.COMPLETED))
        display.on_job_added(job=_snap("new", "today.mp4", JobState.QUEUED))
    text = out.getvalue()
    assert "today.mp4" in text
    assert "monday.mp4" not in text
    assert display.total == (0, 2048)


def test_a_followed_recording_says_how_much_was_sent_while_it_grows() -> None:
    out = io.StringIO()
    display = PlainDisplay(out, interval=0)
    growing = dataclasses.replace(
        _snap("f", "webcam.mkv", JobState.UPLOADING, size=7_000_000), following=True
    )
    display.on_job_added(job=dataclasses.replace(growing, state=JobState.QUEUED))
    display.on_job_changed(job=growing)
    display.on_progress(
        job_id="f", bytes_done=5_242_880, total=9_000_000, speed_bps=0.0, eta_seconds=None
    )
    ended = dataclasses.replace(growing, state=JobState.VERIFYING, size=12_000_000)
    display.on_job_changed(job=ended)
    display.on_progress(
        job_id="f", bytes_done=12_000_000, total=12_000_000, speed_bps=0.0, eta_seconds=None
    )
    assert _lines(out)[1:] == [
        "webcam.mkv: recording (sent as it grows)",
        "webcam.mkv: recording — 5.0 MiB sent",
        "webcam.mkv: verifying",
        "webcam.mkv: 100.0% of 11.4 MiB",
    ]


def test_rich_display_shows_a_recording_as_bytes_sent() -> None:
    from rich.console import Console

    from desktop.cli.display import RichDisplay

    out = io.StringIO()
    display = RichDisplay(Console(file=out, force_terminal=True, width=160))
    growing = dataclasses.replace(
        _snap("f", "webcam.mkv", JobState.UPLOADING, size=7_000_000), following=True
    )
    with display:
        display.on_job_added(job=growing)
        display.on_job_changed(job=growing)
        display.on_progress(
            job_id="f", bytes_done=5_242_880, total=9_000_000, speed_bps=0.0, eta_seconds=None
        )
    assert "webcam.mkv: recording — 5.0 MiB sent" in out.getvalue()
