"""Saving a job never drops its recorded parts (found by the chaos soak, tests/soak).

``INSERT OR REPLACE`` deletes the old row before inserting the new one, and with foreign keys on,
that delete cascaded to the job's parts: every state change wiped the parts already recorded.
"""

from __future__ import annotations

from pathlib import Path

from desktop.engine.events import JobState
from desktop.engine.fingerprint import Fingerprint
from desktop.engine.jobs import UploadJob
from desktop.engine.store import PartRecord, QueueStore


def test_saving_a_job_again_keeps_its_parts(tmp_path: Path) -> None:
    store = QueueStore(tmp_path / "queue.sqlite3")
    try:
        job = UploadJob(
            job_id="j1",
            path="/rec/j1.mp4",
            size=10,
            exam_id="E1",
            kind="webcam",
            priority=0,
            created_at=1.0,
            fingerprint=Fingerprint(size=10, mtime_ns=1, sample="s" * 64),
        )
        store.save_job(job)
        parts = [PartRecord(1, 5, "e1", "e1"), PartRecord(2, 5, "e2", "e2")]
        for part in parts:
            store.record_part("j1", part)
        job.upload_id, job.key, job.part_size = "up_1", "recordings/k", 5
        store.save_job(job)  # e.g. the upload id learnt, an error shown
        store.save_job(job, state=JobState.QUEUED)  # what shutdown does
        assert store.parts("j1") == {1: parts[0], 2: parts[1]}
        (loaded,) = store.load_jobs()
        assert (loaded.upload_id, loaded.key, loaded.state) == (
            "up_1",
            "recordings/k",
            JobState.QUEUED,
        )
        store.delete_job("j1")
        assert store.parts("j1") == {}  # removing the job itself still removes its parts
    finally:
        store.close()
