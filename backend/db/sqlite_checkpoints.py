"""SQLite checkpoints of a serving process, on a thread of their own.

A checkpoint copies the WAL's pages into the database file and syncs both (two `fdatasync`s). By
default the commit that takes the WAL past 1,000 pages runs it, on the thread that committed: in a
server that is a worker's event loop, which stalls all its requests meanwhile. In an exam-end burst
(strace of both workers, 1,000 workstations at once) that was ~30 checkpoints, 60 syncs, 0.24 s
in all and up to 13 ms each. A serving process turns that off and checkpoints here instead, every
`EVERY_S`, in PASSIVE mode: it copies what no reader still needs and never waits for a writer, and
sqlite3 lets go of the GIL while it syncs, so requests go on meanwhile. A commit is made durable
against a power loss by the checkpoint after it (synchronous=NORMAL), as before, now within a
second rather than after the next 1,000 pages.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

EVERY_S = 1.0


@contextmanager
def checkpoints_in_background(path: str, every_s: float = EVERY_S) -> Iterator[None]:
    """Checkpoint the database at `path` every `every_s` while the block runs, and once more
    at its end."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_checkpoint_until, args=(path, every_s, stop), name="sqlite-checkpoints", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _checkpoint_until(path: str, every_s: float, stop: threading.Event) -> None:
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        logger.warning("Database %s: no background checkpoints (%s)", path, exc)
        return
    failing = False
    try:
        while True:
            stopping = stop.wait(every_s)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                failing = False
            except sqlite3.Error as exc:
                # Once per spell of failures: a full disk would otherwise log every second.
                if not failing:
                    logger.warning("Database %s: checkpoint failed (%s)", path, exc)
                failing = True
            if stopping:
                return
    finally:
        conn.close()
