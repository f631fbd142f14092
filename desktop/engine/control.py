"""Control threads: each job's backend steps, from a priority queue in which completion comes first.

Prepare (fingerprint check, create or reconcile with the server), complete (wait for the reader's
SHA-256, re-check, complete with every part's checksum, compare storage's checksum of the whole
object with the one computed here, receipt) and abort run here, on two threads apart from the part
workers, so finished files are completed promptly even while every worker is busy sending.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue as stdqueue
import threading
import time
from collections.abc import Callable
from typing import NoReturn, TypeVar

from desktop import error_frames, platforms
from desktop.api.models import RemotePart, UploadReceipt
from desktop.engine import checksums, fingerprint, planner
from desktop.engine.events import JobState
from desktop.engine.jobs import UploadJob
from desktop.engine.lifecycle import JobLife, Toolkit
from desktop.engine.reader import SequentialReader, hash_range
from desktop.engine.receipt import Receipt
from desktop.engine.retry import call_with_retry
from desktop.engine.runs import JobRun, reconcile
from desktop.engine.store import PartRecord
from desktop.engine.transfer import CancelledError, IntegrityError
from desktop.errors import (
    BackendError,
    NetworkError,
    StateStoreError,
    UploaderError,
    UploadNotFoundError,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: The longest checking parts stored but never recorded waits for the first part to start sending.
_ADOPT_DELAY = 1.0


class ControlTasks:
    """Two threads running backend steps from a priority queue: completion before anything else."""

    COMPLETE, PREPARE, ABORT = 0, 1, 2

    def __init__(self, life: JobLife, kit: Toolkit, threads: int = 2) -> None:
        """Prepare the control threads for the jobs of `life`."""
        self._life = life
        self._kit = kit
        self._tasks: stdqueue.PriorityQueue[tuple[int, int, Callable[[], None] | None]] = (
            stdqueue.PriorityQueue()
        )
        self._seq = itertools.count()
        self._threads = [
            threading.Thread(target=self._loop, name=f"control-{i}", daemon=True)
            for i in range(threads)
        ]
        self._stop = threading.Event()

    def start(self) -> None:
        """Start the threads."""
        for t in self._threads:
            t.start()

    def stop(self, deadline: float | None) -> None:
        """Stop after the running tasks; pending ones are dropped (their jobs are persisted)."""
        self._stop.set()
        for _ in self._threads:
            self._tasks.put((-1, next(self._seq), None))
        for t in self._threads:
            if t.is_alive():
                t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def _loop(self) -> None:
        while True:
            _, _, task = self._tasks.get()
            if task is None or self._stop.is_set():
                return
            try:
                task()
            except Exception:  # last resort: log, and keep the thread alive for other jobs
                logger.exception("control task failed")

    def _submit(self, priority: int, task: Callable[[], None]) -> None:
        self._tasks.put((priority, next(self._seq), task))

    def submit_prepare(self, run: JobRun) -> None:
        """Queue the preparation of a newly admitted run."""
        self._submit(self.PREPARE, lambda: self._guard(run, self._prepare))

    def submit_complete(self, run: JobRun) -> None:
        """Queue a run's completion (once)."""
        with run.lock:
            if run.completing:
                return
            run.completing = True
        self._submit(self.COMPLETE, lambda: self._guard(run, self._complete))

    def submit_abort(self, job: UploadJob, upload_id: str) -> None:
        """Abort a cancelled or replaced upload on the server, retrying a few times."""
        self._submit(self.ABORT, lambda: self._abort(job, upload_id))

    def call(self, run: JobRun, fn: Callable[[], T]) -> T:
        """A backend call for `run`, retried like every control step's (follow runs use it)."""
        return self._call(run, fn)

    def run_step(self, run: JobRun, step: Callable[[JobRun], None]) -> None:
        """Run `step` on the calling thread with the control steps' error-to-state policy."""
        self._guard(run, step)

    def _call(self, run: JobRun, fn: Callable[[], T]) -> T:
        """A backend call retried with backoff while the run lives; transport errors make the
        queue check the network."""

        def on_retry(exc: UploaderError, attempt: int, wait: float) -> None:
            logger.info(
                "job %s: %s (attempt %d), retrying in %.1f s",
                run.job.job_id,
                type(exc).__name__,
                attempt,
                wait,
            )
            if isinstance(exc, NetworkError):
                self._life.network_suspect()

        return call_with_retry(
            fn, backoff=self._kit.config.backoff, stop=run.cancel, on_retry=on_retry
        )

    def _guard(self, run: JobRun, step: Callable[[JobRun], None]) -> None:
        if not self._life.current_run(run):
            return
        try:
            step(run)
        except UploaderError as exc:
            self._life.fail(run, exc)
        except CancelledError:
            return  # a file read stopped because the run was ended
        except Exception as exc:
            if run.cancel.is_set():
                return
            logger.exception("job %s: unexpected error", run.job.job_id)
            self._life.fail(run, UploaderError(f"Internal error: {exc!r}"))

    def _prepare(self, run: JobRun) -> None:
        life, kit = self._life, self._kit
        job = run.job
        # Retried like a backend call: a recorder holding the file (Windows) lets go in time.
        self._call(run, lambda: fingerprint.verify(job.path, job.fingerprint))
        unknown: list[RemotePart] = []
        if job.upload_id is None:
            created = self._call(
                run,
                lambda: kit.api.create_upload(
                    filename=platforms.file_name(job.path),
                    size=job.size,
                    content_type=content_type(job.path),
                    metadata={"exam_id": job.exam_id, "kind": job.kind},
                    part_size=planner.choose_part_size(job.size, kit.config.part_size),
                    # Asking again after a lost answer (or a crash) gets the same upload back
                    # instead of orphaning the first one.
                    client_token=job.job_id,
                ),
            )
            with job.lock:
                job.upload_id = created.upload_id
                job.key = created.key
                job.part_size = created.part_size
                job.checksum_algorithm = created.checksum_algorithm
            kit.store.replace_parts(job.job_id, [])
            kit.store.save_job(job)
            logger.info(
                "job %s: upload created, part size %d, %d parts",
                job.job_id,
                created.part_size,
                created.part_count,
            )
            life.changed(job)
            run.plan = planner.plan(job.size, created.part_size)
        else:
            assert job.part_size is not None
            upload_id = job.upload_id
            run.plan = planner.plan(job.size, job.part_size)
            local = kit.store.parts(job.job_id)
            try:
                remote = self._call(run, lambda: kit.api.list_parts(upload_id))
            except BackendError as exc:
                if exc.code != "already_completed":
                    raise
                # An earlier completion reached the backend but its answer was lost (crash,
                # network): completing again with the recorded parts returns its receipt.
                logger.info("job %s: completed on the server; fetching its receipt", job.job_id)
                remote = None
                agreed = dict(local)
            if remote is not None:
                agreed, unknown = reconcile(run.plan, local, remote)
            kit.store.replace_parts(job.job_id, list(agreed.values()))
            run.done = agreed
            logger.info(
                "job %s: resumed with %d of %d parts stored", job.job_id, len(agreed), len(run.plan)
            )
        if not life.current_run(run):
            return
        run.algorithm = job.checksum_algorithm or checksums.MD5
        run.start_parts(held=[rp.part_number for rp in unknown])
        self._start_reader(run)
        life.progress(run)
        with life.wake:
            life.wake.notify_all()
        # The missing parts are already on their way; meanwhile, parts storage holds that were
        # never committed here are checked against the file, so they need not be sent again.
        if unknown:
            self._adopt(run, unknown)
        if run.finished_sending:
            self.submit_complete(run)

    def _start_reader(self, run: JobRun) -> None:
        """Begin the run's sequential pass: SHA-256 and every part's checksum, a few parts ahead
        of the senders (twice the parts in flight: enough that senders never wait for it, few
        enough that what it read is still in the page cache when they send it)."""
        life = self._life
        lookahead = 2 * self._kit.config.parts + 2

        def hashed(number: int, checksum: str) -> bool:
            agreed = run.hashed(number, checksum)
            with life.wake:
                life.wake.notify_all()  # a worker may be waiting for this part's checksum
            return agreed

        def failed(error: UploaderError) -> None:
            logger.info("job %s: reading the file failed: %s", run.job.job_id, error.title)
            life.fail(run, error)

        run.reader = SequentialReader(
            run.job.path,
            run.job.size,
            run.plan,
            run.algorithm,
            turn=lambda number: run.reader_turn(number, lookahead),
            on_part=hashed,
            on_error=failed,
            name=f"reader-{run.job.job_id[:8]}",
        )

    def _adopt(self, run: JobRun, unknown: list[RemotePart]) -> None:
        """Keep parts storage holds that we never committed (a crash right after sending) when
        the checksum they hold (storage's listing, or the one the backend signed all their URLs
        with) equals the checksum of the same range of the file, or, on MD5 uploads, when their
        ETag equals its MD5; send the others again. A part re-sent with other bytes, or whose
        checksum is unknown, is never trusted."""
        life, kit = self._life, self._kit
        # Not needed for the first byte: let the missing parts start first (bounded wait).
        deadline = time.monotonic() + _ADOPT_DELAY
        while not run.sending.wait(0.05):
            if run.cancel.is_set() or time.monotonic() >= deadline:
                break
        adopted = 0
        for rp in unknown:
            part = run.plan[rp.part_number - 1]
            if run.algorithm == checksums.MD5:
                held = rp.etag.lower()
            else:
                held = checksums.from_base64(rp.checksum) if rp.checksum else ""
            digest = hash_range(run.job.path, part, run.algorithm, run.cancel) if held else ""
            if not held or digest != held or not life.current_run(run):
                run.part_returned(part.number)
                continue
            record = PartRecord(part.number, part.length, rp.etag, digest)
            kit.store.record_part(run.job.job_id, record)
            run.part_finished(record)
            adopted += 1
            if run.meter.add(part.length):
                life.progress(run)
        logger.info("job %s: %d parts recovered from storage", run.job.job_id, adopted)

    def _complete(self, run: JobRun) -> None:
        life, kit = self._life, self._kit
        job = run.job
        if not job.try_transition(JobState.VERIFYING):
            return
        life.changed(job)
        assert run.reader is not None
        assert job.upload_id is not None
        # The reader has checked every part against the checksum it was sent with; its SHA-256
        # is therefore the SHA-256 of exactly the bytes storage accepted.
        sha256 = run.reader.result(run.cancel)
        if sha256 is None:
            return
        # A mixed file is never completed: the file must still be exactly what was queued.
        self._call(run, lambda: fingerprint.verify(job.path, job.fingerprint))
        records = run.records()
        upload_id = job.upload_id
        receipt = self.complete_verified(run, upload_id, records, sha256, job.size)
        final = Receipt.completed(
            receipt,
            job_id=job.job_id,
            path=job.path,
            exam_id=job.exam_id,
            kind=job.kind,
            upload_id=upload_id,
            sha256=sha256,
        )
        kit.store.add_receipt(final)
        with job.lock:
            job.key = receipt.key
        logger.info("job %s completed: %d bytes, %d parts", job.job_id, job.size, len(records))
        # The receipt goes out before the state change, so whoever waits for "idle" has it.
        life.emit("on_receipt", receipt=final)
        life.finish(job, JobState.COMPLETED, None)
        with contextlib.suppress(StateStoreError):
            kit.store.replace_parts(job.job_id, [])

    def complete_verified(
        self,
        run: JobRun,
        upload_id: str,
        records: list[PartRecord],
        sha256: str,
        size: int,
        *,
        declare_size: bool = False,
    ) -> UploadReceipt:
        """Complete the upload from its parts and prove the object is the one hashed here.

        With a CRC, every part's CRC and the whole object's (combined from them) go with the
        completion; storage checks them again, and the CRC it reports for the object must equal
        the one computed here. With MD5, the multipart ETag must equal the one computed here.

        Raises:
            IntegrityError: Storage's object is not the one hashed here ("Verification failed";
                the upload is forgotten, so a retry starts a new one).
        """
        kit = self._kit
        named = [(r.number, r.etag) for r in records]
        crc = checksums.is_crc(run.algorithm)
        if crc:
            proof = checksums.to_base64(
                checksums.combine(run.algorithm, [(r.checksum, r.size) for r in records])
            )
            parts = {r.number: checksums.to_base64(r.checksum) for r in records}
        else:
            proof = checksums.multipart_etag([r.checksum for r in records])
            parts = {}
        try:
            receipt = self._call(
                run,
                lambda: kit.api.complete(
                    upload_id,
                    named,
                    sha256=sha256,
                    size=size if declare_size else None,
                    checksums=parts or None,
                    checksum=proof if crc else None,
                ),
            )
        except BackendError as exc:
            if exc.code != "checksum_mismatch":
                raise
            self._distrust(run, size, proof, "another")
        stored = (receipt.checksum or "") if crc else receipt.etag
        if receipt.size != size or stored.lower() != proof.lower():
            self._distrust(run, receipt.size, proof, stored)
        return receipt

    def _distrust(self, run: JobRun, size: int, proof: str, stored: str) -> NoReturn:
        """Storage's object is not the one hashed here: never say "verified"."""
        job = run.job
        # The stored object is not trusted: a retry must start a new upload, not re-complete this
        # one from the same parts.
        with job.lock:
            job.forget_upload()
        self._kit.store.replace_parts(job.job_id, [])
        self._kit.store.save_job(job)
        raise IntegrityError(
            error_frames.STORED_OBJECT_DIFFERS.format(
                stored_size=f"{size:,}", stored=stored or "none", size=f"{job.size:,}", proof=proof
            ),
            title="Verification failed",
            retryable=False,
        )

    def abort_now(self, job: UploadJob, upload_id: str) -> None:
        """Abort on the calling thread (a queue that was only loaded, e.g. the CLI's cancel)."""
        self._abort(job, upload_id)

    def _abort(self, job: UploadJob, upload_id: str) -> None:
        kit = self._kit
        stop = threading.Event()
        try:
            call_with_retry(
                lambda: kit.api.abort(upload_id),
                backoff=kit.config.backoff,
                stop=stop,
                max_attempts=4,
            )
            logger.info("job %s: upload aborted on the server", job.job_id)
        except UploadNotFoundError:
            pass
        except UploaderError as exc:
            # The bucket's AbortIncompleteMultipartUpload lifecycle rule is the backstop.
            logger.info(
                "job %s: abort failed (%s); storage lifecycle will clean up", job.job_id, exc.title
            )


def content_type(path: str) -> str:
    """The MIME type to store a file's object with."""
    import mimetypes  # only creating an upload needs it (it reads the system's type tables)

    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"
