"""Run the storage adapter's coroutines from synchronous tests."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from backend.storage import S3Storage

T = TypeVar("T")


def run(storage: S3Storage, call: Coroutine[Any, Any, T]) -> T:
    """Await `call` on a fresh event loop, then close the connections it left open there."""

    async def closing() -> T:
        try:
            return await call
        finally:
            await storage.aclose()

    return asyncio.run(closing())


async def no_backoff(attempt: int) -> None:
    """Retry at once (stands in for the client's backoff)."""
