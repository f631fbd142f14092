"""The parts of a run (throughput, memory, resume, burst) and the targets that judge them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from benchmarks import backend as backend_mod
from benchmarks import throughput as tp
from benchmarks.cpu_model import best_peer, cpu_budget
from benchmarks.datafiles import GIB, MIB, human, sparse_file
from benchmarks.stack import DEFAULT_INTEGRITY, PRIMARY, Lane, Stack
from benchmarks.sweep import load_best
from benchmarks.toolchain import Toolchain
from benchmarks.uploaders import INTEGRITY_OF, PEERS, available, base_tool

logger = logging.getLogger(__name__)


def bench_for(stack: Stack, tools: Toolchain, lane: Lane = PRIMARY) -> tp.Bench:
    """The upload context of one lane (transport, integrity); signs our CLI in to its backend
    when that backend runs and the CLI can."""
    transport, integrity = lane
    backend = stack.backends.get(lane)
    login = None
    if backend is not None:
        home = "cli-home" if lane == PRIMARY else f"cli-home-{transport}-{integrity}"
        login = backend_mod.signed_in_home(backend, stack.workdir / home, tools, stack.keyring_env)
    return tp.Bench(
        tools=tools,
        endpoint=stack.endpoints.get(transport, stack.endpoint),
        sink_url=stack.sink_url,
        bucket=stack.bucket,
        workdir=stack.workdir,
        backend_url=backend.url if backend else "",
        cli_home=login.home if login else None,
        cli_env=login.env if login else {},
        cli_password=login.password if login else None,
    )


def lanes_for(wanted: list[str], transports: list[str]) -> list[Lane]:
    """The (transport, integrity) backends a throughput run of `wanted` over `transports` needs:
    one per lane our CLI (or a variant of it) runs in."""
    return [
        (t, INTEGRITY_OF[tool])
        for t in transports
        for tool in wanted
        if tool in INTEGRITY_OF and runs_on(tool, t)
    ]


def runs_on(tool: str, transport: str) -> bool:
    """Whether `tool` is measured over `transport` in a run that asks for it.

    The sink speaks plain HTTP only. The integrity variants of ours measure what storage spends
    checking each scheme, which TLS does not change: they run over plain HTTP only, where the
    smaller total leaves the difference clearer and the run shorter.
    """
    if transport == "https":
        return tool != "sink" and base_tool(tool) == tool
    return True


def describe_stack(stack: Stack) -> dict[str, Any]:
    """Server facts for the results file."""
    return {
        "s3": "SeaweedFS (weed server -s3, one process, 127.0.0.1; HTTPS on a second port of the "
        "same gateway, self-signed, the same CA file given to every tool)",
        "endpoints": {t: e.url for t, e in stack.endpoints.items()},
        "backend": (
            {"uvicorn_workers": stack.backend.workers, "url": stack.backend.url}
            if stack.backend
            else None
        ),
        "backends": [
            {"transport": t, "integrity": i, "url": b.url, "uvicorn_workers": b.workers}
            for (t, i), b in stack.backends.items()
        ],
    }


def throughput(
    stack: Stack,
    tools: Toolchain,
    wanted: list[str],
    transports: list[str],
    file: Path,
    rounds: int,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """Interleaved rounds of every runnable (tool, transport) with the tool's best settings for
    that transport, all in the same rounds; figures and ratios reported per transport."""
    benches: dict[Lane, tp.Bench] = {}
    unavailable: dict[str, dict[str, str]] = {t: {} for t in transports}
    plan: list[tp.Entry] = []
    for tool in wanted:  # tool by tool, so one tool's transports run side by side in a round
        for transport in transports:
            if not runs_on(tool, transport):
                continue
            lane = (transport, INTEGRITY_OF.get(tool, DEFAULT_INTEGRITY))
            if lane not in benches:
                benches[lane] = bench_for(stack, tools, lane)
            bench = benches[lane]
            why = available(tools, tool, ours_ready=bench.cli_home is not None)
            if why:
                unavailable[transport][tool] = why
                logger.warning("skipping %s over %s: %s", tool, transport, why)
            else:
                best = load_best(tls=transport == "https")
                plan.append(tp.Entry(bench, tool, best[base_tool(tool)]))
    samples = tp.interleaved(plan, file, rounds=rounds) if plan else []
    if profile_dir is not None:
        for entry in plan:
            if entry.tool == "ours":
                name = f"ours-upload-{entry.bench.transport}.txt"
                profile_ours(entry.bench, entry.settings, file, profile_dir / name)
    from benchmarks.floor import measure as measure_floor

    by_transport = {
        t: _transport_figures(
            t,
            [e for e in plan if e.bench.transport == t],
            [s for s in samples if s.transport == t],
            unavailable[t],
        )
        for t in transports
    }
    return {
        "integrity_floor": measure_floor(file),
        "file_size": file.stat().st_size,
        "rounds": rounds,
        "transports": transports,
        "order": [e.label() for e in plan],
        "samples": [s.to_json() for s in samples],
        "by_transport": by_transport,
    }


def _transport_figures(
    transport: str, plan: list[tp.Entry], samples: list[tp.Sample], unavailable: dict[str, str]
) -> dict[str, Any]:
    """One transport's summary, ratios (ours over each peer and the sink) and CPU model."""
    summary = tp.summarize(samples)
    compared = {t: v for t, v in summary.items() if t not in INTEGRITY_OF or t == "ours"}
    return {
        "plan": [{"tool": e.tool, "settings": e.settings.label()} for e in plan],
        "summary": summary,
        "ratios": tp.ratios(compared),
        "cpu_model": cpu_budget(compared, PEERS),
        "storage_by_scheme": storage_by_scheme(summary, transport),
        "unavailable": unavailable,
    }


