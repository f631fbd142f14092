"""The exam-end burst against the backend: accounts, tokens, scenarios, CPU of every party.

1,000 workstations are signed in before the burst as a pool of proctor accounts (sign-in costs one
argon2id verification, ~0.3 CPU-s here, and happens when an exam starts, not when it ends). The load
generator (`benchmarks/burst_client.py`) runs as its own process; its CPU time, the backend's and
SeaweedFS's are each measured so a reader can see who the two cores were spent on.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks import backend as backend_mod
from benchmarks.procs import run_measured, start_py_spy, stop_py_spy, tree_cpu_seconds
from benchmarks.seaweed import s3_client
from benchmarks.stack import Stack
from benchmarks.toolchain import ROOT

logger = logging.getLogger(__name__)
ACCOUNTS = 25


def _accounts(backend: backend_mod.Backend, count: int) -> list[str]:
    """Create `count` proctor accounts (one argon2 hash shared) and return one access token each."""
    from backend.db import open_database
    from backend.security import hash_password

    db = open_database(Path(backend.env["PROCTOR_BACKEND_DATA_DIR"]) / "backend.sqlite3")
    try:
        password_hash = hash_password(backend.password)
        existing = {u.username for u in db.list_users()}
        for i in range(count):
            name = f"proctor{i:03d}"
            if name not in existing:
                db.add_user(name, password_hash, "user")
    finally:
        db.close()
    tokens = []
    for i in range(count):
        pair = backend_mod.request_json(
            "POST",
            f"{backend.api}/auth/login",
            {"username": f"proctor{i:03d}", "password": backend.password},
        )
        tokens.append(str(pair["access_token"]))
    return tokens


def _cleanup(stack: Stack) -> None:
    client: Any = s3_client(stack.endpoint)
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=stack.bucket, Prefix="recordings/"
    ):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=stack.bucket, Delete={"Objects": keys, "Quiet": True})


def scenario(
    stack: Stack, tokens_file: Path, workstations: int, ramp: float, profile_dir: Path | None = None
) -> dict[str, Any]:
    """One burst: returns latency figures plus the CPU seconds of generator, backend and storage."""
    assert stack.backend is not None
    profiler = None
    if profile_dir is not None:
        profiler = start_py_spy(stack.backend.pid, profile_dir / f"backend-burst-{ramp:g}s.txt")
    out = stack.workdir / f"burst-{workstations}-{ramp:g}.json"
    argv = [
        sys.executable,
        "-m",
        "benchmarks.burst_client",
        "--api",
        stack.backend.api,
        "--tokens",
        str(tokens_file),
        "--workstations",
        str(workstations),
        "--ramp",
        str(ramp),
        "--out",
        str(out),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    backend_cpu = tree_cpu_seconds(stack.backend.pid)
    storage_cpu = tree_cpu_seconds(stack.endpoint.pid) if stack.endpoint.pid else 0.0
    measured = run_measured(
        argv, env=env, log_path=stack.workdir / "burst-client.log", timeout=1800
    )
    backend_cpu = tree_cpu_seconds(stack.backend.pid) - backend_cpu
    if profiler is not None:
        stop_py_spy(profiler)
    storage_cpu = (
        (tree_cpu_seconds(stack.endpoint.pid) - storage_cpu) if stack.endpoint.pid else 0.0
    )
    if measured.returncode != 0:
        return {"ramp_s": ramp, "failed": measured.output_tail[-2000:]}
    result: dict[str, Any] = json.loads(out.read_text())
    result.update(
        {
            "ramp_s": ramp,
            "load_generator_cpu_s": round(measured.cpu_s, 2),
            "load_generator_peak_rss_mib": round(measured.maxrss_kib / 1024, 1),
            "backend_cpu_s": round(backend_cpu, 2),
            "storage_cpu_s": round(storage_cpu, 2),
        }
    )
    logger.info(
        "burst %d workstations over %gs: p50 %s ms p99 %s ms, %d errors, %s req/s; CPU-s: "
        "generator %.1f backend %.1f storage %.1f",
        workstations,
        ramp,
        result["p50_ms"],
        result["p99_ms"],
        result["errors"],
        result["requests_per_s"],
        measured.cpu_s,
        backend_cpu,
        storage_cpu,
    )
    _cleanup(stack)
    return result


def measure(
    stack: Stack,
    workstations: int,
    ramps: tuple[float, ...] = (0.0, 60.0),
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """Run the burst once per arrival ramp; the first ramp is the worst case (all at once)."""
    assert stack.backend is not None
    tokens_file = stack.workdir / "burst-tokens.json"
    tokens_file.write_text(json.dumps(_accounts(stack.backend, ACCOUNTS)))
    tokens_file.chmod(0o600)
    scenarios = [scenario(stack, tokens_file, workstations, ramp, profile_dir) for ramp in ramps]
    tokens_file.unlink()
    headline = scenarios[-1]
    return {
        "workstations": workstations,
        "accounts": ACCOUNTS,
        "uvicorn_workers": stack.backend.workers,
        "per_workstation": "2 x (create upload, sign 1 part, PUT 4 KiB to storage, complete)",
        "scenarios": scenarios,
        # The target is judged on the last scenario (arrivals spread as at a real exam end).
        "p99_ms": headline.get("p99_ms"),
        "errors": headline.get("errors", -1),
        "judged_on_ramp_s": headline["ramp_s"],
    }
