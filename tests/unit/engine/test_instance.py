"""The engine lock when the disk is full or the folder is read-only: a clear error, no traceback.

The first test fills a real, tiny tmpfs (root only: mounting needs it); the others inject the OS
error at the one place the lock writes, so they also run where mounting is not allowed.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.engine.instance import EngineLock
from desktop.errors import StateStoreError


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, filled to the last byte; unmounted afterwards."""
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    if shutil.which("mount") is None:  # Windows
        pytest.skip("no mount command here")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        (mount_point / "home").mkdir()
        _fill(mount_point / "filler")
        yield mount_point / "home"
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def _fill(path: Path) -> None:
    with path.open("wb", buffering=0) as filler:
        while True:
            try:
                filler.write(b"\0" * 4096)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                return


def test_a_full_disk_at_start_is_one_clear_line(full_disk: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PROCTOR_UPLOADER_HOME": str(full_disk)}
    video = tmp_path / "webcam.mp4"  # on the ordinary disk
    video.write_bytes(b"\0" * 1024)
    for command in (["resume"], ["upload", str(video), "--exam", "E"]):
        run = subprocess.run(
            [sys.executable, "-m", "desktop", *command],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 1, run.stderr
        assert "Traceback" not in run.stderr
        assert run.stderr.count("\n") == 1, run.stderr
        assert "is full" in run.stderr
        assert str(full_disk / "data") in run.stderr


def _failing_write(code: int) -> object:
    def write(fd: int, data: bytes) -> int:
        raise OSError(code, os.strerror(code))

    return write


def test_no_space_for_the_lock_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("desktop.engine.instance.os.write", _failing_write(errno.ENOSPC))
    lock = EngineLock(tmp_path)
    with pytest.raises(StateStoreError) as info:
        lock.acquire()
    assert "is full" in info.value.message
    assert str(tmp_path) in info.value.message
    monkeypatch.undo()
    with EngineLock(tmp_path):  # nothing was left locked
        pass


def test_a_read_only_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("desktop.engine.instance.os.open", refuse)
    with pytest.raises(StateStoreError) as info:
        EngineLock(tmp_path / "data").acquire()
    assert "cannot be written (Permission denied)" in info.value.message
