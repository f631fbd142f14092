"""A serving process checkpoints SQLite on a thread of its own, not in the commits of requests."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from backend.db.sqlite import AUTOCHECKPOINT_PAGES, SQLiteDriver
from backend.db.sqlite_checkpoints import checkpoints_in_background


def _autocheckpoint(driver: SQLiteDriver) -> int:
    with driver.read() as tx:
        row = tx.one("PRAGMA wal_autocheckpoint")
    assert row is not None
    return int(next(iter(row.values())))


def _fill(driver: SQLiteDriver, rows: int) -> None:
    with driver.write_one() as tx:
        tx.run("CREATE TABLE IF NOT EXISTS filler (body TEXT)")
    for _ in range(rows):
        with driver.write_one() as tx:
            tx.run("INSERT INTO filler (body) VALUES (?)", ("x" * 3000,))


def test_while_serving_commits_leave_checkpoints_to_the_background(tmp_path: Path) -> None:
    path = tmp_path / "backend.sqlite3"
    driver = SQLiteDriver(path)
    try:
        assert _autocheckpoint(driver) == AUTOCHECKPOINT_PAGES
        with driver.serving():
            # Off on the connection that answers requests...
            assert _autocheckpoint(driver) == 0
            size_before = path.stat().st_size
            _fill(driver, 1500)  # well past 1,000 pages of WAL
            # ...and still the pages reach the database file, copied by the background thread.
            deadline = time.monotonic() + 30
            while path.stat().st_size <= size_before and time.monotonic() < deadline:
                time.sleep(0.1)
            assert path.stat().st_size > size_before + 1_000_000
        # Back to SQLite's own checkpoints once the process stops serving.
        assert _autocheckpoint(driver) == AUTOCHECKPOINT_PAGES
    finally:
        driver.close()


def test_the_background_thread_checkpoints_once_more_as_it_stops(tmp_path: Path) -> None:
    path = tmp_path / "backend.sqlite3"
    driver = SQLiteDriver(path)
    try:
        with driver.write_one() as tx:
            tx.run("PRAGMA wal_autocheckpoint=0")
        # An interval no test waits for: only the checkpoint at the end can copy the pages.
        with checkpoints_in_background(str(path), every_s=3600):
            _fill(driver, 50)
            size_during = path.stat().st_size
        assert path.stat().st_size > size_during
    finally:
        driver.close()


def test_a_database_that_cannot_be_checkpointed_is_logged_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A folder where the database file should be: the thread cannot open it, says so, and the
    # serving process goes on.
    with checkpoints_in_background(str(tmp_path), every_s=0.01):
        time.sleep(0.05)
    assert "no background checkpoints" in caplog.text
