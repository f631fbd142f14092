"""CLI pieces that need no server: rates, file selection, the parser, the app hooks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from desktop.cli import main as cli_main
from desktop.cli.commands import collect_files, parse_rate
from desktop.cli.display import PlainDisplay, describe
from desktop.cli.outcome import CliError
from desktop.engine.events import JobSnapshot, JobState


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("1000", 1000),
        ("500K", 500 * 1024),
        ("10M", 10 * 1024**2),
        ("1.5m", int(1.5 * 1024**2)),
        ("2MB/s", 2 * 1024**2),
        ("1GiB", 1024**3),
    ],
)
def test_parse_rate(text: str, expected: int) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["", "fast", "-1M", "10X", "M"])
def test_parse_rate_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(text)


def _tree(root: Path) -> None:
    (root / "exam" / "sub").mkdir(parents=True)
    (root / "exam" / ".hidden").mkdir()
    for name in ("b.mp4", "a.webm", "notes.txt", ".~lock.mp4", "c.mp4.part"):
        (root / "exam" / name).write_bytes(b"x")
    (root / "exam" / "sub" / "d.MKV").write_bytes(b"x")
    (root / "exam" / ".hidden" / "e.mp4").write_bytes(b"x")


def test_collect_files_recursive_picks_recordings_in_order(tmp_path: Path) -> None:
    _tree(tmp_path)
    files = collect_files([str(tmp_path / "exam")], recursive=True, any_file=False)
    assert [f.name for f in files] == ["a.webm", "b.mp4", "d.MKV"]


def test_collect_files_any_file_takes_everything_visible(tmp_path: Path) -> None:
    _tree(tmp_path)
    files = collect_files([str(tmp_path / "exam")], recursive=True, any_file=True)
    # Recordings first (they matter most), then the rest, each in folder order.
    assert [f.name for f in files] == ["a.webm", "b.mp4", "d.MKV", "c.mp4.part", "notes.txt"]


def test_collect_files_problems_are_usage_errors(tmp_path: Path) -> None:
    _tree(tmp_path)
    with pytest.raises(CliError, match="add --recursive") as info:
        collect_files([str(tmp_path / "exam")], recursive=False, any_file=False)
    assert info.value.code == 2
    with pytest.raises(CliError, match="no such file"):
        collect_files([str(tmp_path / "nope.mp4")], recursive=False, any_file=False)
    with pytest.raises(CliError, match="nothing to upload"):
        collect_files([str(tmp_path / "exam" / "notes.txt")], recursive=False, any_file=False)


def test_collect_files_deduplicates(tmp_path: Path) -> None:
    _tree(tmp_path)
    video = tmp_path / "exam" / "b.mp4"
    files = collect_files([str(video), str(video)], recursive=False, any_file=False)
    assert files == [video]


def test_parser_usage_errors_exit_2_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli_main.main(["upload"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "PATH" in err


def test_app_paths_explain_when_the_app_is_missing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from desktop.__main__ import main as entry

    monkeypatch.setitem(sys.modules, "desktop.app", None)  # as if the GUI were not installed
    assert entry([]) == 1
    assert entry(["demo"]) == 1
    err = capsys.readouterr().err
    assert err.count("desktop app is not available") == 2
    assert "Traceback" not in err


def _snap(state: JobState, error: str | None = None) -> JobSnapshot:
    return JobSnapshot(
        "abcdef", "/r/exam.mp4", 2048, "E", "webcam", state, 1024, 0.0, None, None, error, None,
        0, 0.0,
    )  # fmt: skip


def test_descriptions() -> None:
    assert describe(_snap(JobState.COMPLETED)) == "exam.mp4: uploaded and verified"
    assert describe(_snap(JobState.FAILED, "Disk on fire.")) == "exam.mp4: FAILED — Disk on fire."


def test_plain_display_prints_each_change_once() -> None:
    out = io.StringIO()
    display = PlainDisplay(out, interval=3600)
    display.on_job_added(job=_snap(JobState.QUEUED))
    display.on_job_changed(job=_snap(JobState.UPLOADING))
    display.on_job_changed(job=_snap(JobState.UPLOADING))
    display.on_progress(job_id="abcdef", bytes_done=1024, total=2048, speed_bps=10.0, eta_seconds=1)
    display.on_progress(job_id="abcdef", bytes_done=1500, total=2048, speed_bps=10.0, eta_seconds=1)
    display.on_job_changed(job=_snap(JobState.COMPLETED))
    lines = [line.split(" ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines == [
        "exam.mp4: queued (2.0 KiB)",
        "exam.mp4: uploading",
        "exam.mp4: 50.0% of 2.0 KiB at 10 B/s, 1 s left",
        "exam.mp4: uploaded and verified",
    ]
    assert display.total == (2048, 2048)


def test_rich_display_draws_bars_and_reports_changes() -> None:
    from rich.console import Console

    from desktop.cli.display import RichDisplay

    out = io.StringIO()
    display = RichDisplay(Console(file=out, force_terminal=True, width=120))
    with display:
        display.on_job_added(job=_snap(JobState.QUEUED))
        display.on_progress(
            job_id="abcdef", bytes_done=1024, total=2048, speed_bps=1.0, eta_seconds=1
        )
        assert display.total == (1024, 2048)
        display.on_job_changed(job=_snap(JobState.WAITING_NETWORK, "The server cannot be reached."))
        display.on_job_changed(job=_snap(JobState.COMPLETED))
        display.on_login_required()
    text = out.getvalue()
    assert "exam.mp4" in text
    assert "Total" in text
    assert "waiting for the network — The server cannot be reached." in text
    assert "uploaded and verified" in text
    assert "sign-in expired" in text
    assert display.total == (2048, 2048)
