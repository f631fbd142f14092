"""A recording another program holds open (Windows sharing violations) is busy, not changed.

POSIX has no mandatory file locks, so the Windows error is built by hand and put in front of the
one place the engine opens a recording; everything behind it (fingerprint, hashing, the part
sender) is the real code.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import time
from pathlib import Path

import pytest

from desktop.engine import checksums, fingerprint, sourcefile
from desktop.engine.planner import plan
from desktop.engine.reader import SequentialReader
from desktop.errors import DataChangedError, FileInUseError


def _windows_error(winerror: int, path: Path) -> PermissionError:
    """What Windows raises when another program holds `path` (errno EACCES, plus `winerror`)."""
    exc = PermissionError(errno.EACCES, "The process cannot access the file", str(path))
    exc.winerror = winerror  # type: ignore[attr-defined]
    return exc


class RecorderHold:
    """Makes opening `path` fail as on Windows while a recorder holds it, counting the tries."""

    def __init__(self, path: Path, winerror: int = sourcefile.ERROR_SHARING_VIOLATION) -> None:
        self.path = path
        self.winerror = winerror
        self.held = True
        self.refused = 0

    def open(self, path: str | Path, mode: str) -> io.FileIO:
        if self.held and os.fspath(path) == os.fspath(self.path):
            self.refused += 1
            raise _windows_error(self.winerror, self.path)
        return io.FileIO(path, mode)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "webcam.mp4"
    path.write_bytes(os.urandom(256 * 1024))
    return path


@pytest.fixture
def hold(recording: Path, monkeypatch: pytest.MonkeyPatch) -> RecorderHold:
    held = RecorderHold(recording)
    monkeypatch.setattr(sourcefile, "_open", held.open)
    return held


@pytest.mark.parametrize(
    ("winerror", "held"),
    [(32, True), (33, True), (5, False), (None, False)],
)
def test_only_sharing_and_lock_violations_mean_held(winerror: int | None, held: bool) -> None:
    exc = PermissionError(errno.EACCES, "denied")
    if winerror is not None:
        exc.winerror = winerror  # type: ignore[attr-defined]
    assert sourcefile.held_by_another_program(exc) is held


@pytest.mark.parametrize("winerror", [32, 33])
def test_a_held_file_is_busy_and_retryable(
    recording: Path, monkeypatch: pytest.MonkeyPatch, winerror: int
) -> None:
    hold = RecorderHold(recording, winerror)
    monkeypatch.setattr(sourcefile, "_open", hold.open)
    with pytest.raises(FileInUseError) as caught:
        fingerprint.compute(recording)
    assert caught.value.retryable
    assert caught.value.title == "File unreadable"  # the title the app already translates
    assert "open in another program" in caught.value.message
    assert not isinstance(caught.value, DataChangedError)  # never "the file changed"


def _reader(recording: Path) -> SequentialReader:
    size = recording.stat().st_size
    return SequentialReader(
        str(recording),
        size,
        plan(size, 64 * 1024),
        checksums.CRC64NVME,
        turn=lambda _n: True,
        on_part=lambda _n, _c: True,
        on_error=lambda _e: None,
        name="reader-test",
    )


def test_hashing_waits_for_the_recorder_to_let_go(recording: Path, hold: RecorderHold) -> None:
    hasher = _reader(recording)
    deadline = time.monotonic() + 10
    while hold.refused < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hold.refused >= 2  # it kept trying instead of failing
    hold.held = False
    assert hasher.result() == hashlib.sha256(recording.read_bytes()).hexdigest()


def test_hashing_a_held_file_can_still_be_stopped(recording: Path, hold: RecorderHold) -> None:
    hasher = _reader(recording)
    deadline = time.monotonic() + 10
    while hold.refused < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    hasher.stop()
    with pytest.raises(FileInUseError):
        hasher.result()
    hasher.join(5)


def test_once_the_recorder_lets_go_the_same_file_reads(recording: Path, hold: RecorderHold) -> None:
    with pytest.raises(FileInUseError):
        fingerprint.compute(recording)
    hold.held = False
    assert fingerprint.compute(recording).size == 256 * 1024


def test_other_failures_keep_their_meaning(tmp_path: Path) -> None:
    with pytest.raises(DataChangedError) as missing:
        sourcefile.open_for_reading(tmp_path / "gone.mp4")
    assert missing.value.title == "File missing"
    assert not missing.value.retryable
    with pytest.raises(DataChangedError) as folder:
        sourcefile.open_for_reading(tmp_path)
    assert folder.value.title == "Not a file"
    other = sourcefile.read_error(tmp_path / "x", OSError(errno.EIO, "I/O error"))
    assert isinstance(other, DataChangedError)
    assert other.title == "File unreadable"
    assert "I/O error" in other.message
