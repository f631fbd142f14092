"""TransferConfig: how the engine moves bytes (concurrency, part size, limits, timeouts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop.engine.retry import Backoff

MIB = 1024 * 1024
#: Most files uploading at once, and most parts in flight across all of them: beyond these, more
#: connections only split the same bandwidth and cost memory and sockets.
MAX_FILES = 64
MAX_PARTS = 256


@dataclass(frozen=True, slots=True)
class TransferConfig:
    """Settings of one :class:`desktop.engine.queue.UploadQueue`.

    Memory does NOT grow with ``parts x part_size``: each part in flight streams from disk through
    one 512 KiB buffer (see ``transfer.py``), and each active file's reader hashes through one
    1 MiB buffer (``reader.py``), so large parts are cheap and only cut request overhead.

    Attributes:
        files: Files uploading at once (M).
        parts: Parts in flight at once across all files (N, one global budget).
        part_size: Preferred part size sent as a hint; the backend has the last word.
        bandwidth_limit: Bytes per second for all transfers together; 0 = unlimited.
        timeout: Seconds a storage connection may stall (connect, send or receive) before the part
            is retried.
        sign_batch: Part URLs signed per backend call. Small, so URLs are fresh when used.
        max_part_failures: Failed attempts of one part that storage refused, or that arrived
            damaged, before the job fails. Network failures, expired URLs and "busy, try later"
            answers (5xx, SlowDown, 429) never fail a job: they back off and try again.
        backoff: Retry waits (cap ~60 s).
        probe_cap: Longest wait between network probes while offline, seconds.
        ca_bundle: PEM bundle to verify storage TLS against; None = system store.
        follow_margin: Bytes a followed recording keeps back from its end while it grows (a
            writer may still be filling them).
    """

    files: int = 2
    parts: int = 8
    part_size: int = 16 * MIB
    bandwidth_limit: int = 0
    timeout: float = 60.0
    sign_batch: int = 16
    max_part_failures: int = 8
    backoff: Backoff = field(default_factory=Backoff)
    probe_cap: float = 30.0
    ca_bundle: str | None = None
    follow_margin: int = 1 * MIB

    def __post_init__(self) -> None:
        if not 1 <= self.files <= MAX_FILES:
            raise ValueError(f"files must be between 1 and {MAX_FILES}")
        if not 1 <= self.parts <= MAX_PARTS:
            raise ValueError(f"parts must be between 1 and {MAX_PARTS}")
        if self.bandwidth_limit < 0:
            raise ValueError("bandwidth_limit must be >= 0")
        if self.follow_margin < 0:
            raise ValueError("follow_margin must be >= 0")
        if self.part_size <= 0 or self.sign_batch <= 0 or self.timeout <= 0:
            raise ValueError("part_size, sign_batch and timeout must be positive")
