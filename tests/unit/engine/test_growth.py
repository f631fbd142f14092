"""GrowthWatcher on real files written by real writers: the margin, the end (close or settle),
and files that shrink, vanish or are replaced."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from desktop.engine.growth import GrowthWatcher
from desktop.errors import DataChangedError
from tests.support.recorder import RecorderProcess

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify")


def _follow(watcher: GrowthWatcher, limit: float = 20.0) -> tuple[list[int], float]:
    """Wait until it ends: (safe ends seen while growing, seconds waited)."""
    started = time.monotonic()
    seen: list[int] = []
    while time.monotonic() - started < limit:
        growth = watcher.wait(0.1)
        if growth.ended:
            return seen, time.monotonic() - started
        seen.append(growth.safe_end)
    raise AssertionError("the file never ended")


class _Writer(threading.Thread):
    """Appends `chunk` bytes every `every` seconds, `count` times; closes unless told not to."""

    def __init__(self, path: Path, *, count: int, chunk: int = 64 * 1024, every: float = 0.05):
        super().__init__()
        self.path, self.count, self.chunk, self.every = path, count, chunk, every
        self.close_at_end = True
        self.release = threading.Event()
        self.file = open(path, "ab")  # noqa: SIM115 - the thread closes it

    def run(self) -> None:
        for _ in range(self.count):
            self.file.write(os.urandom(self.chunk))
            self.file.flush()
            time.sleep(self.every)
        if not self.close_at_end:
            self.release.wait(30)
        self.file.close()


@linux_only
def test_a_closed_file_ends_at_once_and_the_margin_held_while_it_grew(tmp_path: Path) -> None:
    path = tmp_path / "rec.bin"
    writer = _Writer(path, count=20)
    with GrowthWatcher(str(path), settle=30, margin=256 * 1024, poll=0.05) as watcher:
        writer.start()
        seen, waited = _follow(watcher)
        growth = watcher.check()
    writer.join()
    assert growth.ended
    assert growth.closed
    assert growth.size == growth.safe_end == path.stat().st_size == 20 * 64 * 1024
    assert waited < 10, "the close, not the 30 s settle time, ended it"
    assert max(seen) <= growth.size - 256 * 1024
    assert len(set(seen)) > 3, "the safe end moved forward while the file grew"


def test_a_writer_that_stops_without_closing_ends_after_the_settle_time(tmp_path: Path) -> None:
    path = tmp_path / "rec.bin"
    writer = _Writer(path, count=5)
    writer.close_at_end = False
    try:
        with GrowthWatcher(str(path), settle=0.6, margin=0, poll=0.05) as watcher:
            writer.start()
            _, waited = _follow(watcher)
            growth = watcher.check()
        assert growth.ended
        assert not growth.closed
        assert growth.size == 5 * 64 * 1024
        assert waited >= 0.6
    finally:
        writer.release.set()
        writer.join()


def test_without_the_close_signal_only_the_settle_time_ends_it(tmp_path: Path) -> None:
    path = tmp_path / "rec.bin"
    writer = _Writer(path, count=3)
    with GrowthWatcher(str(path), settle=0.5, poll=0.05, close_signal=False) as watcher:
        writer.start()
        writer.join()
        closed_at = time.monotonic()
        _follow(watcher)
        assert time.monotonic() - closed_at >= 0.4
        assert not watcher.check().closed


@linux_only
def test_a_file_reopened_and_written_after_a_close_is_not_ended(tmp_path: Path) -> None:
    path = tmp_path / "rec.bin"
    path.write_bytes(b"x" * 1000)
    with GrowthWatcher(str(path), settle=30, poll=0.05) as watcher:
        watcher.wait(0.3)
        with open(path, "ab") as f:  # a close...
            f.write(b"y" * 1000)
        watcher.wait(0.1)
        with open(path, "ab") as f:  # ...then more writing: still recording
            f.write(b"z" * 1000)
            f.flush()
            growth = watcher.wait(0.5)
            assert not growth.ended
        # Closed again and left alone: now it ends.
        _follow(watcher)
        assert watcher.check().size == 3000


def test_a_file_that_shrinks_is_a_change_not_an_end(tmp_path: Path) -> None:
    path = tmp_path / "rec.bin"
    path.write_bytes(b"x" * 10_000)
    with GrowthWatcher(str(path), settle=30, poll=0.05) as watcher:
        os.truncate(path, 5_000)
        with pytest.raises(DataChangedError, match="shorter") as info:
            watcher.wait(0.2)
    assert info.value.title == "Recording shortened"


def test_a_replaced_file_is_a_change(tmp_path: Path) -> None:
    path = tmp_path / "rec.bin"
    path.write_bytes(b"x" * 10_000)
    other = tmp_path / "other.bin"
    other.write_bytes(b"y" * 20_000)
    with GrowthWatcher(str(path), settle=30, poll=0.05) as watcher:
        os.replace(other, path)
        with pytest.raises(DataChangedError, match="replaced"):
            watcher.wait(0.2)


def test_a_deleted_file_is_a_change(tmp_path: Path) -> None:
    path = tmp_path / "rec.bin"
    path.write_bytes(b"x" * 10_000)
    with GrowthWatcher(str(path), settle=30, poll=0.05) as watcher:
        path.unlink()
        with pytest.raises(DataChangedError, match="gone"):
            watcher.wait(0.2)


def test_a_missing_file_cannot_be_followed(tmp_path: Path) -> None:
    with pytest.raises(DataChangedError, match="gone"):
        GrowthWatcher(str(tmp_path / "nothing.mkv"))


@linux_only
def test_a_real_recorder_closing_its_file_ends_the_follow(tmp_path: Path) -> None:
    path = tmp_path / "rec.mkv"
    with RecorderProcess(path, "mkv", seconds=1.5, rate=1_000_000) as rec:
        while not path.exists():
            time.sleep(0.01)
        with GrowthWatcher(str(path), settle=30, margin=64 * 1024, poll=0.05) as watcher:
            seen, waited = _follow(watcher)
            growth = watcher.check()
        rec.wait()
    assert growth.closed
    assert growth.size == path.stat().st_size
    assert len(set(seen)) > 3
    assert waited < 15
