"""`python -m desktop COMMAND` ends with `os._exit`, without the interpreter's teardown (~50 ms of
CPU per upload): its exit code and what it printed must still reach the caller."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_output_and_exit_code_survive_the_quick_exit(app_home: Path) -> None:
    ok = _run("status")
    assert (ok.returncode, ok.stdout.strip()) == (0, "The queue is empty.")
    failed = _run("upload", str(app_home / "missing.mp4"), "--exam", "x")
    assert failed.returncode == 2
    assert failed.stderr.strip() == (
        f"proctor-uploader: {app_home / 'missing.mp4'}: no such file or folder"
    )
