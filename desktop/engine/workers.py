"""Part workers: N threads sharing one global budget of parts in flight, resized live.

A worker takes the lowest-numbered ready part of the highest-priority active run (one whose checksum
the reader has computed, or one far beyond the reader, which the worker hashes itself), signs its
URL with that checksum lazily (with the next parts already hashed, a fresh URL for every retry),
sends it, commits it, and reports. Every exception becomes job state here, so the proctor sees it
on the row; nothing escapes a thread, and errors of a run that already ended never touch its job.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable

from desktop.engine import checksums
from desktop.engine.events import JobState
from desktop.engine.lifecycle import JobLife, Toolkit
from desktop.engine.planner import PartRange
from desktop.engine.reader import hash_range
from desktop.engine.runs import JobRun
from desktop.engine.store import PartRecord
from desktop.engine.transfer import CancelledError, IntegrityError, StorageError
from desktop.errors import (
    AuthError,
    BackendError,
    DataChangedError,
    FileInUseError,
    NetworkError,
    StateStoreError,
    UploaderError,
    UploadExpiredError,
)

logger = logging.getLogger(__name__)

_LINKS_REFUSED = UploaderError(
    "Storage keeps refusing freshly signed upload links. Check the computer's clock and the "
    "server's storage settings.",
    title="Upload links refused",
)


class PartWorkers:
    """N threads sending parts; N changes live."""

    def __init__(
        self, life: JobLife, kit: Toolkit, count: int, complete: Callable[[JobRun], None]
    ) -> None:
        """Prepare `count` workers for the jobs of `life` (started by :meth:`start`); `complete`
        queues a run's completion once its last part is stored."""
        self._life = life
        self._kit = kit
        self._complete = complete
        self._target = count
        self._threads: dict[int, threading.Thread] = {}
        self._started = False
        self._ids = itertools.count()

    def start(self) -> None:
        """Start the workers."""
        with self._life.wake:
            self._started = True
            self._spawn()

    def _spawn(self) -> None:
        alive = {i: t for i, t in self._threads.items() if t.is_alive()}
        self._threads = alive
        slots = sorted(alive)
        for slot in range(self._target):
            if slot not in slots:
                t = threading.Thread(
                    target=self._loop, args=(slot,), name=f"part-{slot}", daemon=True
                )
                self._threads[slot] = t
                t.start()

    def resize(self, count: int) -> None:
        """Run `count` workers from now on (extra ones exit after their current part)."""
        with self._life.wake:
            self._target = count
            if self._started:
                self._spawn()
            self._life.wake.notify_all()

    def stop(self, deadline: float | None) -> None:
        """Join the workers (the queue has already cancelled every run)."""
        with self._life.wake:
            self._target = 0
            self._life.wake.notify_all()
            threads = list(self._threads.values())
        for t in threads:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def _take(self, slot: int) -> tuple[JobRun, PartRange] | None:
        life, kit = self._life, self._kit
        with life.wake:
            while True:
                if life.closed or slot >= self._target:
                    return None
                now = time.monotonic()
                wakeups = []
                for run in life.runs():
                    if run.completing or not run.plan:
                        continue
                    part = run.ready_part(now, near=kit.config.parts)
                    if part is not None:
                        return run, part
                    nxt = run.next_wakeup(now)
                    if nxt is not None:
                        wakeups.append(nxt)
                wait = min(wakeups) - now if wakeups else 1.0
                life.wake.wait(max(0.01, min(wait, 1.0)))

    def _loop(self, slot: int) -> None:
        try:
            while True:
                item = self._take(slot)
                if item is None:
                    return
                run, part = item
                try:
                    self._send(run, part)
                except Exception as exc:  # last resort: a bug fails the job, never the thread
                    run.part_returned(part.number)
                    if not self._life.current_run(run):
                        continue
                    logger.exception(
                        "part %d of job %s: unexpected error", part.number, run.job.job_id
                    )
                    self._life.fail(run, UploaderError(f"Internal error: {exc!r}"))
        finally:
            self._kit.sender.close_thread_connections()

    def _url(self, run: JobRun, number: int) -> tuple[str, dict[str, str]]:
        kit = self._kit
        now = time.monotonic()
        cached = run.take_url(number, now)
        if cached is not None:
            return cached.url, cached.headers
        with run.sign_lock:
            now = time.monotonic()
            cached = run.take_url(number, now)
            if cached is None:
                batch = min(kit.config.sign_batch, max(2, 2 * kit.config.parts))
                wanted = run.numbers_to_sign(number, batch, now)
                upload_id = run.job.upload_id
                if upload_id is None or run.cancel.is_set():
                    raise CancelledError  # the run was ended and its upload forgotten
                signed = kit.api.sign_parts(upload_id, list(wanted), checksums=wanted)
                run.store_urls(signed.parts, signed.expires_at, time.monotonic())
                cached = run.take_url(number, time.monotonic() - 1e9)
            if cached is None:
                raise UploaderError("The server did not sign a requested part.", retryable=True)
            return cached.url, cached.headers

    def _send(self, run: JobRun, part: PartRange) -> None:
        life, kit = self._life, self._kit
        job = run.job

        def progress(delta: int) -> None:
            if not run.sending.is_set():
                run.sending.set()  # the first bytes are out; deferred work may begin
            if run.meter.add(delta):
                life.progress(run)

        started = time.monotonic()
        try:
            checksum = self._checksum(run, part)
            url, headers = self._url(run, part.number)
            result = kit.sender.put_part(
                url=url,
                headers=headers,
                path=job.path,
                offset=part.offset,
                length=part.length,
                cancelled=run.cancel,
                progress=progress,
                expect_etag=checksum if run.algorithm == checksums.MD5 else None,
            )
            record = PartRecord(part.number, part.length, result.etag, checksum)
            if not life.current_run(run):
                return
            kit.store.record_part(job.job_id, record)
        except CancelledError:
            run.part_returned(part.number)
            return
        except UploaderError as exc:
            if not life.current_run(run):
                # The run ended meanwhile (pause, restart, network wait): its errors are moot.
                run.part_returned(part.number)
                return
            self._handle(run, part, exc)
            return
        run.part_finished(record)
        if job.error_title is not None and job.state is JobState.UPLOADING:
            job.set_error(None)  # the trouble that made parts retry is over
            life.changed(job)
        logger.debug(
            "job %s part %d: %d bytes in %.2f s",
            job.job_id,
            part.number,
            part.length,
            time.monotonic() - started,
        )
        if run.finished_sending:
            self._complete(run)
        with life.wake:
            life.wake.notify_all()

    @staticmethod
    def _checksum(run: JobRun, part: PartRange) -> str:
        """The part's checksum: the reader's, or (far ahead of the reader, e.g. the missing parts
        on resume) hashed here; the reader checks it against its own when it gets there."""
        known = run.checksum_of(part.number)
        if known is not None:
            return known
        computed = hash_range(run.job.path, part, run.algorithm, run.cancel)
        if not run.hashed(part.number, computed):
            raise _changed(run, part)
        return computed

    def _handle(self, run: JobRun, part: PartRange, exc: UploaderError) -> None:
        life, kit = self._life, self._kit
        job = run.job
        if isinstance(exc, UploadExpiredError):
            # Not a failure: the URL aged out. A fresh one is signed for the next attempt; a
            # persistent 403 (a broken signature) still ends after many attempts.
            logger.info("part %d of job %s: URL expired, re-signing", part.number, job.job_id)
            count = run.part_returned(part.number, failed=True)
            if count > 3 * kit.config.max_part_failures:
                life.finish(job, JobState.FAILED, _LINKS_REFUSED)
            return
        if exc.retryable and not isinstance(exc, (StateStoreError, AuthError)):
            self._failed(run, part, exc)
            return
        run.part_returned(part.number)
        self._life.fail(run, exc)

    def _failed(self, run: JobRun, part: PartRange, exc: UploaderError) -> None:
        life, kit = self._life, self._kit
        job = run.job
        network = isinstance(exc, NetworkError)
        # "Busy, try later" answers (5xx, SlowDown, 429) are transient like transport failures; a
        # CI run once saw a part fail its job after a mix of resets, expiries and 500s under random
        # faults. Only refusals and repeated integrity mismatches are strikes.
        # A recorder holding the file (Windows) lets go in its own time: waiting is not a strike.
        transient = (
            network
            or isinstance(exc, FileInUseError)
            or (
                isinstance(exc, (StorageError, BackendError))
                and exc.retryable
                and (exc.status >= 500 or exc.status in (408, 429) or exc.code == "SlowDown")
            )
        )
        if isinstance(exc, IntegrityError) and self._source_changed(run, part):
            run.part_returned(part.number)
            life.finish(job, JobState.SOURCE_CHANGED, _changed(run, part))
            return
        attempts = run.failures.get(part.number, 0) + 1
        delay = kit.config.backoff.delay(attempts, retry_after=getattr(exc, "retry_after", None))
        run.part_returned(part.number, delay=delay, failed=True)
        count = run.part_returned(part.number, strike=not transient)
        logger.info(
            "job %s part %d: %s (attempt %d), retrying in %.1f s",
            job.job_id,
            part.number,
            type(exc).__name__,
            count,
            delay,
        )
        if not transient and count >= kit.config.max_part_failures:
            life.finish(job, JobState.FAILED, exc)
            return
        if attempts >= 2:
            job.set_error(exc)
            life.changed(job)
        if network:
            life.network_suspect()

    @staticmethod
    def _source_changed(run: JobRun, part: PartRange) -> bool:
        """After a refusal (BadDigest): whether the part's bytes on disk now differ from the
        checksum its URL was signed with (the file changed), rather than damage on the way."""
        signed = run.checksum_of(part.number)
        try:
            now = hash_range(run.job.path, part, run.algorithm, run.cancel)
        except DataChangedError:
            return True
        except CancelledError:
            return False
        return signed is not None and now != signed


def _changed(run: JobRun, part: PartRange) -> DataChangedError:
    return DataChangedError(
        f"The recording {run.job.path} changed while it was being uploaded (part {part.number} "
        "no longer has the bytes that were hashed), so storage refused it and nothing was "
        "completed. If the new version is the one to keep, retry the upload to send it whole."
    )
