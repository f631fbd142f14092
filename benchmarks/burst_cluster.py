"""Several backend instances on one PostgreSQL behind a round-robin proxy, for the burst.

This is the deployment docs/deployment.md describes, on one machine: a throwaway PostgreSQL
cluster (the test suite's helper), `instances` x `proctor-backend serve` sharing it and one JWT
secret, and `benchmarks/rrproxy.py` in front.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks import backend as backend_mod
from benchmarks.procs import background, free_port, wait_for_port
from benchmarks.stack import Stack
from benchmarks.toolchain import ROOT
from tests.support.postgres import postgres_server


@dataclass(frozen=True, slots=True)
class Cluster:
    """The running instances.

    Attributes:
        backend: What clients talk to (the proxy's address; `pid` is the proxy's).
        instance_pids: The `serve` processes.
        database_pid: The PostgreSQL postmaster (its children serve the connections).
    """

    backend: backend_mod.Backend
    instance_pids: tuple[int, ...]
    database_pid: int


@contextlib.contextmanager
def running_cluster(stack: Stack, instances: int = 2) -> Iterator[Cluster]:
    """Start PostgreSQL, `instances` backends and the proxy; stop them all afterwards."""
    pg_dir = Path(tempfile.mkdtemp(prefix="proctor-bench-pg-"))
    data_dir = stack.workdir / f"cluster-{secrets.token_hex(4)}"
    data_dir.mkdir(parents=True)
    bindir = Path(sys.executable).parent
    try:
        with contextlib.ExitStack() as running, postgres_server(pg_dir) as pg:
            ports = [free_port() for _ in range(instances)]
            base = backend_mod.backend_env(data_dir, stack.endpoint, stack.bucket, ports[0])
            base["PROCTOR_BACKEND_DATABASE_URL"] = pg.create_database()
            base["PROCTOR_BACKEND_JWT_SECRET"] = secrets.token_urlsafe(48)
            backend_mod.add_user(base)
            pids = []
            for port in ports:
                env = {**base, "PROCTOR_BACKEND_PORT": str(port)}
                argv = [str(bindir / "proctor-backend"), "serve"]
                proc = running.enter_context(
                    background(argv, env=env, log_path=stack.workdir / f"backend-{port}.log")
                )
                wait_for_port(port, 60, proc)
                pids.append(proc.pid)
            proxy_port = free_port()
            to = ",".join(f"127.0.0.1:{p}" for p in ports)
            proxy = running.enter_context(
                background(
                    [
                        sys.executable,
                        "-m",
                        "benchmarks.rrproxy",
                        "--port",
                        str(proxy_port),
                        "--to",
                        to,
                    ],
                    log_path=stack.workdir / "rrproxy.log",
                    cwd=ROOT,
                )
            )
            wait_for_port(proxy_port, 30, proxy)
            url = f"http://127.0.0.1:{proxy_port}"
            backend_mod.wait_healthy(url)
            postmaster = int((pg_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
            yield Cluster(
                backend_mod.Backend(
                    url, backend_mod.USERNAME, backend_mod.PASSWORD, 1, base, proxy.pid
                ),
                tuple(pids),
                postmaster,
            )
    finally:
        shutil.rmtree(pg_dir, ignore_errors=True)
