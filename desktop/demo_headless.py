"""The demo without a screen: the same engine uploads sample recordings through the CLI.

`proctor-uploader demo` opens the window. On a machine with no display (a server, a CI box, an SSH
session) Qt cannot open one, so instead of aborting, the demo shows the product's main job in the
terminal: it signs in to the local backend, uploads two sample recordings, verifies them, and prints
the receipts. No Qt here.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from desktop.config import AppConfig, AppPaths

MIB = 1024 * 1024
# Big enough to take several 5 MiB parts each, small enough to finish in seconds.
_SAMPLES = (
    ("webcam_candidate_001.mp4", "webcam", 21 * MIB),
    ("screen_candidate_001.mkv", "screen", 13 * MIB),
)
_EXAM = "DEMO-101"


def display_available() -> bool:
    """False on Linux/BSD with neither an X11 nor a Wayland display (nor a Qt override)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def make_samples(folder: Path) -> list[tuple[Path, str]]:
    """Write the sample recordings (random bytes) and return (path, kind) pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    samples = []
    for name, kind, size in _SAMPLES:
        path = folder / name
        with path.open("wb") as out:
            remaining = size
            while remaining:
                chunk = os.urandom(min(remaining, 4 * MIB))
                out.write(chunk)
                remaining -= len(chunk)
        samples.append((path, kind))
    return samples


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _cli(*args: str, stdin: str | None = None) -> int:
    command = [sys.executable, "-m", "desktop", *args]
    return subprocess.run(command, input=stdin, text=True, check=False).returncode


def run_headless_demo(
    *, url: str, username: str, password: str, workdir: Path, display: bool = False
) -> int:
    """Upload the samples with the CLI's progress display as `username`, print the receipts.

    Nothing is remembered in the keyring: the demo account's password goes to each command on
    standard input, the way a script signs in, so a machine without a keyring (the usual case
    here) shows no warning about one, and one with a keyring keeps no demo entry.

    Args:
        url: The demo backend.
        username: The demo account.
        password: Its password.
        workdir: Where the sample recordings are written.
        display: A display exists (the user asked for --headless).

    Returns:
        The CLI's exit code for the first step that fails, else 0.
    """
    if display:
        _say("Headless demo: the uploader runs in this terminal instead of a window.")
    else:
        _say("No display found: the demo runs the uploader in this terminal instead of a window.")
    # What `login` would save, without its keyring step: the server and the user name.
    paths = AppPaths.default()
    config = AppConfig.load(paths.config_file)
    dataclasses.replace(config, server_url=url, username=username).save(paths.config_file)
    _say(f"Signing in to {url} as {username!r} with each command (the password is not stored).")
    samples = make_samples(workdir / "recordings")
    for path, kind in samples:
        _say(
            f"\nUploading {path.name} ({path.stat().st_size // MIB} MiB, {kind}) for exam {_EXAM}…"
        )
        code = _cli(
            "upload",
            str(path),
            "--exam",
            _EXAM,
            "--kind",
            kind,
            "--password-stdin",
            stdin=password + "\n",
        )
        if code:
            return code
    _say("\nReceipts (verified: size and storage's full-object checksum match each file):")
    return _cli("receipts")
