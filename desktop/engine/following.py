"""A follow job's run: the queue's side of following a recording (the decisions are in
``follow.py``).

Each follow job runs on a thread of its own while its recording lasts (hours), so it never holds a
part worker or a control thread; a recorder writes a few Mbit/s, which one connection carries with
room to spare. Follow jobs are not counted in the ``files`` limit for the same reason. Parts are
signed one at a time with their checksum, as they become complete, and every stored part is
committed to the queue
database before the next one starts: a crash or a kill costs at most the part in flight, and the
next start follows the same file on (``GrowthWatcher`` refuses another file at that path).

A pause, the network going away, a sign-in that expired or a shutdown ends the run like any other;
when the job is queued again a new run reconciles with storage and goes on following.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path

from desktop.engine import checksums, fingerprint
from desktop.engine.checksums import PartHasher
from desktop.engine.control import ControlTasks, content_type
from desktop.engine.events import JobState
from desktop.engine.follow import Follower
from desktop.engine.growth import GrowthWatcher
from desktop.engine.lifecycle import JobLife, Toolkit
from desktop.engine.planner import PartRange
from desktop.engine.reader import hash_range
from desktop.engine.receipt import Receipt
from desktop.engine.runs import JobRun, reconcile
from desktop.engine.store import PartRecord
from desktop.engine.transfer import CancelledError, IntegrityError
from desktop.errors import (
    AuthError,
    BackendError,
    DataChangedError,
    NetworkError,
    StateStoreError,
    UploaderError,
    UploadExpiredError,
)

logger = logging.getLogger(__name__)


class _QueueSink:
    """Signs, sends and commits one part at a time for a follow run (a `FollowSink`)."""

    def __init__(self, life: JobLife, kit: Toolkit, run: JobRun) -> None:
        self._life = life
        self._kit = kit
        self._run = run

    def part_hash(self) -> PartHasher:
        # The checksum storage verifies for this upload, which the queue records for the part.
        return checksums.hasher(self._run.algorithm)

    def release_thread(self) -> None:
        self._kit.sender.close_thread_connections()

    def send_part(
        self, part: PartRange, *, cancelled: threading.Event, checksum: str | None = None
    ) -> PartRecord:
        life, kit, run = self._life, self._kit, self._run
        job = run.job
        attempt = strikes = 0
        # Signed into the URL, so storage stores exactly the bytes hashed (by the end pass, or
        # here, for a part sent while the recording grows) or refuses them.
        signed_with = checksum or hash_range(job.path, part, run.algorithm, cancelled)
        while True:
            if cancelled.is_set() or run.cancel.is_set():
                raise CancelledError
            upload_id = job.upload_id
            if upload_id is None:
                raise CancelledError  # the run was ended and its upload forgotten
            try:
                wire = {part.number: checksums.to_base64(signed_with)}
                signed = kit.api.sign_parts(upload_id, [part.number], checksums=wire).parts[0]
                result = kit.sender.put_part(
                    url=signed.url,
                    headers=signed.headers,
                    path=job.path,
                    offset=part.offset,
                    length=part.length,
                    cancelled=cancelled,
                    progress=_ignore,
                    expect_etag=signed_with if run.algorithm == checksums.MD5 else None,
                )
                record = PartRecord(part.number, part.length, result.etag, signed_with)
                if not life.current_run(run):
                    raise CancelledError
                kit.store.record_part(job.job_id, record)
                with run.lock:
                    run.done[part.number] = record
                return record
            except (AuthError, StateStoreError):
                raise
            except UploaderError as exc:
                if not exc.retryable:
                    raise
                attempt += 1
                if isinstance(exc, NetworkError):
                    life.network_suspect()  # if the server is gone, this run ends and waits
                elif isinstance(exc, UploadExpiredError):
                    if attempt > 3 * kit.config.max_part_failures:
                        raise
                    continue  # a fresh URL is signed on the next attempt
                elif isinstance(exc, IntegrityError):
                    if hash_range(job.path, part, run.algorithm, cancelled) != signed_with:
                        raise DataChangedError(
                            f"The recording {job.path} changed under part {part.number} while it "
                            "was being sent.",
                            title="Recording changed",
                        ) from None
                    strikes += 1
                    if strikes >= kit.config.max_part_failures:
                        raise
                wait = kit.config.backoff.delay(
                    attempt, retry_after=getattr(exc, "retry_after", None)
                )
                logger.info(
                    "job %s part %d: %s (attempt %d), retrying in %.1f s",
                    job.job_id,
                    part.number,
                    type(exc).__name__,
                    attempt,
                    wait,
                )
                if cancelled.wait(wait) or run.cancel.is_set():
                    raise CancelledError from None


def _ignore(_delta: int) -> None:
    """Bytes in flight are not shown while following: progress moves part by part."""


class FollowRun:
    """One activation of a follow job, on its own thread."""

    def __init__(self, life: JobLife, kit: Toolkit, control: ControlTasks, run: JobRun) -> None:
        """Prepare to run `run` (a job with ``follow`` set), changing its state through `life`
        and calling the backend through `control` (its retries and error policy)."""
        self._life = life
        self._kit = kit
        self._control = control
        self._run = run
        self.thread = threading.Thread(
            target=self._main, name=f"follow-{run.job.job_id[:8]}", daemon=True
        )

    def start(self) -> None:
        """Start following."""
        self.thread.start()

    def _main(self) -> None:
        try:
            self._control.run_step(self._run, self._follow)
        finally:
            self._kit.sender.close_thread_connections()

    def _progress(self, sent: int, size: int) -> None:
        run = self._run
        with run.job.lock:
            run.job.size = max(run.job.size, size)
        run.meter.total = max(run.meter.total, size)
        if run.meter.add(sent - run.meter.bytes_done):
            self._life.progress(run)

    def _prepare(self, run: JobRun) -> dict[int, PartRecord]:
        """Create the upload (size unknown), or reconcile with what storage holds: the parts
        already sent."""
        life, kit, control, job = self._life, self._kit, self._control, run.job
        if job.upload_id is None:
            created = control.call(
                run,
                lambda: kit.api.create_upload(
                    filename=Path(job.path).name,
                    size=None,
                    content_type=content_type(job.path),
                    metadata={"exam_id": job.exam_id, "kind": job.kind},
                    part_size=kit.config.part_size,
                    client_token=job.job_id,
                ),
            )
            with job.lock:
                job.upload_id = created.upload_id
                job.key = created.key
                job.part_size = created.part_size
                job.checksum_algorithm = created.checksum_algorithm
            run.algorithm = created.checksum_algorithm
            kit.store.replace_parts(job.job_id, [])
            kit.store.save_job(job)
            logger.info("job %s: following, part size %d", job.job_id, created.part_size)
            life.changed(job)
            return {}
        upload_id = job.upload_id
        run.algorithm = job.checksum_algorithm or checksums.MD5
        local = kit.store.parts(job.job_id)
        try:
            remote = control.call(run, lambda: kit.api.list_parts(upload_id))
        except BackendError as exc:
            if exc.code != "already_completed":
                raise
            # Completed before its answer was lost: completing again returns the receipt.
            return local
        # Reconciled like any resumed job: same number, size and ETag, and the checksum the
        # backend knows the part holds (a part re-sent with other bytes is not trusted).
        plan = [PartRange(n, (n - 1) * (job.part_size or 0), r.size) for n, r in local.items()]
        agreed, _ = reconcile(plan, local, remote)
        kit.store.replace_parts(job.job_id, list(agreed.values()))
        logger.info("job %s: following again with %d parts stored", job.job_id, len(agreed))
        return agreed

    def _follow(self, run: JobRun) -> None:
        life, kit, control, job = self._life, self._kit, self._control, run.job
        follow = job.follow
        assert follow is not None
        sent = self._prepare(run)
        with run.lock:
            run.done = dict(sent)
        part_size = job.part_size
        assert part_size is not None
        with GrowthWatcher(
            job.path,
            settle=follow.settle,
            identity=follow.identity,
            margin=kit.config.follow_margin,
        ) as watcher:
            follower = Follower(
                path=job.path,
                part_size=part_size,
                sink=_QueueSink(life, kit, run),
                watcher=watcher,
                cancelled=run.cancel,
                sent=sent,
                on_progress=self._progress,
                end_parallel=max(1, min(kit.config.parts, 8)),
            )
            outcome = follower.run()
        if not job.try_transition(JobState.VERIFYING):
            return
        with job.lock:
            job.size = outcome.size
        life.changed(job)
        upload_id = job.upload_id
        assert upload_id is not None
        answer = control.complete_verified(
            run, upload_id, outcome.parts, outcome.sha256, outcome.size, declare_size=True
        )
        receipt = Receipt.completed(
            answer,
            job_id=job.job_id,
            path=job.path,
            exam_id=job.exam_id,
            kind=job.kind,
            upload_id=upload_id,
            sha256=outcome.sha256,
        )
        kit.store.add_receipt(receipt)
        with job.lock:
            job.key = answer.key
            # From now on the job describes the finished file, like any other completed job.
            job.fingerprint = fingerprint.compute(job.path)
        logger.info(
            "job %s: recording of %d bytes completed; %d parts sent while recording, %d "
            "rewritten and sent again, %d sent at the end",
            job.job_id,
            outcome.size,
            len(outcome.sent_early),
            len(outcome.resent),
            len(outcome.sent_at_end),
        )
        life.emit("on_receipt", receipt=receipt)
        life.finish(job, JobState.COMPLETED, None)
        with contextlib.suppress(StateStoreError):
            kit.store.replace_parts(job.job_id, [])