#: What each tool's parts carry for SeaweedFS to check (benchmarks/uploaders.py has the details).
SCHEMES = {
    "ours": "CRC64NVME, signed (ours, default)",
    "ours-crc32c": "CRC32C, signed (ours, --integrity crc32c)",
    "ours-md5": "Content-MD5, signed (ours, --integrity md5)",
    "aws-cli": "CRC32 (botocore's default)",
    "boto3": "CRC32 (botocore's default)",
    "rclone": "Content-MD5",
    "s5cmd": "Content-MD5",
}
#: Tools that sign a SHA-256 of each part's payload over plain HTTP (over HTTPS they leave it
#: unsigned), which storage then hashes too.
SIGNS_PAYLOAD_OVER_HTTP = ("aws-cli", "boto3", "s5cmd")


def storage_by_scheme(summary: dict[str, dict[str, Any]], transport: str) -> list[dict[str, Any]]:
    """SeaweedFS's CPU per GiB while each tool uploaded, next to what its parts carried."""
    rows = []
    for tool, scheme in SCHEMES.items():
        stats = summary.get(tool, {}).get("storage_cpu_s_per_gib")
        if stats:
            if transport == "http" and tool in SIGNS_PAYLOAD_OVER_HTTP:
                scheme += " + signed SHA-256 payload hash"
            rows.append({"tool": tool, "scheme": scheme, "storage_cpu_s_per_gib": stats})
    return rows


def profile_ours(bench: tp.Bench, settings: Any, file: Path, output: Path) -> None:
    """One extra, unmeasured upload by our CLI with py-spy attached (collapsed stacks)."""
    from benchmarks.procs import run_measured, start_py_spy, stop_py_spy
    from benchmarks.uploaders import ours

    invocation = ours(bench.tools, bench.target(file), settings)
    holder: dict[str, Any] = {}

    def attach(proc: Any) -> None:
        holder["spy"] = start_py_spy(proc.pid, output)

    run_measured(
        invocation.argv,
        env=invocation.env,
        stdin_data=invocation.stdin,
        watch=attach,
        log_path=bench.workdir / "logs" / "ours-profiled.log",
    )
    stop_py_spy(holder.get("spy"))
    tp.delete_all(bench)
    logger.info("profile of our CLI: %s", output)


def memory(bench: tp.Bench, data_dir: Path, sizes: list[int]) -> dict[str, Any]:
    """Peak RSS of our CLI on sparse files of each size, same settings, over `bench`'s transport
    (the run picks HTTPS when it has it: real storage is HTTPS, and TLS adds buffers)."""
    if bench.cli_home is None:
        return {"skipped": "our CLI cannot run here yet", "runs": [], "transport": bench.transport}
    settings = load_best(tls=bench.tls)["ours"]
    runs = []
    for size in sizes:
        path = sparse_file(data_dir, size)
        logger.info("memory: our CLI on a %s sparse file", human(size))
        sample = tp.upload_once(bench, "ours", settings, path, round_no=0)
        runs.append(sample.to_json())
        path.unlink()
    return {"runs": runs, "transport": bench.transport}


