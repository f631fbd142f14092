"""GUI event-loop stall while the real app uploads 1,000 real files (issue 6).

    .venv/bin/python -m benchmarks run --only gui --tools ours          # as a section of the run
    .venv/bin/python -m benchmarks.gui [--files 1000] [--min-size 256K] [--max-size 2M]

Makes `--files` random files (sizes uniform between the two bounds, fixed seed), then runs the real
desktop app offscreen in a child process (`benchmarks/gui_app.py`) against the run's backend and
SeaweedFS: it signs in, the folder is added the way a drop adds it, and every file is uploaded by
the real engine. A 10 ms heartbeat timer on the GUI thread measures how late it fires; the figures
are split into the adding phase (drop until every row is shown) and the uploading phase.

`benchmarks/gui_stall.py` is the synthetic variant: the same window fed fake progress from threads,
with no network and no storage (it isolates the model and the view).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.datafiles import MIB, human, parse_size
from benchmarks.procs import start_py_spy, stop_py_spy
from benchmarks.toolchain import ROOT

logger = logging.getLogger(__name__)
KIB = 1024
FULL = {"files": 1000, "min_size": 256 * KIB, "max_size": 2 * MIB, "bandwidth_kib": 0}
# The smoke's 40 small files could all be uploaded before the throttled row inserts had shown every
# row, leaving the uploading phase without a single heartbeat (a CI run failed so). At 1 MiB/s their
# ~6 MB take ~6 s, far longer than adding them (at most ~1 s), so both phases are measured.
SMOKE = {"files": 40, "min_size": 64 * KIB, "max_size": 256 * KIB, "bandwidth_kib": 1024}
_SEED = 6


def make_files(folder: Path, count: int, min_size: int, max_size: int) -> int:
    """`count` random recordings in `folder` (reused when already made alike); total bytes."""
    rng = random.Random(_SEED)
    sizes = [rng.randint(min_size, max_size) for _ in range(count)]
    manifest = folder / "manifest.json"
    wanted = {"count": count, "sizes": sizes}
    if manifest.exists() and json.loads(manifest.read_text()) == wanted:
        return sum(sizes)
    if folder.exists():
        for old in folder.iterdir():
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    for n, size in enumerate(sizes):
        kind = "webcam" if n % 2 == 0 else "screen"
        (folder / f"candidate_{n:04d}_{kind}.mp4").write_bytes(os.urandom(size))
    # Outside the folder the app walks: the manifest is not a recording.
    manifest.write_text(json.dumps(wanted))
    return sum(sizes)


def measure(
    backend_url: str,
    username: str,
    password: str,
    data_dir: Path,
    workdir: Path,
    *,
    files: int,
    min_size: int,
    max_size: int,
    bandwidth_kib: int = 0,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """Run the app once over `files` new files; the child's figures plus the setup."""
    folder = data_dir / f"gui-{files}-{min_size}-{max_size}"
    total = make_files(folder / "recordings", files, min_size, max_size)
    home = workdir / f"gui-home-{os.getpid()}"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    env.update(
        {
            "PROCTOR_UPLOADER_HOME": str(home),
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "PYTHONPATH": str(ROOT),
        }
    )
    argv = [sys.executable, "-m", "benchmarks.gui_app", "--server", backend_url]
    argv += ["--username", username, "--folder", str(folder / "recordings")]
    argv += ["--files", str(files), "--bandwidth-kib", str(bandwidth_kib)]
    logger.info("gui: the app uploads %d files, %s in all", files, human(total))
    log_path = workdir / "logs" / "gui-app.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log
        )
        spy = start_py_spy(proc.pid, profile_dir / "gui-app.txt") if profile_dir else None
        out, _ = proc.communicate(password.encode() + b"\n", timeout=1200)
        stop_py_spy(spy)
    if proc.returncode != 0:
        tail = log_path.read_text(errors="replace")[-2000:]
        return {"error": f"the app exited with {proc.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    result.update(
        {
            "min_size": min_size,
            "max_size": max_size,
            "bandwidth_kib": bandwidth_kib,
            "heartbeat_ms": 10,
        }
    )
    return result


def main(argv: list[str] | None = None) -> int:
    """Standalone: start SeaweedFS and the backend, measure, print the figures."""
    from benchmarks.stack import running_stack

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=FULL["files"])
    parser.add_argument("--min-size", default="256K")
    parser.add_argument("--max-size", default="2M")
    # Its own folder: the stack empties `<workdir>/run`, which a concurrent full run may be using.
    parser.add_argument("--workdir", type=Path, default=ROOT / ".tools" / "gui-bench-work")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy the app into this dir")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    with running_stack(args.workdir / "run", with_backend=True) as stack:
        if stack.backend is None:
            print("the backend cannot run here", file=sys.stderr)
            return 1
        result = measure(
            stack.backend.url,
            stack.backend.username,
            stack.backend.password,
            args.workdir / "data",
            stack.workdir,
            files=args.files,
            min_size=parse_size(args.min_size),
            max_size=parse_size(args.max_size),
            profile_dir=args.profile,
        )
    print(json.dumps(result, indent=2))
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main())
