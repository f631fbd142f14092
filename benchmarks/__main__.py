"""`python -m benchmarks run|sweep`: the documented way to take every figure in docs/performance.md.

    .venv/bin/python -m benchmarks run                 # everything, 2 GiB, 3 rounds, HTTP+HTTPS
    .venv/bin/python -m benchmarks run --smoke         # tiny file, one round, every available tool
    .venv/bin/python -m benchmarks run --only throughput --tools ours,s5cmd --size 1G --rounds 5
    .venv/bin/python -m benchmarks run --transports https   # S3 over HTTPS only (= --tls)
    .venv/bin/python -m benchmarks sweep --size 512M   # find each tool's best settings first
    .venv/bin/python -m benchmarks sweep --tls         # the same over HTTPS, kept apart

Peers (pinned in benchmarks/peers.txt) come from `./dev setup`, else are installed into `.tools/`
on first use (`--no-install` to skip).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import sections, sweep
from benchmarks.datafiles import human, parse_size, random_file, warm
from benchmarks.report import RESULTS_DIR, new_document, write
from benchmarks.stack import DEFAULT_INTEGRITY, TRANSPORTS, running_stack
from benchmarks.toolchain import ROOT, prepare
from benchmarks.uploaders import BUILDERS, available, base_tool

logger = logging.getLogger("benchmarks")
SECTIONS = ("throughput", "memory", "resume", "burst", "gui", "follow")
DEFAULT_WORKDIR = ROOT / ".tools" / "bench-work"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "sweep"):
        p = sub.add_parser(name)
        p.add_argument("--size", default=None, help="test file size (default 2G; sweep 512M)")
        p.add_argument("--tools", default=",".join(BUILDERS), help="comma-separated subset")
        p.add_argument("--no-install", action="store_true", help="do not install missing peers")
        p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
        p.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
        p.add_argument(
            "--tls",
            action="store_true",
            help="serve S3 over HTTPS (self-signed certificate, the same CA given to every tool)"
            + ("; run: the same as --transports https" if name == "run" else ""),
        )
    run = sub.choices["run"]
    run.add_argument(
        "--transports",
        default=",".join(TRANSPORTS),
        help="throughput over these, interleaved in the same rounds (default: http,https; one "
        "SeaweedFS serves both)",
    )
    run.add_argument("--rounds", type=int, default=3)
    run.add_argument("--only", default=",".join(SECTIONS), help=f"sections: {','.join(SECTIONS)}")
    run.add_argument("--smoke", action="store_true", help="tiny files, one round, small burst")
    run.add_argument("--memory-sizes", default="2G,20G", help="sparse file sizes for memory runs")
    run.add_argument("--workstations", type=int, default=1000, help="burst: simulated machines")
    run.add_argument(
        "--burst-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="backend workers (proctor-backend serve --workers N); default one per core, as "
        "docs/api.md recommends",
    )
    run.add_argument(
        "--burst-ramps", default="0,60", help="burst: arrival windows in seconds, worst first"
    )
    run.add_argument(
        "--follow-rate",
        default="40M",
        help="follow: the recorder's steady write rate in bytes per second (size from --size)",
    )
    run.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="record py-spy profiles (our CLI, the backend in the burst) here",
    )
    sub.choices["sweep"].add_argument("--repeats", type=int, default=1)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    tools = prepare(install=not args.no_install)
    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(wanted) - set(BUILDERS))
    if unknown:
        print(
            f"unknown tools: {', '.join(unknown)} (known: {', '.join(BUILDERS)})", file=sys.stderr
        )
        return 2
    if args.command == "sweep":
        # The integrity variants are ours with another backend: they share ours's settings.
        wanted = [t for t in wanted if base_tool(t) == t]
        if args.tls and "sink" in wanted:
            wanted = [t for t in wanted if t != "sink"]  # the discard sink speaks plain HTTP only
        return _sweep(args, tools, wanted)
    return _run(args, tools, wanted)


def _sweep(args: argparse.Namespace, tools: Any, wanted: list[str]) -> int:
    size = parse_size(args.size or "512M")
    file = random_file(args.workdir / "data", size)
    warm(file)
    transport = "https" if args.tls else "http"
    lane = (transport, DEFAULT_INTEGRITY)
    with running_stack(
        args.workdir / "run", with_backend="ours" in wanted, https=args.tls, lanes=[lane]
    ) as stack:
        bench = sections.bench_for(stack, tools, lane)
        runnable = [
            t for t in wanted if not available(tools, t, ours_ready=bench.cli_home is not None)
        ]
        best, samples = sweep.sweep(bench, runnable, file, repeats=args.repeats)
    meta = {
        "swept_at": time.strftime("%Y-%m-%d"),
        "repeats": args.repeats,
        "tls": args.tls,
        # Load average (1, 5, 15 min) at the end: on a shared machine, how far to trust the sweep.
        "load": [round(x, 1) for x in os.getloadavg()],
    }
    sweep.save_best(best, samples, file_size=size, meta=meta, tls=args.tls)
    for tool, s in best.items():
        logger.info("best for %s: %s", tool, s.label())
    return 0


def _run(args: argparse.Namespace, tools: Any, wanted: list[str]) -> int:
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    bad = sorted(set(only) - set(SECTIONS))
    if bad:
        print(f"unknown sections: {', '.join(bad)} (known: {', '.join(SECTIONS)})", file=sys.stderr)
        return 2
    transports = ["https"] if args.tls else [t.strip() for t in args.transports.split(",")]
    transports = [t for t in dict.fromkeys(transports) if t]
    bad = sorted(set(transports) - set(TRANSPORTS)) or ([] if transports else ["(none)"])
    if bad:
        print(
            f"unknown transports: {', '.join(bad)} (known: {', '.join(TRANSPORTS)})",
            file=sys.stderr,
        )
        return 2
    smoke = args.smoke
    size = parse_size(args.size or ("24M" if smoke else "2G"))
    rounds = 1 if smoke else args.rounds
    complete = (
        set(only) == set(SECTIONS)
        and set(wanted) == set(BUILDERS)
        and set(transports) == set(TRANSPORTS)
        and args.size is None
    )
    mode = "smoke" if smoke else ("full" if complete else "partial")
    doc = new_document(
        mode,
        {
            "size": size,
            "rounds": rounds,
            "only": only,
            "tools": wanted,
            "transports": transports,
            "memory_sizes": args.memory_sizes,
        },
        tools.versions,
    )
    data_dir = args.workdir / "data"
    needs_backend = "ours" in wanted or any(
        s in only for s in ("memory", "resume", "burst", "gui", "follow")
    )
    # Memory over HTTPS when the run has it: real storage is HTTPS, and TLS adds buffers.
    memory_lane = ("https" if "https" in transports else "http", DEFAULT_INTEGRITY)
    lanes = sections.lanes_for(wanted, transports) if "throughput" in only else []
    if "memory" in only:
        lanes.append(memory_lane)
    with running_stack(
        args.workdir / "run",
        with_backend=needs_backend,
        workers=args.burst_workers,
        https="https" in transports,
        lanes=lanes,
    ) as stack:
        doc["servers"] = sections.describe_stack(stack)
        if "throughput" in only:
            file = random_file(data_dir, size)
            warm(file)
            logger.info(
                "throughput: %s file, %d round(s), over %s",
                human(size),
                rounds,
                "+".join(transports),
            )
            doc["sections"]["throughput"] = sections.throughput(
                stack, tools, wanted, transports, file, rounds, args.profile
            )
        bench = sections.bench_for(stack, tools)
        if "memory" in only:
            sizes = [parse_size(s) for s in args.memory_sizes.split(",")]
            if smoke:
                sizes = [parse_size("16M"), parse_size("48M")]
            doc["sections"]["memory"] = sections.memory(
                sections.bench_for(stack, tools, memory_lane), data_dir, sizes
            )
        if "resume" in only:
            resume_size = parse_size("64M") if smoke else size
            doc["sections"]["resume"] = sections.resume(bench, stack, data_dir, resume_size)
        if "burst" in only:
            n = 20 if smoke else args.workstations
            ramps = (0.0, 2.0) if smoke else tuple(float(r) for r in args.burst_ramps.split(","))
            doc["sections"]["burst"] = sections.burst(stack, n, ramps, args.profile)
        if "gui" in only:
            doc["sections"]["gui"] = sections.gui(
                stack, data_dir, smoke=smoke, profile_dir=args.profile
            )
        if "follow" in only:
            # Smoke: three of the backend's 21 MiB parts in ~4 s, so some leave while recording.
            follow_size = parse_size("64M") if smoke else size
            follow_rate = parse_size("16M") if smoke else parse_size(args.follow_rate)
            doc["sections"]["follow"] = sections.follow(stack, data_dir, follow_size, follow_rate)
    doc["targets"] = sections.targets(doc)
    json_path, md_path = write(doc, args.results_dir)
    print(md_path.read_text())
    logger.info("results: %s and %s", json_path, md_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
