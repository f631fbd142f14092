"""The queue database names the proctor's recordings and exams: readable by its owner only."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.engine.store import QueueStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # what most desktops use: files 0644 unless told otherwise
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
def test_the_database_and_its_wal_files_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    store = QueueStore(path)
    try:
        files = sorted(tmp_path.iterdir())
        assert [f.name for f in files] == [
            "queue.sqlite3",
            "queue.sqlite3-shm",
            "queue.sqlite3-wal",
        ]
        assert {f.name: _mode(f) for f in files} == dict.fromkeys((f.name for f in files), 0o600)
    finally:
        store.close()


@pytest.mark.usefixtures("usual_umask")
def test_an_older_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    QueueStore(path).close()
    path.chmod(0o644)
    QueueStore(path).close()
    assert _mode(path) == 0o600
