"""A damaged queue database: set aside, a new one started, the receipts restored from their file.

The damage is real: bytes written over the SQLite header (as the first-contact trial did), or
over a page in the middle of the file; SQLite itself decides the file cannot be read.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from desktop.engine.receipt import Receipt
from desktop.engine.receipt_log import ReceiptLog
from desktop.engine.store import PartRecord, QueueStore
from tests.unit.engine.test_store import make_job, make_receipt


def _filled(path: Path) -> list[Receipt]:
    store = QueueStore(path)
    receipts = [
        make_receipt("up1", "2026-01-01T00:00:00Z"),
        make_receipt("up2", "2026-01-02T00:00:00Z"),
    ]
    for r in receipts:
        store.add_receipt(r)
    store.save_job(make_job("j9"))
    store.record_part("j9", PartRecord(1, 5, "etag", "md5"))
    store.close()
    return receipts


def test_garbage_over_the_header_is_set_aside_and_receipts_come_back(tmp_path: Path) -> None:
    db = tmp_path / "queue.sqlite3"
    receipts = _filled(db)
    with db.open("r+b") as f:
        f.write(os.urandom(100))  # the 100-byte SQLite header, and then some
    damaged = db.read_bytes()

    store = QueueStore(db)
    assert store.quarantined is not None
    assert store.quarantined.name.startswith("queue.sqlite3.damaged-")
    assert store.quarantined.read_bytes() == damaged  # kept, byte for byte, for a closer look
    assert store.restored_receipts == 2
    assert store.receipts() == receipts
    assert store.load_jobs() == []  # jobs cannot be recovered; their files are added again
    store.save_job(make_job("j10"))  # the new database works
    store.close()

    again = QueueStore(db)  # healthy now: nothing more is set aside
    assert again.quarantined is None
    assert [j.job_id for j in again.load_jobs()] == ["j10"]
    assert again.receipts() == receipts
    again.close()


def test_a_malformed_page_inside_the_file_is_found_too(tmp_path: Path) -> None:
    db = tmp_path / "queue.sqlite3"
    store = QueueStore(db)
    for n in range(400):  # enough rows for several pages
        store.save_job(make_job(f"job-{n:04}-" + "x" * 200))
    store.add_receipt(make_receipt("up1"))
    store.close()
    size = db.stat().st_size
    assert size > 8 * 4096
    with db.open("r+b") as f:
        f.seek(size // 2 // 4096 * 4096)
        f.write(b"\xff" * 4096)  # one page in the middle, garbage
    store = QueueStore(db)
    assert store.quarantined is not None
    assert [r.upload_id for r in store.receipts()] == ["up1"]
    store.close()


def test_a_receipt_file_cut_short_by_a_crash_loses_only_its_last_line(tmp_path: Path) -> None:
    log = ReceiptLog(tmp_path / "receipts.jsonl")
    log.append([make_receipt("up1"), make_receipt("up2", "2026-01-03T00:00:00Z")])
    with log.path.open("a", encoding="utf-8") as f:
        f.write('{"job_id": "j3", "path": "/rec/x')  # the power went out mid-line
    assert [r.upload_id for r in log.read()] == ["up1", "up2"]


def test_an_existing_database_starts_its_receipt_file(tmp_path: Path) -> None:
    db = tmp_path / "queue.sqlite3"
    _filled(db)
    log = tmp_path / "receipts.jsonl"
    log.unlink()  # as written by a version that had no receipt file
    store = QueueStore(db)
    assert [r.upload_id for r in ReceiptLog(log).read()] == ["up1", "up2"]
    store.close()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_the_receipt_file_is_private(tmp_path: Path) -> None:
    _filled(tmp_path / "queue.sqlite3")
    mode = stat.S_IMODE((tmp_path / "receipts.jsonl").stat().st_mode)
    assert mode == 0o600
