"""A throwaway PostgreSQL cluster on 127.0.0.1 for tests (Debian's `postgresql` package)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.storage import free_port


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server's `bin` folder, or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


@dataclass(frozen=True)
class PostgresServer:
    """A running cluster that trusts local connections.

    Attributes:
        port: Its TCP port on 127.0.0.1.
        bindir: The server binaries used.
    """

    port: int
    bindir: Path

    def url(self, database: str = "postgres") -> str:
        """The URL of `database` as the superuser `postgres`."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; as root, run it as the `postgres` system user.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_server(workdir: Path) -> Iterator[PostgresServer]:
    """initdb in `workdir`, start on a free port, yield, stop (fast) and remove the cluster.

    Raises:
        FileNotFoundError: PostgreSQL's server binaries are not installed.
    """
    bindir = postgres_bin()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "pgdata"
    log = workdir / "postgres.log"
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    initdb = [str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres"]
    subprocess.run(_as_postgres([*initdb, "-E", "UTF8"]), **quiet)  # type: ignore[call-overload]
    port = free_port()
    # No fsync: a test cluster that loses data in a power cut loses nothing that matters.
    options = f"-h 127.0.0.1 -p {port} -k {workdir} -c fsync=off -c max_connections=200"
    subprocess.run(
        _as_postgres(
            [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
        ),
        **quiet,  # type: ignore[call-overload]
    )
    try:
        yield PostgresServer(port=port, bindir=bindir)
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(data, ignore_errors=True)
