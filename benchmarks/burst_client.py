"""The exam-end burst load generator: N simulated workstations in one asyncio process.

Each workstation, with its proctor's access token, does what the app does when an exam ends:
create two uploads (webcam and screen), sign their parts, PUT a small payload straight to storage
through the presigned URL, and complete. One workstation is one keep-alive connection to the
backend, as a real machine would have. Arrivals are spread uniformly over `--ramp` seconds (0: all
at once). Latency is time from sending a request to reading its whole response.

Run by `benchmarks/burst.py` as its own process so its CPU time is measured apart from the servers:
`python -m benchmarks.burst_client --api URL --tokens FILE --workstations N --ramp S --out F`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import random
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

from awscrt.checksums import crc64nvme

PAYLOAD = b"x" * 4096  # the "small payload": one part of 4 KiB per upload
# Its CRC64NVME, base64, as the app sends it when signing and completing (computed once: every
# upload carries the same bytes).
PAYLOAD_CRC64NVME = base64.b64encode(crc64nvme(PAYLOAD).to_bytes(8, "big")).decode()


class Recorder:
    """Latencies and errors per request kind, and how long each workstation took in all."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        # From a workstation's start to its second completion: what its proctor waits for.
        self.finishes: list[float] = []
        self.errors: Counter[str] = Counter()
        self.error_samples: list[str] = []

    def ok(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def fail(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {what[:300]}")


class Connection:
    """A lean HTTP/1.1 keep-alive connection (the load generator must not eat the servers' CPU).

    httpx spent ~40 ms of CPU per client building TLS contexts and dominated the first runs; this
    speaks just enough HTTP/1.1 for JSON and PUT requests (Content-Length or chunked responses).
    """

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request and read the whole response."""
        return await asyncio.wait_for(self._request(method, target, body, headers), self.timeout)

    async def _request(
        self, method: str, target: str, body: bytes, headers: dict[str, str] | None
    ) -> tuple[int, dict[str, str], bytes]:
        if self._writer is None or self._reader is None or self._reader.at_eof():
            # A server closes idle keep-alive connections (uvicorn after 5 s): reconnect first.
            await self.close()
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        fields: dict[str, str] = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        if fields.get("transfer-encoding", "").lower() == "chunked":
            payload = b""
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self._reader.readexactly(size + 2)
                if size == 0:
                    break
                payload += chunk[:-2]
        else:
            payload = await self._reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, fields, payload

    async def close(self) -> None:
        """Close the socket (idempotent)."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


async def _call(
    rec: Recorder,
    kind: str,
    conn: Connection,
    method: str,
    target: str,
    *,
    json_body: Any = None,
    content: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[dict[str, str], bytes] | None:
    all_headers = dict(headers or {})
    if json_body is not None:
        content = json.dumps(json_body).encode()
        all_headers["Content-Type"] = "application/json"
    start = time.perf_counter()
    try:
        status, fields, payload = await conn.request(method, target, content, all_headers)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
        await conn.close()
        rec.fail(kind, f"{type(exc).__name__}: {exc}")
        return None
    elapsed = time.perf_counter() - start
    if status >= 300:
        rec.fail(kind, f"HTTP {status}: {payload[:200]!r}")
        return None
    rec.ok(kind, elapsed)
    return fields, payload


async def workstation(
    n: int, api: str, token: str, delay: float, rec: Recorder, timeout: float
) -> bool:
    """One machine's end-of-exam sequence; True when both uploads completed."""
    await asyncio.sleep(delay)
    began = time.perf_counter()
    parsed = urllib.parse.urlsplit(api)
    prefix = parsed.path.rstrip("/")
    auth = {"Authorization": f"Bearer {token}"}
    backend = Connection(parsed.hostname or "127.0.0.1", parsed.port or 80, timeout)
    storage: Connection | None = None
    completed = 0
    try:
        for kind in ("webcam", "screen"):
            body = {
                "filename": f"ws{n:04d}-{kind}.webm",
                "size": len(PAYLOAD),
                "metadata": {"exam_id": "burst-exam", "kind": kind},
            }
            created = await _call(
                rec, "create", backend, "POST", f"{prefix}/uploads", json_body=body, headers=auth
            )
            if created is None:
                continue
            upload_id = json.loads(created[1])["upload_id"]
            signed = await _call(
                rec,
                "sign",
                backend,
                "POST",
                f"{prefix}/uploads/{upload_id}/parts",
                json_body={"part_numbers": [1], "checksums": {"1": PAYLOAD_CRC64NVME}},
                headers=auth,
            )
            if signed is None:
                continue
            part = json.loads(signed[1])["parts"][0]
            url = urllib.parse.urlsplit(part["url"])
            if storage is None:
                storage = Connection(url.hostname or "127.0.0.1", url.port or 80, timeout)
            put = await _call(
                rec,
                "storage_put",
                storage,
                "PUT",
                f"{url.path}?{url.query}",
                content=PAYLOAD,
                headers=part.get("headers") or {},
            )
            if put is None:
                continue
            etag = put[0].get("etag", "").strip('"')
            done = await _call(
                rec,
                "complete",
                backend,
                "POST",
                f"{prefix}/uploads/{upload_id}/complete",
                json_body={
                    "parts": [{"part_number": 1, "etag": etag, "checksum": PAYLOAD_CRC64NVME}]
                },
                headers=auth,
            )
            completed += done is not None
    finally:
        await backend.close()
        if storage is not None:
            await storage.close()
    if completed == 2:
        rec.finishes.append(time.perf_counter() - began)
    return completed == 2


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summarize(rec: Recorder, wall: float, finished: int, n: int) -> dict[str, Any]:
    """p50/p99 per kind and over every backend request, of the workstations' whole sequences,
    errors, requests per second."""
    per_kind = {
        kind: {
            "count": len(v),
            "p50_ms": round(_pct(v, 50) * 1000, 1),
            "p99_ms": round(_pct(v, 99) * 1000, 1),
            "max_ms": round(max(v) * 1000, 1),
        }
        for kind, v in rec.latencies.items()
        if v
    }
    backend = [x for k, v in rec.latencies.items() if k != "storage_put" for x in v]
    total = sum(len(v) for v in rec.latencies.values()) + sum(rec.errors.values())
    return {
        "workstations": n,
        "workstations_finished": finished,
        "wall_s": round(wall, 2),
        "backend_requests": len(backend),
        "requests_total": total,
        "requests_per_s": round(total / wall, 1) if wall else 0.0,
        "backend_requests_per_s": round(len(backend) / wall, 1) if wall else 0.0,
        "p50_ms": round(_pct(backend, 50) * 1000, 1) if backend else None,
        "p99_ms": round(_pct(backend, 99) * 1000, 1) if backend else None,
        "max_ms": round(max(backend) * 1000, 1) if backend else None,
        "workstation_p50_ms": round(_pct(rec.finishes, 50) * 1000, 1) if rec.finishes else None,
        "workstation_p99_ms": round(_pct(rec.finishes, 99) * 1000, 1) if rec.finishes else None,
        "errors": sum(rec.errors.values()),
        "errors_by_kind": dict(rec.errors),
        "error_samples": rec.error_samples,
        "per_kind": per_kind,
    }


async def run(api: str, tokens: list[str], n: int, ramp: float, timeout: float) -> dict[str, Any]:
    """Run `n` workstations whose starts are spread over `ramp` seconds."""
    rec = Recorder()
    rng = random.Random(6)
    delays = sorted(rng.uniform(0, ramp) for _ in range(n)) if ramp > 0 else [0.0] * n
    start = time.perf_counter()
    results = await asyncio.gather(
        *(workstation(i, api, tokens[i % len(tokens)], delays[i], rec, timeout) for i in range(n))
    )
    wall = time.perf_counter() - start
    return summarize(rec, wall, sum(results), n)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; writes the summary JSON to --out."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.burst_client")
    parser.add_argument("--api", required=True, help="backend base URL including /api/v1")
    parser.add_argument("--tokens", type=Path, required=True, help="JSON list of access tokens")
    parser.add_argument("--workstations", type=int, default=1000)
    parser.add_argument("--ramp", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    tokens = json.loads(args.tokens.read_text())
    coro = run(args.api, tokens, args.workstations, args.ramp, args.timeout)
    try:
        import uvloop  # leaner event loop: the generator must not crowd the servers off 2 cores
    except ImportError:
        summary = asyncio.run(coro)
    else:
        summary = uvloop.run(coro)
    args.out.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
