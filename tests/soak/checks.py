"""After the soak: prove nothing was lost, duplicated, left open, inconsistent or leaked."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from desktop.engine.events import JobState
from desktop.engine.store import QueueStore
from tests.soak.driver import EXAM, app_paths
from tests.soak.files import SourceFile
from tests.support.storage import S3Endpoint, s3_client

# Every access or refresh token this backend issues starts with this (base64 of {"alg":"HS256",).
JWT_PREFIX = b"eyJhbGciOiJIUzI1NiIs"


@dataclass(frozen=True, slots=True)
class Check:
    """One verdict.

    Attributes:
        name: What was checked.
        ok: Whether it held.
        detail: Figures, or what went wrong.
    """

    name: str
    ok: bool
    detail: str


def _short(items: list[str], limit: int = 5) -> str:
    return ", ".join(items[:limit]) + (
        f" (+{len(items) - limit} more)" if len(items) > limit else ""
    )


def bucket_objects(endpoint: S3Endpoint, bucket: str) -> dict[str, tuple[int, str]]:
    """key -> (size, ETag without quotes), straight from storage."""
    found: dict[str, tuple[int, str]] = {}
    pages = s3_client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    for page in pages:
        for obj in page.get("Contents", []):
            found[obj["Key"]] = (int(obj["Size"]), obj["ETag"].strip('"'))
    return found


def open_uploads(endpoint: S3Endpoint, bucket: str) -> list[str]:
    """Keys of multipart uploads storage still holds open."""
    listing = s3_client(endpoint).list_multipart_uploads(Bucket=bucket)
    return [u["Key"] for u in listing.get("Uploads", [])]


def object_sha256(endpoint: S3Endpoint, bucket: str, key: str) -> str:
    """SHA-256 of a stored object, streamed."""
    body = s3_client(endpoint).get_object(Bucket=bucket, Key=key)["Body"]
    digest = hashlib.sha256()
    for chunk in iter(lambda: body.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def backend_uploads(api: str, username: str, password: str) -> list[dict[str, Any]]:
    """Every upload the backend recorded for the user (straight to the backend, no proxy)."""
    token = requests.post(
        api + "/auth/login", json={"username": username, "password": password}, timeout=60
    ).json()["access_token"]
    uploads: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = requests.get(
            api + "/uploads",
            params={"limit": "500", **({"cursor": cursor} if cursor else {})},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        ).json()
        uploads.extend(page["uploads"])
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return uploads


def verify(
    *,
    sources: list[SourceFile],
    home: Path,
    endpoint: S3Endpoint,
    bucket: str,
    api: str,
    username: str,
    password: str,
    scan: list[Path],
    secrets: list[bytes],
) -> list[Check]:
    """Run every check; each returns a verdict rather than stopping at the first problem."""
    store = QueueStore(app_paths(home).state_db)
    try:
        jobs, receipts = store.load_jobs(), store.receipts()
    finally:
        store.close()
    objects = bucket_objects(endpoint, bucket)
    by_path = {str(s.path): s for s in sources}
    receipt_of = {r.path: r for r in receipts}
    checks: list[Check] = []

    # Receipts: one per file, complete, and agreeing with the file.
    problems = [f"{p}: no receipt" for p in by_path if p not in receipt_of]
    counts = Counter(r.path for r in receipts)
    problems += [f"{p}: {n} receipts" for p, n in counts.items() if n > 1]
    problems += [
        f"{r.path}: receipt for an unknown file" for r in receipts if r.path not in by_path
    ]
    for r in receipts:
        src = by_path.get(r.path)
        if src is None:
            continue
        if (r.size, r.sha256) != (src.size, src.sha256):
            problems.append(f"{r.path}: receipt says {r.size} B sha {r.sha256[:12]}")
        if not (r.key and r.etag and r.upload_id and r.completed_at) or r.exam_id != EXAM:
            problems.append(f"{r.path}: incomplete receipt {r}")
    checks.append(
        Check(
            "receipts complete",
            not problems,
            _short(problems) or f"{len(receipts)} receipts for {len(sources)} files",
        )
    )

    # Objects: byte-identical to their files (SHA-256 of what storage returns), ETag as receipted.
    problems = []
    for path, src in by_path.items():
        got = receipt_of.get(path)
        if got is None:
            continue
        stored = objects.get(got.key)
        if stored is None:
            problems.append(f"{got.key}: not in the bucket")
        elif stored[0] != src.size or stored[1] != got.etag.strip('"'):
            problems.append(f"{got.key}: size {stored[0]} ETag {stored[1]}")
        elif object_sha256(endpoint, bucket, got.key) != src.sha256:
            problems.append(f"{got.key}: content differs from {path}")
    total = sum(s.size for s in sources)
    checks.append(
        Check(
            "every object byte-identical (SHA-256)",
            not problems,
            _short(problems) or f"{len(receipt_of)} objects, {total} bytes",
        )
    )

    # No duplicates: the bucket holds exactly the receipted objects.
    extra = sorted(set(objects) - {r.key for r in receipts})
    checks.append(
        Check(
            "no duplicate or stray objects",
            not extra and len(objects) == len(sources),
            _short(extra) or f"{len(objects)} objects for {len(sources)} files",
        )
    )

    left_open = open_uploads(endpoint, bucket)
    checks.append(
        Check("no multipart upload left open", not left_open, _short(left_open) or "none open")
    )

    # Local state agrees with storage and with the backend's records.
    problems = []
    job_counts = Counter(j.path for j in jobs)
    problems += [f"{p}: {n} jobs" for p, n in job_counts.items() if n > 1]
    for j in jobs:
        mine = receipt_of.get(j.path)
        if j.state is not JobState.COMPLETED:
            problems.append(f"{j.path}: job {j.state.value}")
        elif mine is None or j.key != mine.key:
            problems.append(f"{j.path}: job key {j.key} but receipt {mine and mine.key}")
    records = backend_uploads(api, username, password)
    states = Counter(u["status"] for u in records)
    completed = {u["key"] for u in records if u["status"] == "completed"}
    if states.get("in_progress"):
        problems.append(f"backend: {states['in_progress']} uploads still in progress")
    if completed != {r.key for r in receipts}:
        problems.append(f"backend completed {len(completed)} keys, receipts {len(receipts)}")
    checks.append(
        Check(
            "local state consistent with storage and backend",
            not problems,
            _short(problems) or f"{len(jobs)} jobs completed; backend {dict(states)}",
        )
    )

    # Secrets: none in the app's logs, state DB or config, the CLI's output or the backend log.
    leaks = []
    scanned = 0
    for root in scan:
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            data = f.read_bytes()
            scanned += 1
            leaks += [f"{f.name}: {s[:12]!r}..." for s in secrets if s in data]
    checks.append(
        Check(
            "no secret in logs, state DB, config or output",
            not leaks and scanned > 0,
            _short(leaks) or f"{scanned} files scanned for {len(secrets)} secrets",
        )
    )
    return checks
