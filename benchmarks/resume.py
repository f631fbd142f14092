"""Resume cost: kill our CLI at ~50 %, run `proctor-uploader resume`, count what was sent twice.

Storage traffic goes through the test suite's counting proxy (`tests.support.faultproxy`): a second
backend presigns part URLs for the proxy's address, and the proxy forwards every byte unchanged to
SeaweedFS (SigV4 still validates: the Host header the URL was signed for is the one that arrives).

- the kill comes at half the file plus a third of a part, so that parts are mid-flight;
- bytes re-sent = PUT body bytes the proxy forwarded over both runs - the file size;
- the bound it is judged against = the parts that were in flight when the process died
  (parts in flight x part size): anything recorded as stored must never be sent again;
- time to first byte = from spawning `resume` to the first PUT body byte reaching the proxy
  (interpreter start-up, keyring, token refresh, reconciling with ListParts and signing included),
  and the CPU seconds the process had used by then (robust to other work on the cores).

Our CLI runs as an installed copy would: with its bytecode cached (a private
PYTHONPYCACHEPREFIX, warmed by the first run). The helpers' shells set PYTHONDONTWRITEBYTECODE, so
without this every module edited since the last cache write is compiled again on every start
(0.03-0.09 CPU-s here), which an installed app never does.

It also reports what starting the CLI costs on its own (`startup`): the CPU seconds of
`proctor-uploader --version` and of a whole 1 KiB upload through the same backend (median of
STARTUP_RUNS each): start-up counts in every command, and in the CPU per GiB of small files.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks import backend as backend_mod
from benchmarks.datafiles import random_file
from benchmarks.procs import run_measured, tree_cpu_seconds
from benchmarks.stack import Stack
from benchmarks.sweep import load_best
from benchmarks.throughput import Bench, delete_all, verify_and_delete
from benchmarks.uploaders import Invocation, Target, ours

logger = logging.getLogger(__name__)
POLL_S = 0.002
STARTUP_RUNS = 5


def measure(bench: Bench, stack: Stack, data_dir: Path, size: int) -> dict[str, Any]:
    """Kill at half, resume, and report bytes re-sent and time to first byte."""
    from tests.support.faultproxy import FaultProxy

    settings = load_best()["ours"]
    path = random_file(data_dir, size)
    upstream = stack.endpoint.url.removeprefix("http://")
    with (
        FaultProxy(upstream=upstream) as proxy,
        backend_mod.running_backend(
            stack.workdir, stack.endpoint, stack.bucket, public_url=proxy.url
        ) as backend,
    ):
        login = backend_mod.signed_in_home(
            backend, stack.workdir / "cli-home-resume", bench.tools, stack.keyring_env
        )
        if login is None:
            return {"skipped": "our CLI could not sign in"}
        target = Target(
            endpoint=stack.endpoint,
            bucket=stack.bucket,
            key="",
            path=path,
            workdir=stack.workdir,
            backend_url=backend.url,
            cli_home=login.home,
            cli_env=login.env,
            cli_password=login.password,
        )
        upload = _as_installed(ours(bench.tools, target, settings), stack.workdir)

        def put_bytes() -> int:
            return proxy.stats().bytes_forwarded_by_method.get("PUT", 0)

        killed_at: dict[str, int] = {}
        # Half the file plus a third of a part: with parts of equal size sent side by side, half
        # the file is often a moment when every part in flight has just finished (nothing is in
        # flight to lose); a third of a part later they are mid-way, the case the bound is for.
        kill_at = min(size - 1, size // 2 + settings.part_mib * 1024 * 1024 // 3)

        def kill_at_half(proc: subprocess.Popen[bytes]) -> None:
            start = time.monotonic()
            while proc.poll() is None and time.monotonic() - start < 1800:
                sent = put_bytes()
                if sent >= kill_at:
                    os.killpg(proc.pid, signal.SIGKILL)
                    killed_at["bytes"] = sent
                    return
                time.sleep(POLL_S)

        logs = stack.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        first = run_measured(
            upload.argv,
            env=upload.env,
            stdin_data=upload.stdin,
            watch=kill_at_half,
            log_path=logs / "resume-first.log",
        )
        if "bytes" not in killed_at:
            delete_all(bench)
            return {"failed": f"the upload ended before 50 % (exit {first.returncode})"}
        # Bytes the dead client left in socket buffers still drain through the proxy: wait until
        # the counter stands still, so they are not mistaken for the resumed run's first byte.
        sent_before = _settled(put_bytes)
        stored_before = _stored_part_bytes(bench)

        first_byte: dict[str, float] = {}

        def wait_first_byte(proc: subprocess.Popen[bytes]) -> None:
            spawned = time.monotonic()
            while proc.poll() is None:
                if put_bytes() > sent_before:
                    first_byte["s"] = time.monotonic() - spawned
                    # CPU seconds it needed to get there: unlike wall time, this barely moves when
                    # other work crowds the two cores.
                    first_byte["cpu_s"] = tree_cpu_seconds(proc.pid)
                    return
                time.sleep(POLL_S)

        resume_argv = [
            upload.argv[0],
            "-m",
            "desktop",
            "resume",
            "--parts",
            str(settings.concurrency),
        ]
        if upload.stdin is not None:
            resume_argv.append("--password-stdin")
        second = run_measured(
            resume_argv,
            env=upload.env,
            stdin_data=upload.stdin,
            watch=wait_first_byte,
            log_path=logs / "resume-second.log",
        )
        total_sent = put_bytes()
        error = "" if second.returncode == 0 else f"resume exited {second.returncode}"
        error = error or verify_and_delete(bench, size)
        startup = _startup(bench, target, settings, data_dir, logs)
    part = settings.part_mib * 1024 * 1024
    result = {
        "file_size": size,
        "settings": settings.label(),
        "killed_after_bytes": killed_at["bytes"],
        "stored_at_kill_bytes": stored_before,
        "sent_before_kill_bytes": sent_before,
        "total_put_bytes": total_sent,
        "resent_bytes": max(0, total_sent - size),
        "in_flight_bound_bytes": settings.concurrency * part,
        "first_byte_s": round(first_byte.get("s", float("nan")), 3),
        "first_byte_cpu_s": round(first_byte.get("cpu_s", float("nan")), 3),
        "resume_wall_s": round(second.wall_s, 2),
        "resume_cpu_s": round(second.cpu_s, 2),
        "startup": startup,
        "ok": not error,
        "error": f"{error}: {second.output_tail[-500:]}" if second.returncode else error,
    }
    logger.info(
        "resume: killed at %.0f MiB (stored %.0f MiB), re-sent %.1f MiB (bound %.0f MiB), "
        "first byte %.2f s",
        killed_at["bytes"] / 2**20,
        stored_before / 2**20,
        (total_sent - size) / 2**20,
        settings.concurrency * part / 2**20,
        first_byte.get("s", float("nan")),
    )
    return result


def _as_installed(invocation: Invocation, workdir: Path) -> Invocation:
    """The invocation with its bytecode cached between runs, as in an installed copy."""
    env = {k: v for k, v in invocation.env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    return dataclasses.replace(invocation, env=env)


def _startup(
    bench: Bench, target: Target, settings: Any, data_dir: Path, logs: Path
) -> dict[str, Any]:
    """Median CPU seconds (and wall) of `--version` and of a 1 KiB upload, STARTUP_RUNS each."""
    tiny = random_file(data_dir, 1024)
    upload = _as_installed(
        ours(bench.tools, dataclasses.replace(target, path=tiny), settings), target.workdir
    )
    runs: dict[str, list[tuple[float, float]]] = {"version": [], "upload_1kib": []}
    for _ in range(STARTUP_RUNS):
        version = run_measured(
            [upload.argv[0], "-m", "desktop", "--version"],
            env=upload.env,
            log_path=logs / "startup-version.log",
        )
        tiny_run = run_measured(
            upload.argv,
            env=upload.env,
            stdin_data=upload.stdin,
            log_path=logs / "startup-upload.log",
        )
        failed = verify_and_delete(bench, 1024)
        if version.returncode or tiny_run.returncode or failed:
            return {"failed": failed or f"exit {version.returncode}/{tiny_run.returncode}"}
        runs["version"].append((version.cpu_s, version.wall_s))
        runs["upload_1kib"].append((tiny_run.cpu_s, tiny_run.wall_s))
    return {
        f"{name}_{what}": round(statistics.median(v[i] for v in samples), 3)
        for name, samples in runs.items()
        for i, what in enumerate(("cpu_s", "wall_s"))
    } | {"runs": STARTUP_RUNS}


def _settled(read: Any, quiet_s: float = 0.5, limit_s: float = 30.0) -> int:
    value, since, start = read(), time.monotonic(), time.monotonic()
    while time.monotonic() - since < quiet_s and time.monotonic() - start < limit_s:
        time.sleep(0.05)
        now = read()
        if now != value:
            value, since = now, time.monotonic()
    return int(value)


def _stored_part_bytes(bench: Bench) -> int:
    """Bytes of parts storage holds for every unfinished multipart upload in the bucket."""
    from benchmarks.seaweed import s3_client

    client: Any = s3_client(bench.endpoint)
    total = 0
    for upload in client.list_multipart_uploads(Bucket=bench.bucket).get("Uploads", []):
        parts = client.list_parts(
            Bucket=bench.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
        )
        total += sum(p["Size"] for p in parts.get("Parts", []))
    return total
