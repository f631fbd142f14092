"""At most a few holders at once; the others wait, and the oldest waiter goes first.

Two places need it: the upload routes' admission (requests served in the order they arrived) and
each event loop's storage connections (waiters served oldest request first). A place given up goes
straight to the next in line, so a newcomer never overtakes a waiter; a waiter cancelled just as it
was handed a place passes the place on.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import AsyncIterator


class Turns:
    """At most `size` holders; waiters are served lowest `since` first (ties in order of asking)."""

    def __init__(self, size: int) -> None:
        """No holder yet; `size` places."""
        self._free = size
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._asked = itertools.count()

    @contextlib.asynccontextmanager
    async def held(self, since: float) -> AsyncIterator[None]:
        """Hold a place for the body, waiting if none is free; `since`: when the request began."""
        await self.acquire(since)
        try:
            yield
        finally:
            self.release()

    async def acquire(self, since: float) -> None:
        """Take a place, waiting behind every waiter that began before `since`."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (since, next(self._asked), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # handed a place as it was cancelled: pass it on
            else:
                turn.cancel()  # stays in the heap; `release` skips it
            raise

    def release(self) -> None:
        """Give a place up: to the next waiter, or back to the free ones."""
        while self._waiting:
            turn = heapq.heappop(self._waiting)[2]
            if not turn.done():
                turn.set_result(None)  # the place goes straight to the waiter
                return
        self._free += 1
