"""What the connections the backend's listening socket accepts get on its event loop."""

from __future__ import annotations

import asyncio
import socket

from backend.server import bind_socket


async def _nodelay_of_an_accepted_connection(host: str) -> int:
    loop = asyncio.get_running_loop()
    seen: asyncio.Future[int] = loop.create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    listening = bind_socket(host, 0)
    server = await loop.create_server(Probe, sock=listening)
    async with server:
        _, writer = await asyncio.open_connection(*listening.getsockname()[:2])
        nodelay = await asyncio.wait_for(seen, 10)
        writer.close()
    return nodelay


def test_accepted_connections_answer_without_waiting_for_acknowledgements() -> None:
    # asyncio turns Nagle's algorithm off only on sockets named TCP; with it on, an answer
    # written as head then body waited 40 ms for the client's delayed ACK on every request.
    assert asyncio.run(_nodelay_of_an_accepted_connection("127.0.0.1")) != 0
