"""Interleaved rounds: every tool uploads the same file to the same server, A B C … then B C … A.

A run's entries are (tool, transport) pairs: the same storage over plain HTTP and over HTTPS, in
the same rounds, so both transports share the machine's noise and their figures compare.
Interleaving spreads the machine's noise (other work on the two cores, SeaweedFS compactions, page
cache state) over all tools alike; rotating the start of each round keeps any tool from always
running first after a vacuum. Each upload is verified (the stored object has the file's size) and
deleted before the next one starts.
"""

from __future__ import annotations

import logging
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.datafiles import GIB
from benchmarks.procs import run_measured, tree_cpu_seconds
from benchmarks.seaweed import S3Endpoint, s3_client, vacuum
from benchmarks.toolchain import Toolchain
from benchmarks.uploaders import BUILDERS, Settings, Target

logger = logging.getLogger(__name__)
SETTLE_S = 1.0  # pause between uploads so one tool's tail (server flushes) does not hit the next


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured upload.

    Attributes:
        tool: Tool name.
        round: Round number (1-based; 0 in sweeps).
        settings: `c8/p16M` label.
        size: File size in bytes.
        ok: Whether it exited 0 and the stored object checked out.
        wall_s: Seconds, spawn to exit (process start-up included, as a user would wait it).
        mb_per_s: size / wall_s in 10^6 bytes per second.
        cpu_s: User+sys CPU seconds of the client's process tree.
        cpu_s_per_gib: cpu_s scaled to one GiB.
        user_s: User CPU seconds.
        sys_s: System CPU seconds.
        peak_rss_mib: Peak RSS of the largest process in the client's tree, MiB.
        storage_cpu_s_per_gib: CPU seconds SeaweedFS spent meanwhile, per GiB (the other side of
            the two cores; 0 for the sink).
        error: Why it failed (tail of its output), or "".
        transport: `http` or `https`, how the tool reached storage.
    """

    tool: str
    round: int
    settings: str
    size: int
    ok: bool
    wall_s: float
    mb_per_s: float
    cpu_s: float
    cpu_s_per_gib: float
    user_s: float
    sys_s: float
    peak_rss_mib: float
    storage_cpu_s_per_gib: float = 0.0
    error: str = ""
    transport: str = "http"

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the results file."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Bench:
    """What every upload in a run shares.

    Attributes:
        tools: The toolchain.
        endpoint: S3 server the peers use directly.
        sink_url: The discard server (the loopback ceiling).
        bucket: Bucket for every upload (ours: the backend's bucket, the same one).
        workdir: Scratch folder (configs, logs).
        backend_url: Backend our CLI talks to ("" when not running).
        cli_home: Signed-in home of our CLI, or None.
        cli_env: Extra environment of our CLI (its keyring).
        cli_password: Password for `--password-stdin` when the sign-in is not remembered.
    """

    tools: Toolchain
    endpoint: S3Endpoint
    sink_url: str
    bucket: str
    workdir: Path
    backend_url: str = ""
    cli_home: Path | None = None
    cli_env: dict[str, str] = field(default_factory=dict)
    cli_password: str | None = None

    @property
    def tls(self) -> bool:
        """Whether storage is reached over HTTPS (each transport has its own best settings)."""
        return self.endpoint.url.startswith("https://")

    @property
    def transport(self) -> str:
        """`https` or `http`: how this bench reaches storage."""
        return "https" if self.tls else "http"

    def target(self, path: Path, key: str = "", endpoint: S3Endpoint | None = None) -> Target:
        """What an uploader is pointed at: `path` to `key`, through this bench's storage (or
        `endpoint`) and our CLI's signed-in home."""
        return Target(
            endpoint=endpoint or self.endpoint,
            bucket=self.bucket,
            key=key,
            path=path,
            workdir=self.workdir,
            backend_url=self.backend_url,
            cli_home=self.cli_home,
            cli_env=self.cli_env,
            cli_password=self.cli_password,
        )


def upload_once(
    bench: Bench, tool: str, settings: Settings, path: Path, *, round_no: int
) -> Sample:
    """Run one tool once on `path`, verify the stored object, delete it, and return the sample."""
    key = f"bench/{tool}/{round_no}-{uuid.uuid4().hex[:8]}.bin"
    endpoint = bench.endpoint
    if tool == "sink":
        endpoint = S3Endpoint(url=bench.sink_url, access_key="", secret_key="")
    target = bench.target(path, key, endpoint)
    invocation = BUILDERS[tool](bench.tools, target, settings)
    logs = bench.workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    label = settings.label().replace("/", "_")
    log_path = logs / f"{tool}-{bench.transport}-{round_no}-{label}.log"
    storage_cpu = tree_cpu_seconds(endpoint.pid) if endpoint.pid else 0.0
    measured = run_measured(
        invocation.argv,
        env=invocation.env,
        stdin_data=invocation.stdin,
        log_path=log_path,
        timeout=3600,
    )
    storage_cpu = tree_cpu_seconds(endpoint.pid) - storage_cpu if endpoint.pid else 0.0
    size = path.stat().st_size
    error = (
        "" if measured.returncode == 0 else f"exit {measured.returncode}: {measured.output_tail}"
    )
    if not error and tool != "sink":
        error = verify_and_delete(bench, size)
    else:
        delete_all(bench)
    # SeaweedFS frees deleted objects' space only on a vacuum: without one after every upload a
    # 1 GiB sweep filled the disk and ran out of volumes ("No writable volumes").
    vacuum(bench.endpoint)
    sample = Sample(
        tool=tool,
        round=round_no,
        settings=settings.label(),
        size=size,
        ok=not error,
        wall_s=round(measured.wall_s, 3),
        mb_per_s=round(size / measured.wall_s / 1e6, 1),
        cpu_s=round(measured.cpu_s, 2),
        cpu_s_per_gib=round(measured.cpu_s / (size / GIB), 2),
        user_s=round(measured.user_s, 2),
        sys_s=round(measured.sys_s, 2),
        peak_rss_mib=round(measured.maxrss_kib / 1024, 1),
        storage_cpu_s_per_gib=round(storage_cpu / (size / GIB), 2),
        error=error[-2000:],
        transport=bench.transport,
    )
    logger.info(
        "%-11s %-5s r%d %-10s %s  %7.1f MB/s  %5.2f CPU-s/GiB  %6.1f MiB RSS%s",
        tool,
        bench.transport,
        round_no,
        settings.label(),
        "ok " if sample.ok else "ERR",
        sample.mb_per_s,
        sample.cpu_s_per_gib,
        sample.peak_rss_mib,
        f"  ({error.splitlines()[-1][:160] if error.splitlines() else error})" if error else "",
    )
    return sample


