"""A small round-robin TCP load balancer for the burst: each connection goes to the next backend.

It stands in for HAProxy's `mode tcp` / `balance roundrobin` in front of several backend instances.
A workstation keeps one keep-alive connection, so connections (and with them workstations) are
spread evenly; the bytes are copied as they come.

`python -m benchmarks.rrproxy --port P --to HOST:PORT,HOST:PORT`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import sys


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()


async def serve(port: int, targets: list[tuple[str, int]]) -> None:
    """Accept on 127.0.0.1:`port` and forward each connection to the next target in turn."""
    turn = itertools.cycle(targets)

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        host, target_port = next(turn)
        try:
            server_r, server_w = await asyncio.open_connection(host, target_port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_pipe(client_r, server_w), _pipe(server_r, client_w))

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rrproxy")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--to", required=True, help="comma-separated HOST:PORT targets")
    args = parser.parse_args(argv)
    targets = [(t.rsplit(":", 1)[0], int(t.rsplit(":", 1)[1])) for t in args.to.split(",")]
    try:
        import uvloop  # the proxy must not crowd the servers off 2 cores either
    except ImportError:
        asyncio.run(serve(args.port, targets))
    else:
        uvloop.run(serve(args.port, targets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
