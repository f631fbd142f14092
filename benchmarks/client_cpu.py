"""Where our CLI's CPU goes: start-up apart from the bytes, and A/B against another checkout.

``python -m benchmarks.client_cpu [--tls] [--size 1G] [--rounds 3] [--baseline DIR]`` starts the
same servers as a run (SeaweedFS, the backend, a signed-in CLI home), then alternates a 1 KiB upload
(start-up, sign-in, the backend calls, completion: everything but the bytes) with an upload of the
random file, and prints each run's user and system CPU. The difference between the two, per GiB, is
what the bytes themselves cost; the 1 KiB figure is what every upload pays once.

``--baseline DIR`` runs the CLI of another checkout (e.g. ``git archive main | tar -x -C DIR``)
interleaved with this one, in alternating order, so both see the same machine load: on a shared
machine only such pairs say whether a change saved CPU. ``--importtime FILE`` adds one 1 KiB upload
under ``-X importtime``; ``--spy DIR`` one of each under ``py-spy --native`` (time inside C too).

It measures CPU-seconds, which stay fairly stable on a shared machine; wall time does not.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
from pathlib import Path
from typing import Any

from benchmarks import sections
from benchmarks import throughput as tp
from benchmarks.datafiles import GIB, parse_size, random_file
from benchmarks.procs import run_measured
from benchmarks.stack import DEFAULT_INTEGRITY, running_stack
from benchmarks.sweep import load_best
from benchmarks.toolchain import ROOT, prepare
from benchmarks.uploaders import Settings, ours

logger = logging.getLogger(__name__)


def _once(
    bench: tp.Bench,
    settings: Any,
    path: Path,
    spy: Path | None = None,
    importtime: Path | None = None,
    source: Path | None = None,
) -> tuple[float, float, float]:
    invocation = ours(bench.tools, bench.target(path), settings)
    argv = invocation.argv
    env = dict(invocation.env)
    if source is not None:
        # Another checkout of the project (A/B); `-m` puts the working directory first on the path.
        env["PYTHONPATH"] = str(source)
    if importtime is not None:
        env["PYTHONPROFILEIMPORTTIME"] = "1"
    if spy is not None:
        py_spy = str(Path(bench.tools.python).with_name("py-spy"))
        argv = [py_spy, "record", "--native", "--format", "raw", "-r", "1000", "-o", str(spy), "--"]
        argv += invocation.argv
    measured = run_measured(
        argv, env=env, stdin_data=invocation.stdin, timeout=1800, log_path=importtime, cwd=source
    )
    if measured.returncode != 0:
        raise RuntimeError(measured.output_tail)
    tp.delete_all(bench)
    return measured.user_s, measured.sys_s, measured.wall_s


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.client_cpu")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--size", default="1G")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--spy", type=Path, help="folder for a py-spy --native profile")
    parser.add_argument("--importtime", type=Path, help="file for -X importtime of a 1 KiB upload")
    parser.add_argument(
        "--baseline", type=Path, help="another checkout whose CLI runs interleaved with this one"
    )
    parser.add_argument(
        "--parts", help="compare parts in flight instead, e.g. 4,16 (this checkout)"
    )
    parser.add_argument("--workdir", type=Path, default=ROOT / ".tools" / "bench-work")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    tools = prepare(install=False)
    size = parse_size(args.size)
    big = random_file(args.workdir / "data", size)
    small = random_file(args.workdir / "data", 1024)
    settings = load_best(tls=args.tls)["ours"]
    load_start = os.getloadavg()
    # name -> (checkout, settings)
    variants: dict[str, tuple[Path | None, Settings]] = {"this": (None, settings)}
    if args.baseline is not None:
        variants = {"baseline": (args.baseline, settings), "this": (None, settings)}
    if args.parts:
        variants = {
            f"c{n}": (None, Settings(int(n), settings.part_mib)) for n in args.parts.split(",")
        }
    small_cpu: dict[str, list[float]] = {v: [] for v in variants}
    big_cpu: dict[str, list[float]] = {v: [] for v in variants}
    lane = ("https" if args.tls else "http", DEFAULT_INTEGRITY)
    with running_stack(args.workdir / "client-cpu", lanes=[lane]) as stack:
        bench = sections.bench_for(stack, tools, lane)
        for r in range(args.rounds):
            # Alternate the order each round, so neither variant always runs first.
            order = list(variants) if r % 2 == 0 else list(reversed(variants))
            for name in order:
                source, chosen = variants[name]
                u, s, _ = _once(bench, chosen, small, source=source)
                small_cpu[name].append(u + s)
                logger.info(
                    "round %d %-8s 1 KiB: user %.3f sys %.3f = %.3f CPU-s", r, name, u, s, u + s
                )
                u, s, wall = _once(bench, chosen, big, source=source)
                big_cpu[name].append(u + s)
                logger.info(
                    "round %d %-8s %s: user %.2f sys %.2f = %.2f CPU-s, %.2f per GiB, %.1f MB/s",
                    r,
                    name,
                    args.size,
                    u,
                    s,
                    u + s,
                    (u + s) / (size / GIB),
                    size / wall / 1e6,
                )
        if args.importtime is not None:
            _once(bench, settings, small, importtime=args.importtime)
            logger.info("import times: %s", args.importtime)
        if args.spy is not None:
            args.spy.mkdir(parents=True, exist_ok=True)
            _once(bench, settings, small, args.spy / "ours-small.txt")
            _once(bench, settings, big, args.spy / "ours-native.txt")
            logger.info("profiles: %s", args.spy)
    for name in variants:
        start_up = statistics.median(small_cpu[name])
        whole = statistics.median(big_cpu[name])
        print(
            f"{name:8s} {'https' if args.tls else 'http'} {variants[name][1].label()}: 1 KiB "
            f"upload {start_up:.3f} CPU-s; {args.size} upload {whole / (size / GIB):.2f} "
            f"CPU-s/GiB, of which bytes {(whole - start_up) / (size / GIB):.2f}"
        )
    print(f"load {load_start} -> {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
