"""A CLI command ends with `os._exit`, without the interpreter's teardown (~50 ms of CPU per
upload), whether started as `python -m desktop` or as the installed `proctor-uploader` script:
its exit code and what it printed must still reach the caller."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

_SCRIPT = Path(sysconfig.get_path("scripts")) / (
    "proctor-uploader.exe" if sys.platform == "win32" else "proctor-uploader"
)
LAUNCHERS = {"module": [sys.executable, "-m", "desktop"], "console script": [str(_SCRIPT)]}


def _run(launcher: list[str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*launcher, *argv], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("launcher", LAUNCHERS.values(), ids=LAUNCHERS.keys())
def test_output_and_exit_code_survive_the_quick_exit(app_home: Path, launcher: list[str]) -> None:
    ok = _run(launcher, "status")
    assert (ok.returncode, ok.stdout.strip()) == (0, "The queue is empty.")
    failed = _run(launcher, "upload", str(app_home / "missing.mp4"), "--exam", "x")
    assert failed.returncode == 2
    assert failed.stderr.strip() == (
        f"proctor-uploader: {app_home / 'missing.mp4'}: no such file or folder"
    )