def resume(bench: tp.Bench, stack: Stack, data_dir: Path, size: int) -> dict[str, Any]:
    """Kill our CLI at ~50 %, restart it, count what is sent twice (see benchmarks/resume.py)."""
    if bench.cli_home is None or stack.backend is None:
        return {"skipped": "our CLI cannot run here yet"}
    from benchmarks.resume import measure as measure_resume

    return measure_resume(bench, stack, data_dir, size)


def follow(stack: Stack, data_dir: Path, size: int, rate: int) -> dict[str, Any]:
    """A recording followed while a real muxer writes it (see benchmarks/follow.py)."""
    if stack.backend is None:
        return {"skipped": backend_mod.unavailable_reason() or "backend not running"}
    from benchmarks.follow import measure as measure_follow

    return measure_follow(stack, data_dir, size, rate)


def burst(
    stack: Stack, workstations: int, ramps: tuple[float, ...], profile_dir: Path | None = None
) -> dict[str, Any]:
    """The exam-end burst against the backend (see benchmarks/burst.py)."""
    if stack.backend is None:
        return {"skipped": backend_mod.unavailable_reason() or "backend not running"}
    from benchmarks.burst import measure as measure_burst

    return measure_burst(stack, workstations, ramps, profile_dir)


def gui(stack: Stack, data_dir: Path, *, smoke: bool, profile_dir: Path | None = None) -> Any:
    """The real app offscreen uploading many small files: event-loop stall (benchmarks/gui.py)."""
    if stack.backend is None:
        return {"skipped": backend_mod.unavailable_reason() or "backend not running"}
    from benchmarks import gui as gui_mod

    b = stack.backend
    shape = gui_mod.SMOKE if smoke else gui_mod.FULL
    return gui_mod.measure(
        b.url, b.username, b.password, data_dir, stack.workdir, **shape, profile_dir=profile_dir
    )


