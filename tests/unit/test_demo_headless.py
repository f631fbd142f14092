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
@pytest.mark.parametrize(
    ("argv", "display", "intro"),
    [
        (["demo"], None, "No display found"),
        (["demo", "--headless"], ":99", "Headless demo"),
    ],
    ids=["no-display", "asked-headless"],
)
def test_headless_demo_uploads_and_prints_receipts(
    argv: list[str], display: str | None, intro: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    if display is not None:
        env["DISPLAY"] = display  # never opened: --headless keeps the demo in the terminal
    result = subprocess.run(
        [sys.executable, "-m", "desktop", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert intro in result.stdout
    assert ("No display found" in result.stdout) is (display is None)
    receipts = re.findall(
        r"recordings/(webcam|screen)/\d{4}/\d{2}/\d{2}/DEMO-101/demo/\S+\s+sha256=[0-9a-f]{64}",
        result.stdout,
    )
    assert sorted(receipts) == ["screen", "webcam"]
    assert "Traceback" not in result.stderr
    # No keyring here (tests/conftest.py), and the demo never needs one: no word about it.
    everything = (result.stdout + result.stderr).lower()
    assert "keyring" not in everything
    assert "ask for the password" not in everything


def test_demo_help_explains_and_starts_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "demo", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--headless" in result.stdout
    assert "starting the local backend" not in result.stdout


def test_demo_is_listed_in_the_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\s+demo\s+try the app", result.stdout, re.MULTILINE), result.stdout
