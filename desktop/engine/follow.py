"""Sending a recording while it is being written, so only its tail is left when it ends.

How (issue 13):

1. While the recording grows, every full part that lies behind the safe end (the size less a
   margin, see ``growth.py``) is sent as soon as it is complete, one at a time: a recorder writes
   a few Mbit/s, far less than one connection carries.
2. When the recording ends (its writer closed it, or it settled), one sequential pass over the
   final file computes its SHA-256 and every part's checksum. A part sent earlier whose bytes
   are no longer the same (muxers go back and rewrite their headers: see docs/engine.md) is sent
   again under the same number, which storage replaces; the parts never sent (the tail) go too.
   These start as soon as the pass has hashed them, several at once.
3. Every part sent at the end must carry exactly the checksum the pass computed, so the SHA-256
   describes the bytes storage holds; any difference means the file changed after it ended, and
   the job ends as changed.

Everything that touches the network or the job's records is behind :class:`FollowSink`; this
module only decides what to send, and when.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from desktop.engine import planner
from desktop.engine.checksums import PartHasher
from desktop.engine.growth import Growth, GrowthWatcher
from desktop.engine.planner import PartRange
from desktop.engine.store import PartRecord
from desktop.engine.transfer import CancelledError
from desktop.errors import DataChangedError, UploaderError

logger = logging.getLogger(__name__)

_READ = 1024 * 1024


class FollowSink(Protocol):
    """Where parts go: it signs, sends (retrying what can be retried) and records them."""

    def send_part(
        self, part: PartRange, *, cancelled: threading.Event, checksum: str | None = None
    ) -> PartRecord:
        """Send bytes ``[part.offset, part.end)`` of the file as `part.number` and record it.

        With `checksum` (hex, the end pass's) the part is signed with it, so storage refuses
        other bytes; without, the sink hashes the part itself first.

        Raises:
            CancelledError: `cancelled` was set.
            UploaderError: The part cannot be stored.
        """

    def part_hash(self) -> PartHasher:
        """A fresh checksum of the kind ``send_part`` records."""

    def release_thread(self) -> None:
        """Free what the calling thread holds (its connections): its work here is done."""


@dataclass(frozen=True, slots=True)
class FollowOutcome:
    """A followed recording, every part stored.

    Attributes:
        size: The final file's size.
        sha256: The final file's SHA-256, hex.
        parts: Every part, in order, as storage holds it.
        sent_early: Parts sent while it was still being recorded (and kept).
        resent: Parts sent while recording that the recorder rewrote, sent again at the end.
        sent_at_end: Parts first sent after the recording ended (the tail).
    """

    size: int
    sha256: str
    parts: list[PartRecord]
    sent_early: list[int]
    resent: list[int]
    sent_at_end: list[int]


class Follower:
    """Follows one recording to its end and sends it; see the module docstring."""

    def __init__(
        self,
        *,
        path: str,
        part_size: int,
        sink: FollowSink,
        watcher: GrowthWatcher,
        cancelled: threading.Event,
        sent: Mapping[int, PartRecord] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        end_parallel: int = 4,
        poll: float = 0.25,
    ) -> None:
        """Prepare to follow `path`.

        Args:
            path: The recording.
            part_size: Bytes per part (fixed for the upload: its final size is unknown).
            sink: Sends and records parts.
            watcher: Tells how far the file may be read and when it ended.
            cancelled: Stops following (pause, shutdown); :meth:`run` then raises CancelledError.
            sent: Parts already stored (a resumed job).
            on_progress: Told ``(bytes stored, bytes recorded so far)`` after each change.
            end_parallel: Parts sent at once after the recording ended.
            poll: Seconds between looks at the file while it grows.
        """
        self._path = path
        self._part_size = part_size
        self._sink = sink
        self._watcher = watcher
        self._cancelled = cancelled
        self._sent: dict[int, PartRecord] = dict(sent or {})
        self._on_progress = on_progress
        self._end_parallel = max(1, end_parallel)
        self._poll = poll
        self._lock = threading.Lock()

    @property
    def bytes_sent(self) -> int:
        """Bytes of the parts stored so far."""
        with self._lock:
            return sum(r.size for r in self._sent.values())

    def _progress(self, size: int) -> None:
        if self._on_progress is not None:
            self._on_progress(self.bytes_sent, size)

    def run(self) -> FollowOutcome:
        """Follow until the recording ends, then send what is left.

        Raises:
            CancelledError: Following was cancelled.
            DataChangedError: The file shrank, vanished, was replaced, or changed after it ended.
            UploaderError: A part could not be stored, or the recording outgrew the upload.
        """
        growth = self._follow()
        return self._finish(growth)

    def _ready(self, safe_end: int) -> list[PartRange]:
        """Full parts behind the safe end that are not stored yet, lowest first (a few)."""
        ready = []
        for number in range(1, safe_end // self._part_size + 1):
            if number in self._sent:
                continue
            if number > planner.MAX_PARTS:
                raise UploaderError(
                    f"The recording grew beyond what one upload can hold ({planner.MAX_PARTS:,} "
                    f"parts of {self._part_size:,} bytes).",
                    title="Recording too large",
                    retryable=False,
                )
            ready.append(PartRange(number, (number - 1) * self._part_size, self._part_size))
            if len(ready) >= self._end_parallel:
                break
        return ready

    def _follow(self) -> Growth:
        growth = self._watcher.check()
        while True:
            if self._cancelled.is_set():
                raise CancelledError
            ready = [] if growth.ended else self._ready(growth.safe_end)
            if len(ready) == 1:
                record = self._sink.send_part(ready[0], cancelled=self._cancelled)
                with self._lock:
                    self._sent[record.number] = record
                self._progress(growth.size)
            elif ready:
                # Behind the recorder (a fast writer, or back from a network cut): catch up with
                # several parts at once.
                for record in self._send_together(ready):
                    with self._lock:
                        self._sent[record.number] = record
                self._progress(growth.size)
            if ready:
                growth = self._watcher.check()
                continue
            if growth.ended:
                logger.info(
                    "recording ended (%s) at %d bytes; %d parts sent while recording",
                    "closed" if growth.closed else "settled",
                    growth.size,
                    len(self._sent),
                )
                return growth
            growth = self._watcher.wait(self._poll, self._cancelled)
            self._progress(growth.size)

    def _send_together(self, parts: list[PartRange]) -> list[PartRecord]:
        stop = threading.Event()
        with ThreadPoolExecutor(len(parts), thread_name_prefix="follow-send") as pool:
            futures = [pool.submit(self._send_pooled, part, stop) for part in parts]
            try:
                return [self._result(f, stop) for f in futures]
            finally:
                stop.set()

    def _finish(self, growth: Growth) -> FollowOutcome:
        size = growth.size
        try:
            plan = planner.plan(size, self._part_size)
        except ValueError as exc:
            raise UploaderError(str(exc), title="Recording too large", retryable=False) from None
        # Shrunk, replaced or gone since: the watcher says so in its own words.
        if self._watcher.check().size != size:
            raise DataChangedError(
                f"The recording {self._path} grew again after it had not changed for "
                f"{self._watcher.settle:g} s (a recorder that paused for longer than the settle "
                "time?). Retry it once the recording has ended.",
                title="Recording changed",
            )
        before = self._stat()
        early = {n for n in self._sent if n <= len(plan)}
        resent: list[int] = []
        fresh: list[int] = []
        futures: dict[int, tuple[Future[PartRecord], str]] = {}
        sha = hashlib.sha256()
        view = memoryview(bytearray(_READ))
        # Its own stop: a part that fails stops the other end sends at once, without ending the
        # job's run (whoever runs us decides what the failure means).
        stop = threading.Event()
        with (
            open(self._path, "rb", buffering=0) as f,
            ThreadPoolExecutor(self._end_parallel, thread_name_prefix="follow-end") as pool,
            ThreadPoolExecutor(1, thread_name_prefix="follow-sha256") as sha_thread,
        ):
            try:
                for part in plan:
                    digest = self._hash_part(f, part, sha, view, sha_thread)
                    kept = self._sent.get(part.number)
                    if kept is not None and kept.size == part.length and kept.checksum == digest:
                        continue
                    (resent if kept is not None else fresh).append(part.number)
                    futures[part.number] = (
                        pool.submit(self._send_pooled, part, stop, digest),
                        digest,
                    )
                for number, (future, digest) in futures.items():
                    record = self._result(future, stop)
                    if record.checksum != digest:
                        raise DataChangedError(
                            f"The recording {self._path} changed after it ended.",
                            title="Recording changed",
                        )
                    with self._lock:
                        self._sent[number] = record
                    self._progress(size)
            finally:
                stop.set()
        self._watcher.check()
        after = self._stat()
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise DataChangedError(
                f"The recording {self._path} changed while its last parts were sent.",
                title="Recording changed",
            )
        parts = [self._sent[p.number] for p in plan]
        logger.info(
            "recording of %d bytes stored: %d parts kept from while recording, %d rewritten and "
            "sent again, %d sent at the end",
            size,
            len(early) - len(resent),
            len(resent),
            len(fresh),
        )
        return FollowOutcome(
            size=size,
            sha256=sha.hexdigest(),
            parts=parts,
            sent_early=sorted(early - set(resent)),
            resent=resent,
            sent_at_end=fresh,
        )

    def _send_pooled(
        self, part: PartRange, stop: threading.Event, digest: str | None = None
    ) -> PartRecord:
        # Pool threads end with their batch: nothing they opened may outlive it.
        try:
            return self._sink.send_part(part, cancelled=stop, checksum=digest)
        finally:
            self._sink.release_thread()

    def _result(self, future: Future[PartRecord], stop: threading.Event) -> PartRecord:
        """The part's record, once sent; a cancelled job stops the end sends too."""
        while True:
            if self._cancelled.is_set():
                stop.set()
            try:
                return future.result(timeout=0.1)
            except TimeoutError:
                continue

    def _hash_part(
        self,
        f: io.FileIO,
        part: PartRange,
        sha: hashlib._Hash,
        view: memoryview,
        sha_thread: ThreadPoolExecutor,
    ) -> str:
        """Read one part once: it feeds both the file's SHA-256 (on another thread, at the same
        time: hashlib lets go of the GIL, so the two hashes use both cores) and the part's
        checksum."""
        digest = self._sink.part_hash()
        left = part.length
        while left > 0:
            if self._cancelled.is_set():
                raise CancelledError
            n = f.readinto(view[: min(len(view), left)])
            if not n:
                raise DataChangedError(
                    f"The recording {self._path} became shorter after it ended.",
                    title="Recording shortened",
                )
            chunk = view[:n]
            both = sha_thread.submit(sha.update, chunk)
            digest.update(chunk)
            both.result()  # the buffer is read again only once both are done with it
            left -= n
        return digest.hexdigest()

    def _stat(self) -> os.stat_result:
        try:
            return os.stat(self._path)
        except OSError as exc:
            raise DataChangedError(
                f"The recording {self._path} is gone ({exc.strerror}).", title="Recording gone"
            ) from None
