"""Processes writing one SQLite file take turns through its lock file, not SQLite's busy sleeps."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from backend.db import DatabaseError, open_database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX record locks")

# Another process of the backend, in the middle of its turn to write: it holds the turn until
# told to let go on stdin.
_HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()
fcntl.lockf(fd, fcntl.LOCK_UN)
"""


def test_a_write_waits_for_another_process_turn_and_goes_on_when_it_ends(
    tmp_path: Path,
) -> None:
    path = tmp_path / "backend.sqlite3"
    db = open_database(path)
    try:
        with subprocess.Popen(
            [sys.executable, "-c", _HOLDER, f"{path}.writers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        ) as holder:
            assert holder.stdout is not None
            assert holder.stdin is not None
            try:
                assert holder.stdout.readline().strip() == "held"
                wrote = threading.Event()

                def write() -> None:
                    db.claim("up_1", "worker-a", now=1.0, stale_before=0.0)
                    wrote.set()

                writer = threading.Thread(target=write, daemon=True)
                writer.start()
                # SQLite itself is not locked: without the turn this write would be done at once.
                assert not wrote.wait(0.5), "the write did not wait for the other process's turn"
                holder.stdin.write("\n")
                holder.stdin.flush()
                assert wrote.wait(30), "the write never went on after the turn ended"
                writer.join(30)
            finally:
                holder.kill()
        # The claim was written once, as asked.
        assert not db.claim("up_1", "worker-b", now=2.0, stale_before=0.0)
    finally:
        db.close()


def test_writes_within_one_process_still_run_one_after_another(tmp_path: Path) -> None:
    db = open_database(tmp_path / "backend.sqlite3")
    try:
        user = db.add_user("ann", "h", "user")
        # A transaction and a one-statement write in turn, from several threads at once.
        threads = [
            threading.Thread(target=db.reserve_key, args=(f"k/{n}", user.id, "single"))
            for n in range(20)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert [db.reserve_key(f"k/{n}", user.id, "single") for n in range(20)] == [False] * 20
    finally:
        db.close()


def test_a_turn_file_that_cannot_be_opened_is_a_database_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "backend.sqlite3"
    open_database(path).close()
    (tmp_path / "backend.sqlite3.writers").unlink()
    (tmp_path / "backend.sqlite3.writers").mkdir()  # what no write can take a turn on
    with pytest.raises(DatabaseError, match=r"cannot open the database .*backend\.sqlite3"):
        open_database(path)
