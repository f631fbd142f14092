"""The exam-end burst against the backend: accounts, tokens, scenarios, CPU of every party.

1,000 workstations are signed in before the burst as a pool of proctor accounts (sign-in costs one
argon2id verification, ~0.3 CPU-s here, and happens when an exam starts, not when it ends). The load
generator (`benchmarks/burst_client.py`) runs as its own process; its CPU time, the backend's,
the database server's and SeaweedFS's are each measured so a reader can see who the two cores were
spent on. It runs against one instance on SQLite, then two instances on PostgreSQL behind a
round-robin proxy (`benchmarks/burst_cluster.py`), and is judged on ramp 0: every workstation
starting at once, as when an exam ends.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
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

    db = open_database(
        backend.env.get("PROCTOR_BACKEND_DATABASE_URL")
        or Path(backend.env["PROCTOR_BACKEND_DATA_DIR"]) / "backend.sqlite3"
    )
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


@dataclass(frozen=True, slots=True)
class Target:
    """What one configuration's burst runs against and whose CPU it counts.

    Attributes:
        name: `sqlite-1` or `postgresql-2` (database, instances).
        backend: Where clients send requests (an instance or the proxy).
        backend_pids: The backend processes (with their workers).
        database_pid: The database server (0: SQLite lives inside the backend).
        proxy_pid: The load balancer (0: none).
    """

    name: str
    backend: backend_mod.Backend
    backend_pids: tuple[int, ...]
    database_pid: int = 0
    proxy_pid: int = 0


def _cpu(pids: tuple[int, ...]) -> float:
    return sum(tree_cpu_seconds(p) for p in pids if p)


def scenario(
    stack: Stack,
    target: Target,
    tokens_file: Path,
    workstations: int,
    ramp: float,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """One burst: latency figures plus the CPU seconds of every party."""
    profiler = None
    if profile_dir is not None:
        profiler = start_py_spy(
            target.backend_pids[0], profile_dir / f"backend-burst-{target.name}-{ramp:g}s.txt"
        )
    out = stack.workdir / f"burst-{target.name}-{workstations}-{ramp:g}.json"
    argv = [
        sys.executable,
        "-m",
        "benchmarks.burst_client",
        "--api",
        target.backend.api,
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
    parties = {
        "backend": target.backend_pids,
        "database": (target.database_pid,),
        "proxy": (target.proxy_pid,),
        "storage": (stack.endpoint.pid or 0,),
    }
    before = {name: _cpu(pids) for name, pids in parties.items()}
    load = os.getloadavg()[0]
    measured = run_measured(
        argv, env=env, log_path=stack.workdir / "burst-client.log", timeout=1800
    )
    cpu = {name: _cpu(pids) - before[name] for name, pids in parties.items()}
    if profiler is not None:
        stop_py_spy(profiler)
    backend_cpu, storage_cpu = cpu["backend"], cpu["storage"]
    if measured.returncode != 0:
        return {"ramp_s": ramp, "failed": measured.output_tail[-2000:]}
    result: dict[str, Any] = json.loads(out.read_text())
    result.update(
        {
            "ramp_s": ramp,
            "load_generator_cpu_s": round(measured.cpu_s, 2),
            "load_generator_peak_rss_mib": round(measured.maxrss_kib / 1024, 1),
            "backend_cpu_s": round(backend_cpu, 2),
            # Create + sign + complete of one upload, over every backend process.
            "backend_cpu_ms_per_upload": round(backend_cpu * 1000 / (2 * workstations), 2),
            "database_cpu_s": round(cpu["database"], 2),
            "proxy_cpu_s": round(cpu["proxy"], 2),
            "storage_cpu_s": round(storage_cpu, 2),
            # The machine is shared: the 1-minute load average when the run started.
            "load_average_1m": round(load, 2),
        }
    )
    logger.info(
        "burst %s, %d workstations over %gs: p50 %s ms p99 %s ms, %d errors, %s req/s; CPU-s: "
        "generator %.1f backend %.1f storage %.1f",
        target.name,
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


def _configuration(
    stack: Stack,
    target: Target,
    workstations: int,
    ramps: tuple[float, ...],
    profile_dir: Path | None,
) -> dict[str, Any]:
    tokens_file = stack.workdir / f"burst-tokens-{target.name}.json"
    tokens_file.write_text(json.dumps(_accounts(target.backend, ACCOUNTS)))
    tokens_file.chmod(0o600)
    try:
        scenarios = [
            scenario(stack, target, tokens_file, workstations, ramp, profile_dir) for ramp in ramps
        ]
    finally:
        tokens_file.unlink()
    # Judged on the first ramp, the worst case: every workstation starting at once.
    headline = scenarios[0]
    return {
        "configuration": target.name,
        "scenarios": scenarios,
        "p99_ms": headline.get("p99_ms"),
        "errors": headline.get("errors", -1),
        "backend_cpu_ms_per_upload": headline.get("backend_cpu_ms_per_upload"),
        "judged_on_ramp_s": headline["ramp_s"],
    }


def measure(
    stack: Stack,
    workstations: int,
    ramps: tuple[float, ...] = (0.0, 60.0),
    profile_dir: Path | None = None,
    instances: int = 2,
) -> dict[str, Any]:
    """Run the burst once per arrival ramp on each configuration; ramp 0 (all at once) judges."""
    from benchmarks.burst_cluster import running_cluster

    assert stack.backend is not None
    single = Target("sqlite-1", stack.backend, (stack.backend.pid,))
    configurations = [_configuration(stack, single, workstations, ramps, profile_dir)]
    if instances > 1:
        with running_cluster(stack, instances) as cluster:
            shared = Target(
                f"postgresql-{instances}",
                cluster.backend,
                cluster.instance_pids,
                database_pid=cluster.database_pid,
                proxy_pid=cluster.backend.pid,
            )
            configurations.append(_configuration(stack, shared, workstations, ramps, profile_dir))
    headline = configurations[0]
    return {
        "workstations": workstations,
        "accounts": ACCOUNTS,
        "uvicorn_workers": stack.backend.workers,
        "per_workstation": "2 x (create upload, sign 1 part, PUT 4 KiB to storage, complete)",
        "configurations": configurations,
        "p99_ms": headline["p99_ms"],
        "errors": headline["errors"],
        "backend_cpu_ms_per_upload": headline["backend_cpu_ms_per_upload"],
        "judged_on_ramp_s": headline["judged_on_ramp_s"],
    }
