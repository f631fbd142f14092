"""`python -m benchmarks.backend_cpu`: the real app with an instant storage reports a figure."""

from __future__ import annotations

import re
import subprocess
import sys

from benchmarks.toolchain import ROOT


def test_a_short_run_uploads_through_the_real_routes_and_reports_cpu_per_upload() -> None:
    short = ["--uploads", "20", "--connections", "2", "--runs", "1", "--warm-up", "2"]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.backend_cpu", *short],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # The load generator raises on any answer >= 300, so a printed figure means every create,
    # sign and complete succeeded.
    assert re.fullmatch(
        r"20 uploads over 2 connections \(SQLite, WARNING\): \d+\.\d\d ms of backend CPU per "
        r"upload, \d+ uploads/s, load \d+\.\d\n",
        done.stdout,
    ), done.stdout
