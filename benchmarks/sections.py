"""The parts of a run (throughput, memory, resume, burst) and the targets that judge them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from benchmarks import backend as backend_mod
from benchmarks import throughput as tp
from benchmarks.cpu_model import best_peer, cpu_budget
from benchmarks.datafiles import GIB, MIB, human, sparse_file
from benchmarks.stack import Stack
from benchmarks.sweep import load_best
from benchmarks.toolchain import Toolchain
from benchmarks.uploaders import PEERS, available

logger = logging.getLogger(__name__)


def bench_for(stack: Stack, tools: Toolchain) -> tp.Bench:
    """The shared upload context; signs our CLI in when the backend runs and the CLI can."""
    login = None
    if stack.backend is not None:
        login = backend_mod.signed_in_home(
            stack.backend, stack.workdir / "cli-home", tools, stack.keyring_env
        )
    return tp.Bench(
        tools=tools,
        endpoint=stack.endpoint,
        sink_url=stack.sink_url,
        bucket=stack.bucket,
        workdir=stack.workdir,
        backend_url=stack.backend.url if stack.backend else "",
        cli_home=login.home if login else None,
        cli_env=login.env if login else {},
        cli_password=login.password if login else None,
    )


def describe_stack(stack: Stack) -> dict[str, Any]:
    """Server facts for the results file."""
    return {
        "s3": "SeaweedFS (weed server -s3, one process, 127.0.0.1)",
        "backend": (
            {"uvicorn_workers": stack.backend.workers, "url": stack.backend.url}
            if stack.backend
            else None
        ),
    }


def throughput(
    bench: tp.Bench, wanted: list[str], file: Path, rounds: int, profile_dir: Path | None = None
) -> dict[str, Any]:
    """Interleaved rounds of every runnable tool with its best settings; optionally profile ours."""
    best = load_best(tls=bench.tls)
    unavailable: dict[str, str] = {}
    plan = []
    for tool in wanted:
        why = available(bench.tools, tool, ours_ready=bench.cli_home is not None)
        if why:
            unavailable[tool] = why
            logger.warning("skipping %s: %s", tool, why)
        else:
            plan.append((tool, best[tool]))
    samples = tp.interleaved(bench, plan, file, rounds=rounds) if plan else []
    summary = tp.summarize(samples)
    if profile_dir is not None and any(t == "ours" for t, _ in plan):
        profile_ours(bench, best["ours"], file, profile_dir / "ours-upload.txt")
    from benchmarks.floor import measure as measure_floor

    return {
        "integrity_floor": measure_floor(file),
        "cpu_model": cpu_budget(summary, PEERS),
        "file_size": file.stat().st_size,
        "rounds": rounds,
        "plan": [{"tool": t, "settings": s.label()} for t, s in plan],
        "samples": [s.to_json() for s in samples],
        "summary": summary,
        "ratios": tp.ratios(summary),
        "unavailable": unavailable,
    }


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
    """Peak RSS of our CLI on sparse files of each size, same settings."""
    if bench.cli_home is None:
        return {"skipped": "our CLI cannot run here yet", "runs": []}
    settings = load_best(tls=bench.tls)["ours"]
    runs = []
    for size in sizes:
        path = sparse_file(data_dir, size)
        logger.info("memory: our CLI on a %s sparse file", human(size))
        sample = tp.upload_once(bench, "ours", settings, path, round_no=0)
        runs.append(sample.to_json())
        path.unlink()
    return {"runs": runs}


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
    """Issue 6's targets next to what this run measured (None: not measured in this run)."""
    s = doc["sections"]
    out: list[dict[str, Any]] = []
    summary = s.get("throughput", {}).get("summary", {})
    ours = summary.get("ours", {})
    best = best_peer(summary, PEERS)
    if ours.get("mb_per_s") and best is not None:
        ratio = ours["mb_per_s"]["median"] / summary[best]["mb_per_s"]["median"]
        measured = f"{ratio:.2f}x ({best})"
        budget = s["throughput"].get("cpu_model", {}).get("client_budget_cpu_s_per_gib")
        if budget is not None:
            measured += f"; 1.10x needs client CPU <= {budget:.2f} CPU-s/GiB at this storage cost"
        out.append(_t("throughput vs best peer", ">= 1.10x", measured, ratio >= 1.10))
    else:
        out.append(_t("throughput vs best peer", ">= 1.10x", "—", None))
    if ours.get("cpu_s_per_gib") and summary.get("s5cmd", {}).get("cpu_s_per_gib"):
        s5cmd = summary["s5cmd"]["cpu_s_per_gib"]["median"]
        ratio = ours["cpu_s_per_gib"]["median"] / s5cmd
        measured = f"{ratio:.2f}x"
        floor = s.get("throughput", {}).get("integrity_floor", {}).get("required_cpu_s_per_gib")
        if floor:
            measured += f" (the required read, SHA-256 and CRCs alone: {floor / s5cmd:.2f}x)"
        out.append(_t("client CPU per GiB vs s5cmd", "<= 0.5x", measured, ratio <= 0.5))
    else:
        out.append(_t("client CPU per GiB vs s5cmd", "<= 0.5x", "—", None))
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
