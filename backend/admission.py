"""Requests on the upload routes are served in the order they arrived, a few at a time.

Storage calls wait on the event loop, so without this every request of a burst is in progress at
once: a workstation answered early runs through its sign, its PUT straight to storage and its
completion while the last first creates still wait, and those early workstations' work (storage's
above all) is what the last ones wait for. With at most `upload_requests_in_service` (32) served per
process and the rest queued first come, first served, a request waits for the ones that arrived
before it, not for the whole burst: on the burst benchmark (1,000 workstations at once) the
per-request p99 fell from about half the burst's wall time to about a quarter, at the same CPU.
Sign is queued too although it calls no storage: answered at once, it lets early workstations
start their PUTs while first creates still wait, and those PUTs take storage's CPU.

A request's body (POST, PUT, PATCH) is read before it queues (a client that sends its body slowly
holds no place in service), and its place is given up as its answer starts (a client that reads
slowly holds none either). Other methods' bodies are not waited for: no upload route reads one.
"""

from __future__ import annotations

import asyncio
import collections

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.turns import Turns

# Methods whose body the upload routes read (create, sign, complete).
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class ArrivalOrder:
    """Pure ASGI: serve HTTP requests whose path starts with `prefix` in order of arrival."""

    def __init__(self, app: ASGIApp, prefix: str, in_service: int) -> None:
        """Wrap `app`; at most `in_service` requests under `prefix` are in it at once."""
        self._app = app
        self._prefix = prefix
        self._turns = Turns(in_service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or not scope["path"].startswith(self._prefix):
            await self._app(scope, receive, send)
            return
        # The routes read no body for other methods: waiting for one a client declared and never
        # sent would hold its answer for ever, where the route answers at once.
        app_receive = await _replaying(receive) if scope["method"] in _WITH_BODY else receive

        held = True

        def give_up() -> None:
            nonlocal held
            if held:
                held = False
                self._turns.release()

        async def send_releasing(message: Message) -> None:
            if message["type"] == "http.response.start":
                give_up()
            await send(message)

        await self._turns.acquire(asyncio.get_running_loop().time())
        try:
            await self._app(scope, app_receive, send_releasing)
        finally:
            give_up()


async def _replaying(receive: Receive) -> Receive:
    """Read the request's body now; the app then receives it as if it were arriving."""
    received = await _whole_request(receive)

    async def replay() -> Message:
        return received.popleft() if received else await receive()

    return replay


async def _whole_request(receive: Receive) -> collections.deque[Message]:
    """The request's messages up to the end of its body (or a disconnect)."""
    messages: collections.deque[Message] = collections.deque()
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages
