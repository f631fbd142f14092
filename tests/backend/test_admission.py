"""Upload requests are served in the order they arrived, a few at a time (`backend.admission`).

The middleware is driven through the ASGI interface, with an app that holds each request until the
test lets it go, so who is in service and in which order is observed, not timed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.types import Message, Receive, Scope, Send

from backend.admission import ArrivalOrder

PREFIX = "/api/v1/uploads"


class HoldingApp:
    """Records who entered and what body it read; each request stays until `let_go(name)`."""

    def __init__(self) -> None:
        self.entered: list[str] = []
        self.bodies: dict[str, bytes] = {}
        self.inside = 0
        self.most_inside = 0
        self._gates: dict[str, asyncio.Event] = {}

    def let_go(self, name: str) -> None:
        self._gates.setdefault(name, asyncio.Event()).set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["path"].rsplit("/", 1)[-1]
        self.entered.append(name)
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        try:
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
            self.bodies[name] = body
            await self._gates.setdefault(name, asyncio.Event()).wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
        finally:
            self.inside -= 1


def _scope(path: str) -> Scope:
    return {"type": "http", "method": "POST", "path": path, "headers": []}


def _whole(body: bytes) -> Receive:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _sent(message: Message) -> None:
    return None


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


def _run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 10))


def test_requests_are_served_in_arrival_order_a_few_at_a_time() -> None:
    async def scenario() -> None:
        app = HoldingApp()
        gate = ArrivalOrder(app, PREFIX, in_service=2)
        names = [f"r{i}" for i in range(5)]
        tasks = []
        for name in names:
            tasks.append(asyncio.create_task(gate(_scope(f"{PREFIX}/{name}"), _whole(b""), _sent)))
            await _settle()
        assert app.entered == ["r0", "r1"]
        for name in ["r1", "r0", "r2", "r3", "r4"]:
            app.let_go(name)
            await _settle()
        await asyncio.gather(*tasks)
        assert app.entered == names
        assert app.most_inside == 2

    _run(scenario)


def test_other_paths_are_not_queued() -> None:
    async def scenario() -> None:
        app = HoldingApp()
        gate = ArrivalOrder(app, PREFIX, in_service=1)
        held = asyncio.create_task(gate(_scope(f"{PREFIX}/a"), _whole(b""), _sent))
        await _settle()
        other = asyncio.create_task(gate(_scope("/api/v1/auth/b"), _whole(b""), _sent))
        await _settle()
        assert app.entered == ["a", "b"]
        app.let_go("a")
        app.let_go("b")
        await asyncio.gather(held, other)

    _run(scenario)


def test_a_request_whose_body_is_still_coming_holds_no_place() -> None:
    async def scenario() -> None:
        app = HoldingApp()
        gate = ArrivalOrder(app, PREFIX, in_service=1)
        rest = asyncio.Event()

        async def slow() -> Message:
            if not rest.is_set():
                await rest.wait()
                return {"type": "http.request", "body": b"first", "more_body": True}
            return {"type": "http.request", "body": b" second", "more_body": False}

        trickling = asyncio.create_task(gate(_scope(f"{PREFIX}/slow"), slow, _sent))
        await _settle()
        quick = asyncio.create_task(gate(_scope(f"{PREFIX}/quick"), _whole(b"q"), _sent))
        await _settle()
        assert app.entered == ["quick"]
        rest.set()
        await _settle()
        assert app.entered == ["quick"]  # its body is whole now, but the one place is taken
        app.let_go("quick")
        app.let_go("slow")
        await asyncio.gather(trickling, quick)
        assert app.entered == ["quick", "slow"]
        assert app.bodies == {"quick": b"q", "slow": b"first second"}

    _run(scenario)


def test_the_place_is_given_up_when_the_answer_starts() -> None:
    async def scenario() -> None:
        app = HoldingApp()
        gate = ArrivalOrder(app, PREFIX, in_service=1)
        reading = asyncio.Event()

        async def slow_reader(message: Message) -> None:
            if message["type"] == "http.response.body":
                await reading.wait()

        answering = asyncio.create_task(gate(_scope(f"{PREFIX}/a"), _whole(b""), slow_reader))
        await _settle()
        app.let_go("a")
        await _settle()
        nxt = asyncio.create_task(gate(_scope(f"{PREFIX}/b"), _whole(b""), _sent))
        await _settle()
        assert app.entered == ["a", "b"]
        assert not answering.done()  # still sending its answer to a client that reads slowly
        reading.set()
        app.let_go("b")
        await asyncio.gather(answering, nxt)

    _run(scenario)


def test_a_request_cancelled_while_queued_loses_nobody_a_place() -> None:
    async def scenario() -> None:
        app = HoldingApp()
        gate = ArrivalOrder(app, PREFIX, in_service=1)
        first = asyncio.create_task(gate(_scope(f"{PREFIX}/a"), _whole(b""), _sent))
        await _settle()
        queued = asyncio.create_task(gate(_scope(f"{PREFIX}/b"), _whole(b""), _sent))
        await _settle()
        queued.cancel()
        await _settle()
        last = asyncio.create_task(gate(_scope(f"{PREFIX}/c"), _whole(b""), _sent))
        await _settle()
        app.let_go("a")
        app.let_go("c")
        await asyncio.gather(first, last)
        assert queued.cancelled()
        assert app.entered == ["a", "c"]

    _run(scenario)


def test_a_get_is_answered_without_waiting_for_a_body_it_declared() -> None:
    # Found by the fuzzing: `GET .../parts` with `Content-Length: 1` and no body. The route reads
    # no body and answers at once; the queue must not wait for the byte that never comes.
    async def scenario() -> None:
        sent: list[str] = []

        async def answering(scope: Scope, receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"[]"})

        async def silent() -> Message:
            await asyncio.Event().wait()  # the declared body never arrives
            raise AssertionError("unreachable")

        async def record(message: Message) -> None:
            sent.append(message["type"])

        gate = ArrivalOrder(answering, PREFIX, in_service=1)
        scope = {**_scope(f"{PREFIX}/up_x/parts"), "method": "GET"}
        await asyncio.wait_for(gate(scope, silent, record), 2)
        assert sent == ["http.response.start", "http.response.body"]

    _run(scenario)
