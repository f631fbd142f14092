"""When to try again, and how long to wait: capped exponential backoff with jitter,
so a thousand clients that failed together do not retry together.

The wait is a uniform draw from the upper half of the exponential ceiling ("equal jitter"): it
spreads the retries of many parts and many workstations, so an exam-end burst that got a 503 does
not come back as one synchronized wave, while still guaranteeing a real pause after each failure.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from desktop.errors import AuthError, UploaderError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with equal jitter.

    Attributes: base: Ceiling of the first wait, seconds. cap: Largest wait, seconds (~60 s: a long
        outage is probed about once a minute). factor: Growth per attempt.
    """

    base: float = 0.5
    cap: float = 60.0
    factor: float = 2.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def ceiling(self, attempt: int) -> float:
        """The largest wait after the `attempt`-th consecutive failure (1-based)."""
        return min(self.cap, self.base * self.factor ** max(0, attempt - 1))

    def delay(self, attempt: int, *, retry_after: float | None = None) -> float:
        """A jittered wait after the `attempt`-th failure; a server's Retry-After is a floor."""
        wait = self.rng.uniform(self.ceiling(attempt) / 2, self.ceiling(attempt))
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.cap))
        return wait


def call_with_retry(
    fn: Callable[[], T],
    *,
    backoff: Backoff,
    stop: threading.Event,
    max_attempts: int | None = None,
    on_retry: Callable[[UploaderError, int, float], None] | None = None,
) -> T:
    """Call `fn` until it succeeds, retrying only errors marked `retryable`.

    Args: fn: The call; it must raise :class:`UploaderError` subclasses only. backoff: Wait policy.
        stop: Set to give up early; the last error is raised. max_attempts: Give up after this many
        attempts (None: keep trying while `stop` is clear). on_retry: Told about each failure that
        will be retried, with the attempt number and the wait.

    Raises: UploaderError: A non-retryable error, an :class:`AuthError`, or the last error once
        attempts ran out or `stop` was set.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except AuthError:
            raise
        except UploaderError as exc:
            if not exc.retryable or (max_attempts is not None and attempt >= max_attempts):
                raise
            wait = backoff.delay(attempt, retry_after=getattr(exc, "retry_after", None))
            if on_retry is not None:
                on_retry(exc, attempt, wait)
            if stop.wait(wait):
                raise
