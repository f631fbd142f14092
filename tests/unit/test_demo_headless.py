"""The demo on a machine with no display: the engine uploads sample recordings in the terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.demo_headless import display_available, make_samples


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {}, False),
        ("linux", {"DISPLAY": ":0"}, True),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, True),
        ("linux", {"QT_QPA_PLATFORM": "offscreen"}, True),
        ("win32", {}, True),
        ("darwin", {}, True),
    ],
)
def test_display_detection(
    monkeypatch: pytest.MonkeyPatch, platform: str, env: dict[str, str], expected: bool
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "platform", platform)
    assert display_available() is expected


def test_samples_are_distinct_random_files(tmp_path: Path) -> None:
    samples = make_samples(tmp_path)
    assert [kind for _, kind in samples] == ["webcam", "screen"]
    first, second = (path.read_bytes() for path, _ in samples)
    assert len(first) > 5 * 1024 * 1024
    assert len(second) > 5 * 1024 * 1024
    assert first[:4096] != second[:4096]


@pytest.mark.integration
@pytest.mark.slow
def test_headless_demo_uploads_and_prints_receipts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "No display found" in result.stdout
    receipts = re.findall(
        r"recordings/(webcam|screen)/\d{4}/\d{2}/\d{2}/DEMO-101/demo/\S+\s+sha256=[0-9a-f]{64}",
        result.stdout,
    )
    assert sorted(receipts) == ["screen", "webcam"]
    assert "Traceback" not in result.stderr
