"""The shared token bucket, driven by a fake clock where timing matters."""

from __future__ import annotations

import threading

import pytest

from desktop.engine.ratelimit import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_unlimited_never_waits_and_honours_cancellation() -> None:
    bucket = TokenBucket(0)
    assert bucket.acquire(10**12) is True
    cancelled = threading.Event()
    cancelled.set()
    assert bucket.acquire(1, cancelled) is False
    assert bucket.burst == 1 << 30


def test_tokens_accumulate_with_time_up_to_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1000 * 1024, burst_seconds=0.25, clock=clock)
    assert bucket.burst == 256_000
    clock.now = 100.0  # a long idle period only fills the bucket to its burst
    assert bucket.acquire(256_000) is True
    cancelled = threading.Event()
    cancelled.set()
    assert bucket.acquire(1, cancelled) is False  # empty now, and the waiter gives up


def test_rate_is_enforced_in_real_time() -> None:
    # 64 KiB/s; three 16 KiB chunks beyond the first burst need about 0.75 s. Only a lower
    # bound is checked: a slow machine makes it longer, never shorter.
    import time

    bucket = TokenBucket(64 * 1024, burst_seconds=0.25)
    start = time.monotonic()
    for _ in range(4):
        assert bucket.acquire(16 * 1024)
    assert time.monotonic() - start >= 0.7


def test_set_rate_wakes_waiters_and_zero_releases_them() -> None:
    bucket = TokenBucket(1)  # one byte per second: a 16 KiB request would wait hours
    done = threading.Event()

    def waiter() -> None:
        bucket.acquire(16 * 1024)
        done.set()

    t = threading.Thread(target=waiter)
    t.start()
    assert not done.wait(0.3)
    bucket.set_rate(0)
    assert done.wait(5)
    t.join()


def test_cancellation_interrupts_a_wait() -> None:
    bucket = TokenBucket(1)
    cancelled = threading.Event()
    result: list[bool] = []
    t = threading.Thread(target=lambda: result.append(bucket.acquire(16 * 1024, cancelled)))
    t.start()
    cancelled.set()
    t.join(5)
    assert result == [False]


def test_negative_rates_are_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        TokenBucket(-1)
    with pytest.raises(ValueError, match=">= 0"):
        TokenBucket(0).set_rate(-5)
