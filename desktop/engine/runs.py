"""One activation of a job: which parts are missing, in flight or done, each part's checksum, and
the URLs signed with them.

A :class:`JobRun` lives from the moment the queue admits a job until the job completes, fails or is
suspended; resuming creates a new run that reconciles with the server again. Stale workers of an
ended run can therefore never disturb the next one: they hold the old object, whose ``cancel`` is
set.
"""

from __future__ import annotations

import heapq
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from desktop.api.models import RemotePart, SignedPart
from desktop.engine import checksums
from desktop.engine.events import ProgressMeter
from desktop.engine.jobs import UploadJob
from desktop.engine.planner import PartRange
from desktop.engine.reader import SequentialReader
from desktop.engine.store import PartRecord


@dataclass(slots=True)
class _Url:
    url: str
    headers: dict[str, str]
    valid_until: float  # monotonic


@dataclass(slots=True)
class JobRun:
    """The in-memory state of one job while it is active. Guarded by `lock`.

    Attributes:
        job: The job.
        plan: Every part of the file.
        done: Parts stored and committed, by number.
        pending: Heap of part numbers still to send.
        in_flight: Part numbers a worker is sending.
        not_before: Monotonic time before which a part must not be retried (backoff).
        failures: Failed attempts per part, of every kind (they set the backoff).
        strikes: Failed attempts per part that count towards failing the job: not network errors,
            expired URLs or storage/backend answers saying "busy, try later", so a long run of
            random transient faults never ends an upload, while a part that storage keeps
            refusing (or that keeps arriving damaged) still does.
        cancel: Set when the run ends; workers stop at their next chunk.
        sending: Set once the run's first part bytes are on their way (or a part ended, or there
            is nothing to send): checking parts stored but never recorded waits for it, so it
            does not compete with the first part for the CPU.
        meter: Progress, speed and ETA.
        algorithm: The part checksum storage verifies (``CRC64NVME``, ``CRC32C`` or ``MD5``).
        checksums: Hex checksum of each part not yet done, as hashed (by the reader, or by a
            sender that got there first): the URL is signed with it, so storage stores exactly
            those bytes or none.
        reader: The sequential pass that hashes the file (SHA-256 and part checksums).
        reader_next: The part the reader hashes now (or next).
        completing: True once the completion task was queued.
    """

    job: UploadJob
    plan: list[PartRange]
    done: dict[int, PartRecord]
    meter: ProgressMeter
    pending: list[int] = field(default_factory=list)
    in_flight: dict[int, int] = field(default_factory=dict)
    not_before: dict[int, float] = field(default_factory=dict)
    failures: dict[int, int] = field(default_factory=dict)
    strikes: dict[int, int] = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)
    sending: threading.Event = field(default_factory=threading.Event)
    algorithm: str = checksums.MD5
    checksums: dict[int, str] = field(default_factory=dict)
    reader: SequentialReader | None = None
    reader_next: int = 1
    completing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    sign_lock: threading.Lock = field(default_factory=threading.Lock)
    urls: dict[int, _Url] = field(default_factory=dict)
    moved: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        # Notified when parts finish or the run ends: the reader waits on it for its turn.
        self.moved = threading.Condition(self.lock)

    def start_parts(self, held: list[int] | None = None) -> None:
        """Queue every part not yet done (except `held` ones, being checked) and reset the
        progress figures."""
        skip = set(held or ())
        with self.lock:
            self.pending = [
                p.number for p in self.plan if p.number not in self.done and p.number not in skip
            ]
            heapq.heapify(self.pending)
            self.meter.reset(sum(r.size for r in self.done.values()))
            if not self.pending:
                self.sending.set()  # nothing will send: nobody should wait for it

    @property
    def finished_sending(self) -> bool:
        """True when every part is done."""
        with self.lock:
            return len(self.done) == len(self.plan)

    def ready_part(self, now: float, near: int) -> PartRange | None:
        """Pop the lowest-numbered part whose backoff has passed and whose checksum is known, or
        which the reader reaches only after re-reading more than `near` parts already stored
        (on resume: its sender hashes it itself rather than wait); None if there is none."""
        with self.lock:
            if self.cancel.is_set():
                return None
            held: list[int] = []
            found = None
            while self.pending:
                number = heapq.heappop(self.pending)
                if self.not_before.get(number, 0.0) <= now and (
                    number in self.checksums or self._stored_before(number) > near
                ):
                    found = number
                    break
                held.append(number)
            for number in held:
                heapq.heappush(self.pending, number)
            if found is None:
                return None
            self.in_flight[found] = 0
            return self.plan[found - 1]

    def _stored_before(self, number: int) -> int:
        """Parts already stored that the reader still has to re-read before `number`."""
        return sum(1 for n in range(self.reader_next, number) if n in self.done)

    def next_wakeup(self, now: float) -> float | None:
        """The earliest monotonic time a backed-off part becomes ready, None if none waits (parts
        waiting for the reader are woken when it hashes them)."""
        with self.lock:
            times = [t for n in self.pending if (t := self.not_before.get(n, 0.0)) > now]
            return min(times) if times else None

    def part_finished(self, record: PartRecord) -> None:
        """A part was committed."""
        self.sending.set()
        with self.lock:
            self.in_flight.pop(record.number, None)
            self.not_before.pop(record.number, None)
            self.failures.pop(record.number, None)
            self.strikes.pop(record.number, None)
            self.checksums.pop(record.number, None)
            self.done[record.number] = record
            self.moved.notify_all()

    def part_returned(
        self, number: int, *, delay: float = 0.0, failed: bool = False, strike: bool = False
    ) -> int:
        """Put a part back for another attempt; returns its failure count (with `strike`, its
        strike count)."""
        self.sending.set()  # a part ended without its bytes: waiting for them would stall others
        with self.lock:
            self.in_flight.pop(number, None)
            self.urls.pop(number, None)  # re-sign on every retry
            if failed:
                self.failures[number] = self.failures.get(number, 0) + 1
            if strike:
                self.strikes[number] = self.strikes.get(number, 0) + 1
            if delay > 0:
                self.not_before[number] = time.monotonic() + delay
            if number not in self.done and number not in self.pending:
                heapq.heappush(self.pending, number)
            return (self.strikes if strike else self.failures).get(number, 0)

    def reader_turn(self, number: int, lookahead: int) -> bool:
        """Block until the reader may hash part `number`: at most `lookahead` parts beyond the
        lowest part not yet stored, so what it hashed is still in the page cache when a sender
        reads it again. False once the run has ended."""
        with self.moved:
            self.reader_next = number
            while not self.cancel.is_set():
                waiting = [*self.pending, *self.in_flight]
                if not waiting or number <= min(waiting) + lookahead:
                    return True
                self.moved.wait(0.2)
            return False

    def end(self) -> None:
        """Stop the run: workers stop at their next chunk, the reader at its next wait."""
        self.cancel.set()
        with self.moved:
            self.moved.notify_all()
        if self.reader is not None:
            self.reader.stop()

    def hashed(self, number: int, checksum: str) -> bool:
        """Record a part's checksum as hashed from the file; False when the part was already
        hashed (and perhaps sent or stored) with another one: the file changed between reads."""
        with self.lock:
            record = self.done.get(number)
            known = record.checksum if record is not None else self.checksums.get(number)
            if known is None:
                self.checksums[number] = checksum
                return True
            return known == checksum

    def checksum_of(self, number: int) -> str | None:
        """The hex checksum part `number` is signed with, once hashed."""
        with self.lock:
            return self.checksums.get(number)

    def take_url(self, number: int, now: float) -> _Url | None:
        """A still-fresh signed URL for the part, or None."""
        with self.lock:
            url = self.urls.get(number)
            if url is not None and url.valid_until > now:
                return url
            return None

    def numbers_to_sign(self, number: int, batch: int, now: float) -> dict[int, str]:
        """`number` plus the next pending parts already hashed and lacking a fresh URL, at most
        `batch` in all, with their base64 checksums."""
        with self.lock:
            chosen = {number: checksums.to_base64(self.checksums[number])}
            for n in sorted(self.pending):
                if len(chosen) >= batch:
                    break
                cached = self.urls.get(n)
                known = self.checksums.get(n)
                if known is not None and (cached is None or cached.valid_until <= now):
                    chosen[n] = checksums.to_base64(known)
            return chosen

    def store_urls(self, parts: list[SignedPart], expires_at: str, now: float) -> None:
        """Remember freshly signed URLs, trusting them for 3/4 of their stated life."""
        lifetime = _seconds_until(expires_at)
        with self.lock:
            for p in parts:
                self.urls[p.part_number] = _Url(p.url, dict(p.headers), now + 0.75 * lifetime)

    def records(self) -> list[PartRecord]:
        """Every stored part, in order."""
        with self.lock:
            return [self.done[n] for n in sorted(self.done)]


def _seconds_until(iso: str) -> float:
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return 60.0
    if when.tzinfo is None:
        return 60.0
    return max(0.0, when.timestamp() - time.time())


def reconcile(
    plan: list[PartRange],
    local: dict[int, PartRecord],
    remote: list[RemotePart],
) -> tuple[dict[int, PartRecord], list[RemotePart]]:
    """Match locally recorded parts with what storage holds.

    Returns:
        The parts both sides agree on (same number, size and ETag, and the same checksum when the
        backend knows which one the part holds), and the remote parts we have no matching record
        of (sent before a crash but not yet committed, or re-sent since): the caller may verify
        those against the file instead of sending them again.
    """
    by_number = {p.number: p for p in plan}
    agreed: dict[int, PartRecord] = {}
    unknown: list[RemotePart] = []
    for rp in remote:
        want = by_number.get(rp.part_number)
        if want is None or rp.size != want.length:
            continue
        mine = local.get(rp.part_number)
        if (
            mine is not None
            and mine.etag.lower() == rp.etag.lower()
            and mine.size == rp.size
            and (rp.checksum is None or checksums.from_base64(rp.checksum) == mine.checksum)
        ):
            agreed[rp.part_number] = mine
        else:
            unknown.append(rp)
    return agreed, unknown
