"""What real muxers do to a growing file: a copy taken just before the muxer closes, compared
with the final file. These facts are what following a recording has to cope with
(docs/engine.md, "Following a recording")."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from tests.support.recorder import CONTAINERS, RecorderProcess, record, rewritten_ranges

RATE = 1_500_000


def _record_with_snapshot(tmp_path: Path, name: str) -> tuple[bytes, bytes, list[int]]:
    """(copy just before close, final file, sizes seen while recording)."""
    container = CONTAINERS[name]
    path = tmp_path / f"rec{container.suffix}"
    snapshot = tmp_path / "snapshot"
    sizes: list[int] = []
    done = threading.Event()

    def copy() -> None:
        shutil.copyfile(path, snapshot)

    def watch() -> None:
        while not done.wait(0.1):
            if path.exists():
                sizes.append(path.stat().st_size)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        record(
            path,
            container,
            seconds=1.5,
            rate=RATE,
            before_close=copy,
        )
    finally:
        done.set()
        watcher.join()
    return snapshot.read_bytes(), path.read_bytes(), sizes


def _grew_while_recording(sizes: list[int], final: int) -> bool:
    seen = [s for s in sizes if 0 < s < final]
    return len(set(seen)) >= 3


def test_plain_mp4_fixes_the_mdat_size_near_the_start_and_appends_moov(tmp_path: Path) -> None:
    before, after, sizes = _record_with_snapshot(tmp_path, "mp4")
    ranges = rewritten_ranges(before, after)
    assert ranges, "the mdat size is written back at the end"
    assert all(end <= 64 for _, end in ranges), ranges
    assert after[len(before) :].find(b"moov") >= 0
    assert len(after) > len(before)
    assert _grew_while_recording(sizes, len(after))


def test_faststart_mp4_rewrites_the_whole_file(tmp_path: Path) -> None:
    before, after, _ = _record_with_snapshot(tmp_path, "mp4-faststart")
    changed = sum(end - start for start, end in rewritten_ranges(before, after))
    assert changed > 0.9 * len(before), (changed, len(before))
    assert after.find(b"moov") < after.find(b"mdat")


def test_fragmented_mp4_only_appends(tmp_path: Path) -> None:
    before, after, sizes = _record_with_snapshot(tmp_path, "fmp4")
    assert rewritten_ranges(before, after) == []
    assert after.startswith(before)
    assert _grew_while_recording(sizes, len(after))


@pytest.mark.parametrize("name", ["mkv", "webm"])
def test_matroska_rewrites_its_first_bytes_and_appends_the_cues(tmp_path: Path, name: str) -> None:
    before, after, sizes = _record_with_snapshot(tmp_path, name)
    ranges = rewritten_ranges(before, after)
    assert ranges, "SeekHead and duration are written back at the end"
    assert all(end <= 1024 for _, end in ranges), ranges
    assert b"\x1c\x53\xbb\x6b" in after[len(before) :]  # the Cues element's ID, appended
    assert _grew_while_recording(sizes, len(after))


def test_a_recorder_process_writes_a_closed_file(tmp_path: Path) -> None:
    path = tmp_path / "rec.mkv"
    with RecorderProcess(path, "mkv", seconds=0.5, rate=RATE) as rec:
        rec.wait()
    data = path.read_bytes()
    assert data.startswith(b"\x1a\x45\xdf\xa3")  # EBML header
    assert b"\x1c\x53\xbb\x6b" in data  # closed properly: the Cues were written
