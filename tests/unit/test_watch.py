"""The watch-folder scanner: recursive, waits for files to settle, never reports a file twice."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from desktop.watch import WatchFolder


class FakeClock:
    """A monotonic clock the test advances by hand (the scanner's settle logic is time based)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _watcher(root: Path, record: Path, clock: FakeClock, settle: float = 5.0) -> WatchFolder:
    return WatchFolder(root, record_path=record, settle_seconds=settle, clock=clock)


def _write(path: Path, data: bytes = b"x" * 100) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_file_is_ready_only_after_settling(tmp_path: Path, clock: FakeClock) -> None:
    root = tmp_path / "rec"
    video = _write(root / "exam1" / "webcam.mp4")
    watcher = _watcher(root, tmp_path / "seen.json", clock)

    assert watcher.scan() == []  # first sighting starts the settle clock
    clock.advance(4.9)
    assert watcher.scan() == []
    clock.advance(0.2)
    assert watcher.scan() == [video]


def test_growing_file_is_not_ready_until_it_stops_growing(tmp_path: Path, clock: FakeClock) -> None:
    root = tmp_path / "rec"
    video = _write(root / "screen.mkv", b"a" * 10)
    watcher = _watcher(root, tmp_path / "seen.json", clock, settle=3)
    watcher.scan()
    for step in range(5):
        clock.advance(2.5)
        with video.open("ab") as fh:
            fh.write(b"b" * (step + 1))
        assert watcher.scan() == [], f"queued while still growing (step {step})"
    clock.advance(2.9)
    assert watcher.scan() == []
    clock.advance(0.2)
    assert watcher.scan() == [video]


def test_same_size_rewrite_restarts_the_settle_clock(tmp_path: Path, clock: FakeClock) -> None:
    root = tmp_path / "rec"
    video = _write(root / "a.webm")
    watcher = _watcher(root, tmp_path / "seen.json", clock, settle=2)
    watcher.scan()
    clock.advance(1.5)
    stat = video.stat()
    os.utime(video, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert watcher.scan() == []
    clock.advance(1.5)
    assert watcher.scan() == []
    clock.advance(0.6)
    assert watcher.scan() == [video]


def test_marked_files_are_never_reported_again_even_after_restart(
    tmp_path: Path, clock: FakeClock
) -> None:
    root = tmp_path / "rec"
    first = _write(root / "one.mp4")
    record = tmp_path / "data" / "watch-seen.json"
    watcher = _watcher(root, record, clock, settle=0)
    assert watcher.scan() == [first]
    watcher.mark_queued([first])
    assert watcher.scan() == []
    assert watcher.is_queued(first)

    # A new process: a fresh scanner reading the same record.
    second = _write(root / "two.mp4")
    restarted = _watcher(root, record, clock, settle=0)
    assert restarted.scan() == [second]
    assert json.loads(record.read_text())["version"] == 1


def test_a_new_recording_under_a_reused_name_is_queued(tmp_path: Path, clock: FakeClock) -> None:
    root = tmp_path / "rec"
    video = _write(root / "webcam.mp4", b"first exam")
    watcher = _watcher(root, tmp_path / "seen.json", clock, settle=0)
    watcher.mark_queued(watcher.scan())
    video.unlink()
    video = _write(root / "webcam.mp4", b"second exam, longer")
    assert watcher.scan() == [video]


def test_reported_until_marked(tmp_path: Path, clock: FakeClock) -> None:
    root = tmp_path / "rec"
    video = _write(root / "a.mp4")
    watcher = _watcher(root, tmp_path / "seen.json", clock, settle=0)
    assert watcher.scan() == [video]
    # Not marked (say, the add failed): still offered next time rather than lost.
    assert watcher.scan() == [video]


def test_ignores_non_recordings_hidden_temporary_and_empty_files(
    tmp_path: Path, clock: FakeClock
) -> None:
    root = tmp_path / "rec"
    keep = _write(root / "deep" / "er" / "Screen Capture.MOV")
    _write(root / "notes.txt")
    _write(root / ".hidden.mp4")
    _write(root / ".cache" / "inside-hidden-dir.mp4")
    _write(root / "upload.mp4.part")
    _write(root / "~$lock.mp4")
    _write(root / "empty.mp4", b"")
    watcher = _watcher(root, tmp_path / "seen.json", clock, settle=0)
    assert watcher.scan() == [keep]


def test_does_not_follow_symlinked_folders(tmp_path: Path, clock: FakeClock) -> None:
    root = tmp_path / "rec"
    root.mkdir()
    outside = _write(tmp_path / "elsewhere" / "x.mp4")
    (root / "link").symlink_to(outside.parent, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    watcher = _watcher(root, tmp_path / "seen.json", clock, settle=0)
    assert watcher.scan() == []


def test_missing_folder_yields_nothing_and_recovers(tmp_path: Path, clock: FakeClock) -> None:
    root = tmp_path / "unplugged"
    watcher = _watcher(root, tmp_path / "seen.json", clock, settle=0)
    assert watcher.scan() == []
    video = _write(root / "a.mp4")
    assert watcher.scan() == [video]


def test_damaged_record_is_replaced_not_fatal(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "rec"
    video = _write(root / "a.mp4")
    record = tmp_path / "seen.json"
    record.write_text("{ not json")
    watcher = _watcher(root, record, clock, settle=0)
    assert watcher.scan() == [video]
    assert "unreadable" in caplog.text
    watcher.mark_queued([video])
    assert json.loads(record.read_text())["queued"][0]["path"] == str(video)


def test_results_are_ordered_oldest_first(tmp_path: Path, clock: FakeClock) -> None:
    root = tmp_path / "rec"
    newer = _write(root / "a.mp4")
    older = _write(root / "b.mp4")
    os.utime(older, ns=(0, 1_000_000_000))
    os.utime(newer, ns=(0, 2_000_000_000))
    watcher = _watcher(root, tmp_path / "seen.json", clock, settle=0)
    assert watcher.scan() == [older, newer]


def test_in_follow_mode_a_new_recording_is_ready_at_once_and_only_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    root = tmp_path / "rec"
    video = _write(root / "webcam.mkv", b"a" * 10)
    watcher = WatchFolder(
        root, record_path=tmp_path / "seen.json", settle_seconds=30, follow=True, clock=clock
    )
    assert watcher.scan() == [video]  # no settle wait: it is followed while it grows
    watcher.mark_queued([video])
    for _ in range(3):  # the recorder goes on writing: still the same recording
        with video.open("ab") as f:
            f.write(b"b" * 100)
        clock.advance(1)
        assert watcher.scan() == []
    # A new recording under the same name (smaller than what was queued) is a new file.
    _write(video, b"c" * 5)
    assert watcher.scan() == [video]
    # Without follow mode the settle time applies again.
    watcher.follow = False
    assert watcher.scan() == []
