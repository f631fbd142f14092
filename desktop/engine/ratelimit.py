"""One token bucket shared by every transfer, so the limit holds for the whole app, changeable live.

Senders ask for bytes before they send them, in chunks of at most `burst` bytes; a rate of 0 means
unlimited and costs one attribute read per chunk. Waiting is interruptible (a paused or cancelled
job must not sit in here).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """A thread-safe token bucket measured in bytes.

    Attributes:
        rate: Bytes per second; 0 = unlimited.
    """

    def __init__(
        self,
        rate: int = 0,
        *,
        burst_seconds: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a bucket refilled at `rate` bytes/s holding at most `burst_seconds` worth of
        bytes."""
        if rate < 0:
            raise ValueError("rate must be >= 0")
        self._clock = clock
        self._burst_seconds = burst_seconds
        self._cond = threading.Condition()
        self.rate = rate
        self._tokens = 0.0
        self._stamp = clock()

    @property
    def burst(self) -> int:
        """The largest chunk one `acquire` should ask for (at least 16 KiB)."""
        rate = self.rate
        return max(16 * 1024, int(rate * self._burst_seconds)) if rate else 1 << 30

    def set_rate(self, rate: int) -> None:
        """Change the limit now; waiters see it at once. 0 = unlimited."""
        if rate < 0:
            raise ValueError("rate must be >= 0")
        with self._cond:
            if rate == self.rate:
                return
            self._refill()
            self.rate = rate
            self._tokens = min(self._tokens, float(self.burst)) if rate else 0.0
            self._cond.notify_all()

    def _refill(self) -> None:
        now = self._clock()
        if self.rate:
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def acquire(self, nbytes: int, cancelled: threading.Event | None = None) -> bool:
        """Take `nbytes` tokens, waiting as needed; False if `cancelled` was set while waiting.

        A request larger than the burst is allowed to drive the bucket negative (it then pays its
        debt before the next caller proceeds), so big chunks never deadlock.
        """
        if self.rate == 0:
            return not (cancelled is not None and cancelled.is_set())
        with self._cond:
            while True:
                if cancelled is not None and cancelled.is_set():
                    return False
                if self.rate == 0:
                    return True
                self._refill()
                if self._tokens >= min(nbytes, self.burst):
                    self._tokens -= nbytes
                    return True
                wait = (min(nbytes, self.burst) - self._tokens) / self.rate
                # Wake at least every 100 ms to notice cancellation without a notify.
                self._cond.wait(timeout=min(max(wait, 0.001), 0.1))
