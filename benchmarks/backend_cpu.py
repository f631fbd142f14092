"""The backend's own CPU per upload, storage taken out: what the framework, auth and database cost.

    .venv/bin/python -m benchmarks.backend_cpu [--uploads 2000] [--connections 20]
        [--database-url postgresql://...] [--log-level WARNING]

One `uvicorn` process serves the real app (routers, auth, database, receipts, logging) with a
storage that answers at once from memory, so storage's CPU (the client's calls, measured apart by
`benchmarks.storage_calls`) and its latency drop out. A load generator in this process makes
create + sign one part + complete per upload over keep-alive connections, and the server's CPU
time (from /proc) is divided by the uploads. A warm-up (300 uploads) runs first. SQLite by
default (a fresh file); `--database-url` runs the same against PostgreSQL (its server's own CPU is
not counted). The machine is shared: the load average is printed with each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.burst_client import PAYLOAD, PAYLOAD_CRC64NVME
from benchmarks.procs import background, cpu_seconds_of, free_port, wait_for_port

USERNAME = "bench"
PASSWORD = "bench-password"


def _serve(data_dir: Path, port: int, database_url: str, log_level: str) -> None:
    """Run the app with an in-memory storage on 127.0.0.1:`port` until terminated."""
    from backend.app import create_app, prepare_data
    from backend.log import setup_logging
    from backend.security import hash_password
    from backend.server import bind_socket, make_server, settle_heap
    from backend.settings import Settings
    from backend.storage import (
        Checksum,
        Completion,
        ObjectInfo,
        PartToComplete,
        PresignedRequest,
        StoredPart,
    )

    class InstantStorage:
        """Answers the calls of create, sign and complete at once, consistently."""

        bucket = "bench"

        def __init__(self) -> None:
            self._done: dict[str, dict[str, str]] = {}

        async def head(self, key: str, *, checksums: bool = False) -> ObjectInfo | None:
            done = self._done.get(key)
            return None if done is None else ObjectInfo(len(PAYLOAD), "etag-1", done)

        async def create_multipart(
            self, key: str, content_type: str, metadata: dict[str, str], algorithm: str | None
        ) -> str:
            return uuid.uuid4().hex

        def presign_part(
            self,
            key: str,
            upload_id: str,
            number: int,
            ttl: int,
            checksum: Checksum | None,
            length: int | None = None,
        ) -> PresignedRequest:
            headers = {"x-amz-checksum-crc64nvme": checksum.value} if checksum else {}
            return PresignedRequest(f"http://127.0.0.1:9/{key}?partNumber={number}", headers)

        async def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
            return [StoredPart(1, "part-1", len(PAYLOAD))]

        async def complete(
            self,
            key: str,
            upload_id: str,
            parts: list[PartToComplete],
            full_object: Checksum | None = None,
        ) -> Completion:
            self._done[key] = {full_object.algorithm: full_object.value} if full_object else {}
            return Completion("etag-1", self._done[key])

        async def abort(self, key: str, upload_id: str) -> None:
            return None

        async def aclose(self) -> None:
            pass

    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        jwt_secret="bench-" + "s" * 40 if database_url else "",
        log_level=log_level,
    )
    setup_logging(log_level)
    prepare_data(settings)
    app = create_app(settings, storage=InstantStorage())  # type: ignore[arg-type]
    db = app.state.services.db
    if not db.update_user(USERNAME, password_hash=hash_password(PASSWORD)):
        db.add_user(USERNAME, hash_password(PASSWORD), "user")
    settle_heap()
    make_server(app, log_level="warning").run(sockets=[bind_socket("127.0.0.1", port)])


class _Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough for JSON requests."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    async def post(self, path: str, body: dict[str, Any], token: str = "") -> Any:
        data = json.dumps(body).encode()
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        head = (
            f"POST /api/v1{path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"{auth}Content-Length: {len(data)}\r\n\r\n"
        )
        self._writer.write(head.encode() + data)
        status = int((await self._reader.readline()).split()[1])
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self._reader.readexactly(length)
        if status >= 300:
            raise RuntimeError(f"{path}: {status} {payload[:300]!r}")
        return json.loads(payload) if payload else None


async def _uploads(port: int, count: int, connections: int, batch: str) -> None:
    """`count` uploads (create, sign part 1, complete) spread over `connections` connections.

    Their filenames are new (`batch` tells runs apart), as in an exam's burst: a name used
    before that day costs create a walk to the next free key, which is not what is measured.
    """
    first = _Connection(*await asyncio.open_connection("127.0.0.1", port))
    token = (await first.post("/auth/login", {"username": USERNAME, "password": PASSWORD}))[
        "access_token"
    ]
    numbers = iter(range(count))

    async def work() -> None:
        conn = _Connection(*await asyncio.open_connection("127.0.0.1", port))
        for n in numbers:
            created = await conn.post(
                "/uploads",
                {
                    "filename": f"cam-{batch}-{n}.webm",
                    "size": len(PAYLOAD),
                    "content_type": "video/webm",
                    "metadata": {"exam_id": "BENCH-1", "kind": "webcam"},
                },
                token,
            )
            upload = f"/uploads/{created['upload_id']}"
            signed = {"part_numbers": [1], "checksums": {"1": PAYLOAD_CRC64NVME}}
            await conn.post(f"{upload}/parts", signed, token)
            part = {"part_number": 1, "etag": "part-1", "checksum": PAYLOAD_CRC64NVME}
            await conn.post(f"{upload}/complete", {"parts": [part]}, token)

    await asyncio.gather(*(work() for _ in range(connections)))


def main() -> int:
    """Measure, print one line per run."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.backend_cpu")
    parser.add_argument("--uploads", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--warm-up", type=int, default=300, help="uploads before measuring")
    parser.add_argument("--database-url", default="", help="PostgreSQL (default: a SQLite file)")
    parser.add_argument("--log-level", default="WARNING", help="the burst benchmark's: WARNING")
    parser.add_argument("--serve", nargs=2, metavar=("DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(Path(args.serve[0]), int(args.serve[1]), args.database_url, args.log_level)
        return 0
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="backend-cpu-") as data_dir:
        argv = [sys.executable, "-m", "benchmarks.backend_cpu", "--serve", data_dir, str(port)]
        argv += ["--database-url", args.database_url, "--log-level", args.log_level]
        log = Path(data_dir) / "server.log"
        with background(argv, log_path=log) as server:
            wait_for_port(port, 60, server)
            asyncio.run(_uploads(port, args.warm_up, args.connections, "warm-up"))
            for run in range(args.runs):
                load = os.getloadavg()[0]
                cpu, start = cpu_seconds_of(server.pid), time.perf_counter()
                asyncio.run(_uploads(port, args.uploads, args.connections, str(run)))
                cpu, wall = cpu_seconds_of(server.pid) - cpu, time.perf_counter() - start
                print(
                    f"{args.uploads} uploads over {args.connections} connections "
                    f"({'PostgreSQL' if args.database_url else 'SQLite'}, {args.log_level}): "
                    f"{cpu / args.uploads * 1000:.2f} ms of backend CPU per upload, "
                    f"{args.uploads / wall:.0f} uploads/s, load {load:.1f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
