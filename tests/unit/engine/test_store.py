"""The queue database: round trips, migrations, durability rules and every failure path."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.engine.events import JobState
from desktop.engine.fingerprint import Fingerprint
from desktop.engine.growth import FileIdentity
from desktop.engine.jobs import Following, UploadJob
from desktop.engine.receipt import Receipt
from desktop.engine.store import MIGRATIONS, SCHEMA_VERSION, PartRecord, QueueStore
from desktop.errors import StateStoreError


def make_job(job_id: str = "j1", created_at: float = 1.0) -> UploadJob:
    return UploadJob(
        job_id=job_id,
        path=f"/rec/{job_id}.mp4",
        size=123,
        exam_id="E1",
        kind="screen",
        priority=2,
        created_at=created_at,
        fingerprint=Fingerprint(size=123, mtime_ns=99, sample="s" * 64),
    )


def make_receipt(upload_id: str = "up1", completed_at: str = "2026-01-01T00:00:00Z") -> Receipt:
    return Receipt(
        job_id="j1",
        path="/rec/j1.mp4",
        key="recordings/screen/x.mp4",
        size=123,
        sha256="a" * 64,
        etag="e-1",
        completed_at=completed_at,
        exam_id="E1",
        kind="screen",
        upload_id=upload_id,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[QueueStore]:
    s = QueueStore(tmp_path / "sub" / "queue.sqlite3")
    yield s
    s.close()


def test_new_database_is_at_the_latest_schema_in_wal_mode(store: QueueStore) -> None:
    assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    raw = sqlite3.connect(store.path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_job_round_trip_and_update(store: QueueStore) -> None:
    job = make_job()
    store.save_job(job)
    job.state = JobState.UPLOADING
    job.upload_id, job.key, job.part_size = "up1", "k1", 5 * 1024 * 1024
    job.error_title, job.error_message = "t", "m"
    store.save_job(job)
    (loaded,) = store.load_jobs()
    assert loaded.job_id == "j1"
    assert loaded.state is JobState.UPLOADING
    assert (loaded.upload_id, loaded.key, loaded.part_size) == ("up1", "k1", 5 * 1024 * 1024)
    assert (loaded.error_title, loaded.error_message) == ("t", "m")
    assert loaded.fingerprint == job.fingerprint
    assert (loaded.exam_id, loaded.kind, loaded.priority, loaded.size) == ("E1", "screen", 2, 123)


def test_save_job_can_store_another_state(store: QueueStore) -> None:
    job = make_job()
    job.state = JobState.PAUSED
    store.save_job(job, state=JobState.QUEUED)
    assert store.load_jobs()[0].state is JobState.QUEUED


def test_jobs_load_oldest_first(store: QueueStore) -> None:
    store.save_job(make_job("late", created_at=5.0))
    store.save_job(make_job("early", created_at=1.0))
    assert [j.job_id for j in store.load_jobs()] == ["early", "late"]


def test_parts_record_replace_and_cascade(store: QueueStore) -> None:
    store.save_job(make_job())
    store.record_part("j1", PartRecord(2, 10, "etag2", "md52"))
    store.record_part("j1", PartRecord(1, 10, "etag1", "md51"))
    store.record_part("j1", PartRecord(1, 10, "etag1b", "md51b"))  # a resend replaces
    assert store.parts("j1") == {
        1: PartRecord(1, 10, "etag1b", "md51b"),
        2: PartRecord(2, 10, "etag2", "md52"),
    }
    store.replace_parts("j1", [PartRecord(3, 7, "e3", "m3")])
    assert list(store.parts("j1")) == [3]
    store.delete_job("j1")
    assert store.parts("j1") == {}
    assert store.load_jobs() == []


def test_a_part_of_an_unknown_job_is_refused(store: QueueStore) -> None:
    with pytest.raises(StateStoreError, match="recording a finished part"):
        store.record_part("nope", PartRecord(1, 1, "e", "m"))


def test_receipts_survive_job_removal_and_are_idempotent(store: QueueStore) -> None:
    store.save_job(make_job())
    store.add_receipt(make_receipt("up2", "2026-01-02T00:00:00Z"))
    store.add_receipt(make_receipt("up1"))
    store.add_receipt(make_receipt("up1"))
    store.delete_job("j1")
    assert [r.upload_id for r in store.receipts()] == ["up1", "up2"]
    assert store.receipts()[0] == make_receipt("up1")


def test_reopening_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    first = QueueStore(path)
    first.save_job(make_job())
    first.record_part("j1", PartRecord(1, 5, "e", "m"))
    first.close()
    second = QueueStore(path)
    assert [j.job_id for j in second.load_jobs()] == ["j1"]
    assert second.parts("j1")[1].etag == "e"
    second.close()


def test_migrates_a_version_1_database(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(path)
    raw.executescript(MIGRATIONS[0])
    raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    raw.execute("INSERT INTO schema_version VALUES (1)")
    old = make_receipt("up0")
    raw.execute(
        "INSERT INTO receipts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (old.upload_id, old.job_id, old.path, old.key, old.size, old.sha256, old.etag,
         old.completed_at, old.exam_id, old.kind),
    )  # fmt: skip
    raw.commit()
    raw.close()
    store = QueueStore(path)
    assert store.schema_version == SCHEMA_VERSION
    names = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "receipts_by_time" in names
    # A receipt from before servers signed them keeps everything, and says it is unsigned.
    assert store.receipts() == [old]
    assert store.receipts()[0].signed == ""
    store.add_receipt(dataclasses.replace(make_receipt("up1"), signed="h.p.s"))
    assert store.receipts()[-1].signed == "h.p.s"
    store.close()


def test_a_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    raw.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION + 1,))
    raw.commit()
    raw.close()
    with pytest.raises(StateStoreError, match="newer version"):
        QueueStore(path)


def test_a_file_that_is_not_a_database_is_set_aside(tmp_path: Path) -> None:
    # More in test_store_damaged.py: receipts come back, the new database works.
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    store = QueueStore(path)
    assert store.quarantined is not None
    assert store.quarantined.read_bytes() == b"this is not sqlite" * 100
    assert store.load_jobs() == []
    store.close()


def test_an_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StateStoreError, match="opening the queue database"):
        QueueStore(blocker / "q.sqlite3")  # a folder cannot be made inside a file


def test_a_read_only_database_pauses_with_a_clear_message(store: QueueStore) -> None:
    store.save_job(make_job())
    store._db.execute("PRAGMA query_only = ON")
    with pytest.raises(StateStoreError, match="data folder is writable") as info:
        store.save_job(make_job("j2"))
    assert "Nothing already uploaded is lost" in info.value.message
    store._db.execute("PRAGMA query_only = OFF")
    assert [j.job_id for j in store.load_jobs()] == ["j1"]  # the failed write left no trace


def test_a_full_disk_says_so(store: QueueStore) -> None:
    store.save_job(make_job())
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")

    def fill() -> None:
        for i in range(10_000):
            store.record_part("j1", PartRecord(i + 1, 1, "e" * 200, "m" * 200))

    with pytest.raises(StateStoreError, match="disk is full"):
        fill()
    store._db.execute("PRAGMA max_page_count = 1073741823")
    store.record_part("j1", PartRecord(99_999, 1, "e", "m"))


def test_reads_after_close_are_store_errors(tmp_path: Path) -> None:
    store = QueueStore(tmp_path / "q.sqlite3")
    store.close()
    with pytest.raises(StateStoreError, match="loading the queue"):
        store.load_jobs()


def test_a_followed_recording_keeps_its_settle_time_and_file_identity(store: QueueStore) -> None:
    job = make_job()
    job.follow = Following(settle=12.5, identity=FileIdentity(device=64769, inode=424242))
    store.save_job(job)
    store.record_part(job.job_id, PartRecord(1, 5, "e1", "m1"))
    (loaded,) = store.load_jobs()
    assert loaded.follow == job.follow
    assert loaded.snapshot().following
    # Saved without it, the job loses its follow row and nothing else.
    job.follow = None
    store.save_job(job)
    (loaded,) = store.load_jobs()
    assert loaded.follow is None
    assert not loaded.snapshot().following
    assert list(store.parts(job.job_id)) == [1]