def targets(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Issues 6, 12 and 15's targets next to what this run measured (None: not measured); the
    throughput ones once per transport."""
    s = doc["sections"]
    out: list[dict[str, Any]] = []
    section = s.get("throughput", {})
    floor = section.get("integrity_floor", {}).get("required_cpu_s_per_gib")
    for transport in section.get("transports") or ["http"]:
        figures = section.get("by_transport", {}).get(transport, {})
        out += _throughput_targets(transport, figures, floor)
    runs = [r for r in s.get("memory", {}).get("runs", []) if r["ok"]]
    if len(runs) >= 2:
        peaks = [r["peak_rss_mib"] for r in runs]
        flat = max(peaks) <= min(peaks) * 1.10 + 4
        text = ", ".join(f"{human(r['size'])}: {r['peak_rss_mib']} MiB" for r in runs)
        out.append(
            _t(
                "peak RSS of the CLI, flat in size",
                "<= 80 MiB, same for 2 and 20 GiB",
                text,
                max(peaks) <= 80 and flat,
            )
        )
    else:
        out.append(_t("peak RSS of the CLI, flat in size", "<= 80 MiB", "—", None))
    r = s.get("resume", {})
    if "resent_bytes" in r:
        ok = r["resent_bytes"] <= r["in_flight_bound_bytes"] and r["first_byte_s"] <= 1.0
        out.append(
            _t(
                "resume after kill",
                "re-sent <= parts in flight; first byte <= 1 s",
                f"re-sent {human(r['resent_bytes'])} (bound {human(r['in_flight_bound_bytes'])}),"
                f" first byte {r['first_byte_s']:.2f} s"
                + (f" ({r['first_byte_cpu_s']:.2f} CPU-s)" if "first_byte_cpu_s" in r else ""),
                ok,
            )
        )
    else:
        out.append(_t("resume after kill", "re-sent <= in flight; first byte <= 1 s", "—", None))
    g = s.get("gui", {})
    if "stall" in g:
        st = g["stall"]
        out.append(
            _t(
                f"GUI event-loop stall, {g['files']:,} files",
                "p99 < 50 ms",
                f"p50 {st['p50_ms']:.1f} ms, p99 {st['p99_ms']:.1f} ms, max {st['max_ms']:.0f} ms"
                f" ({g['completed']} uploaded in {g['duration_s']:.0f} s)",
                st["p99_ms"] < 50 and g["completed"] == g["files"],
            )
        )
    else:
        out.append(_t("GUI event-loop stall, 1,000 files", "p99 < 50 ms", "—", None))
    f = s.get("follow", {})
    if "followed" in f:
        fo = f["followed"]
        out.append(
            _t(
                f"follow a {human(fo['recording_bytes'])} recording",
                "<= 2 parts + rewritten ones left at stop; stop-to-receipt <= 5 s",
                f"{fo['parts_sent_after_stop']} parts after stop "
                f"({fo['rewritten_parts_resent']} rewritten), stop-to-receipt "
                f"{fo['stop_to_receipt_s']:.1f} s (after the end: "
                f"{f['uploaded_after_end']['add_to_receipt_s']:.1f} s)",
                f["goal_met"],
            )
        )
    else:
        out.append(_t("follow a 2 GiB recording", "<= 2 parts + rewritten at stop", "—", None))
    b = s.get("burst", {})
    for config in b.get("configurations", []):
        out.extend(_burst_targets(config, b["workstations"]))
    if not b.get("configurations"):
        out.append(_t("burst, 1,000 workstations at once", "p99 <= 2 s, 0 errors", "—", None))
    return out


def _throughput_targets(
    transport: str, figures: dict[str, Any], floor: float | None
) -> list[dict[str, Any]]:
    """Issue 12's two throughput targets over one transport."""
    out: list[dict[str, Any]] = []
    over = f" ({transport.upper()})"
    summary = figures.get("summary", {})
    ours = summary.get("ours", {})
    best = best_peer(summary, PEERS)
    if ours.get("mb_per_s") and best is not None:
        ratio = ours["mb_per_s"]["median"] / summary[best]["mb_per_s"]["median"]
        measured = f"{ratio:.2f}x ({best})"
        budget = figures.get("cpu_model", {}).get("client_budget_cpu_s_per_gib")
        if budget is not None:
            measured += f"; 1.10x needs client CPU <= {budget:.2f} CPU-s/GiB at this storage cost"
        out.append(_t("throughput vs best peer" + over, ">= 1.10x", measured, ratio >= 1.10))
    else:
        out.append(_t("throughput vs best peer" + over, ">= 1.10x", "—", None))
    if ours.get("cpu_s_per_gib") and summary.get("s5cmd", {}).get("cpu_s_per_gib"):
        s5cmd = summary["s5cmd"]["cpu_s_per_gib"]["median"]
        ratio = ours["cpu_s_per_gib"]["median"] / s5cmd
        measured = f"{ratio:.2f}x"
        if floor:
            measured += f" (the required read, SHA-256 and CRCs alone: {floor / s5cmd:.2f}x)"
        out.append(_t("client CPU per GiB vs s5cmd" + over, "<= 0.5x", measured, ratio <= 0.5))
    else:
        out.append(_t("client CPU per GiB vs s5cmd" + over, "<= 0.5x", "—", None))
    return out


def _burst_targets(config: dict[str, Any], workstations: int) -> list[dict[str, Any]]:
    """Ramp 0 (all at once): p99 <= 2 s, 0 errors, <= 3 ms backend CPU per upload; a 60 s ramp:
    p99 < 100 ms."""
    out = []
    for sc in config["scenarios"]:
        if "p99_ms" not in sc:
            out.append(_t(f"burst {config['configuration']}", "ran", "failed", False))
            continue
        where = (
            f"burst {config['configuration']}, {workstations} workstations, ramp {sc['ramp_s']:g} s"
        )
        if sc["ramp_s"] == 0:
            out.append(
                _t(
                    where,
                    "p99 <= 2 s, 0 errors, backend CPU <= 3 ms/upload",
                    f"p99 {sc['p99_ms']:.0f} ms, {sc['errors']} errors, "
                    f"{sc['backend_cpu_ms_per_upload']:.1f} ms/upload "
                    f"(load {sc['load_average_1m']:.1f})",
                    sc["p99_ms"] <= 2000
                    and sc["errors"] == 0
                    and sc["backend_cpu_ms_per_upload"] <= 3,
                )
            )
        elif sc["ramp_s"] >= 60:
            out.append(
                _t(
                    where,
                    "p99 < 100 ms, 0 errors",
                    f"p99 {sc['p99_ms']:.0f} ms, {sc['errors']} errors "
                    f"(load {sc['load_average_1m']:.1f})",
                    sc["p99_ms"] < 100 and sc["errors"] == 0,
                )
            )
    return out


def _t(name: str, wanted: str, measured: str, met: bool | None) -> dict[str, Any]:
    return {"name": name, "wanted": wanted, "measured": measured, "met": met}


__all__ = [
    "GIB",
    "MIB",
    "bench_for",
    "burst",
    "follow",
    "gui",
    "memory",
    "resume",
    "targets",
    "throughput",
]
