"""Expanding dropped, picked or named paths into files to queue: the rule the app and CLI share."""

from __future__ import annotations

from pathlib import Path

from desktop.file_scan import collect_files


def test_collect_files_walks_folders_and_sorts_out_non_recordings(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "cam.mp4").write_bytes(b"v")
    (tmp_path / "a" / "notes.txt").write_text("n")
    (tmp_path / "a" / ".DS_Store").write_text("x")
    (tmp_path / "a" / ".hidden").mkdir()
    (tmp_path / "a" / ".hidden" / "x.mp4").write_bytes(b"v")
    picked = tmp_path / "single.mov"
    picked.write_bytes(b"v" * 3)
    found = collect_files([tmp_path / "a", picked, tmp_path / "missing.mp4"])
    assert [f.path.name for f in found.recordings] == ["cam.mp4", "single.mov"]
    assert [f.path.name for f in found.others] == ["notes.txt"]
    assert tmp_path / "missing.mp4" in found.skipped
    assert found.total_size == 4


def test_a_file_named_twice_or_through_a_link_counts_once(tmp_path: Path) -> None:
    video = tmp_path / "cam.mp4"
    video.write_bytes(b"v")
    (tmp_path / "link.mp4").symlink_to(video)
    found = collect_files([video, video, tmp_path / "link.mp4"])
    assert [f.path for f in found.recordings] == [video]


def test_the_limit_stops_the_walk(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"{i}.mp4").write_bytes(b"v")
    assert collect_files([tmp_path], limit=3).truncated
    assert len(collect_files([tmp_path], limit=None).recordings) == 5
