"""Opening the queue database fails for reasons other than damage: kept, and said clearly.

A database another process holds locked is not damaged and must never be set aside; a damaged one
that cannot be moved aside (the folder refuses the rename) is reported, not lost.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from desktop.engine.store import QueueStore
from desktop.errors import StateStoreError
from tests.unit.engine.test_store import make_job


def test_a_locked_database_is_reported_and_never_set_aside(tmp_path: Path) -> None:
    db = tmp_path / "queue.sqlite3"
    store = QueueStore(db)
    store.save_job(make_job("j1"))
    store.close()

    holder = sqlite3.connect(db, isolation_level=None)
    try:
        # Another process in the middle of a write: SQLite answers "database is locked" (busy),
        # which says nothing about the file being broken.
        holder.execute("PRAGMA journal_mode=DELETE")
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StateStoreError, match="database is locked"):
            QueueStore(db)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == []
    again = QueueStore(db)
    assert [j.job_id for j in again.load_jobs()] == ["j1"]
    again.close()


def test_a_damaged_database_that_cannot_be_moved_aside_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "queue.sqlite3"
    QueueStore(db).close()
    db.write_bytes(b"this is not sqlite" * 100)

    def refuse(self: Path, target: Path) -> Path:
        raise OSError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(StateStoreError, match="setting a damaged queue database aside"):
        QueueStore(db)
    assert db.read_bytes() == b"this is not sqlite" * 100  # nothing deleted or overwritten
