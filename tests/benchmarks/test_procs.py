"""The benchmark's resource measurement of a client whose processes come and go."""

from __future__ import annotations

import sys

from benchmarks.procs import run_measured


def test_peak_rss_is_sampled_across_children_that_exit_while_it_looks() -> None:
    # Short-lived children one after another: their /proc entries vanish at any step of the
    # sampler's walk (as a client's do when a run ends). A sampler thread that died of that
    # would fail this test (an unhandled thread exception is an error here) or miss the peak.
    script = (
        "import subprocess, sys\n"
        "for _ in range(30):\n"
        "    subprocess.run([sys.executable, '-c', 'x = b\"x\" * (64 << 20)'], check=True)\n"
    )
    measured = run_measured([sys.executable, "-c", script], timeout=120)
    assert measured.returncode == 0, measured.output_tail
    assert measured.maxrss_kib >= 64 * 1024