def verify_and_delete(bench: Bench, size: int) -> str:
    """Empty the bucket; return "" if it held exactly one object of `size` bytes, else why not."""
    objects = _list(bench)
    delete_all(bench, objects)
    matching = [o for o in objects if o["Size"] == size]
    if len(matching) != 1:
        found = ", ".join(f"{o['Key']}={o['Size']}" for o in objects) or "nothing"
        return f"expected one stored object of {size} bytes, found {found}"
    return ""


def _list(bench: Bench) -> list[dict[str, Any]]:
    client: Any = s3_client(bench.endpoint)
    objects: list[dict[str, Any]] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bench.bucket):
        objects.extend(page.get("Contents", []))
    return objects


def delete_all(bench: Bench, objects: list[dict[str, Any]] | None = None) -> None:
    """Delete every object and abort every unfinished multipart upload in the bucket."""
    client: Any = s3_client(bench.endpoint)
    for obj in objects if objects is not None else _list(bench):
        client.delete_object(Bucket=bench.bucket, Key=obj["Key"])
    # Unfinished multipart uploads (a failed run) hold space too.
    listing = client.list_multipart_uploads(Bucket=bench.bucket)
    for upload in listing.get("Uploads", []):
        client.abort_multipart_upload(
            Bucket=bench.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """One (tool, transport) of a run's plan.

    Attributes:
        bench: What it uploads through (its transport, and for ours its backend).
        tool: Tool name.
        settings: Its best settings for that transport.
    """

    bench: Bench
    tool: str
    settings: Settings

    def label(self) -> str:
        """`ours/https`-style short form for logs."""
        return f"{self.tool}/{self.bench.transport}"


def interleaved(
    plan: Sequence[Entry],
    path: Path,
    *,
    rounds: int,
    on_sample: Callable[[Sample], None] | None = None,
) -> list[Sample]:
    """Run every entry of `plan` once per round, rotating the order each round."""
    samples: list[Sample] = []
    for r in range(1, rounds + 1):
        shift = (r - 1) % len(plan)
        order = list(plan[shift:]) + list(plan[:shift])
        logger.info("round %d/%d: %s", r, rounds, " ".join(e.label() for e in order))
        for entry in order:
            sample = upload_once(entry.bench, entry.tool, entry.settings, path, round_no=r)
            samples.append(sample)
            if on_sample:
                on_sample(sample)
            time.sleep(SETTLE_S)
    return samples


def summarize(samples: Sequence[Sample]) -> dict[str, dict[str, Any]]:
    """Per tool: median, min and max of MB/s, CPU-s/GiB and peak RSS over its successful runs."""
    summary: dict[str, dict[str, Any]] = {}
    for tool in dict.fromkeys(s.tool for s in samples):
        runs = [s for s in samples if s.tool == tool]
        good = [s for s in runs if s.ok]
        entry: dict[str, Any] = {
            "settings": runs[0].settings,
            "runs": len(runs),
            "ok_runs": len(good),
            "errors": [s.error for s in runs if not s.ok][:3],
        }
        for metric in (
            "mb_per_s",
            "cpu_s_per_gib",
            "peak_rss_mib",
            "wall_s",
            "storage_cpu_s_per_gib",
        ):
            values = [getattr(s, metric) for s in good]
            entry[metric] = _stats(values)
        summary[tool] = entry
    return summary


def _stats(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def ratios(summary: dict[str, dict[str, Any]], ours: str = "ours") -> dict[str, dict[str, float]]:
    """Our median over each peer's: throughput (higher is better), CPU and RSS (lower is better)."""
    mine = summary.get(ours)
    if not mine or not mine["mb_per_s"]:
        return {}
    out: dict[str, dict[str, float]] = {}
    for tool, entry in summary.items():
        if tool == ours or not entry["mb_per_s"]:
            continue
        out[tool] = {
            metric: round(mine[metric]["median"] / entry[metric]["median"], 2)
            for metric in ("mb_per_s", "cpu_s_per_gib", "peak_rss_mib")
            if entry[metric]["median"]
        }
    return out
