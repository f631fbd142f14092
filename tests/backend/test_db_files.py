"""The backend's database holds password hashes and sessions: readable by its account only."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.db import open_database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
def test_database_files_are_0600_in_a_new_0700_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = open_database(data / "backend.sqlite3")
    try:
        db.list_users()  # a read: the WAL and shared-memory files exist from here on
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
    finally:
        db.close()
    assert "backend.sqlite3" in modes
    assert set(modes.values()) == {0o600}, modes
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
