"""Prove a built app works: ``--version``, ``status``, and ``--self-test`` plainly and in a keyring.

    python packaging/check_build.py dist/proctor-uploader/proctor-uploader
    python packaging/check_build.py dist/proctor-uploader --no-secret-service

Each run gets a clean, minimal environment: a fresh ``PROCTOR_UPLOADER_HOME``, no display (Qt goes
offscreen), no ``PYTHON_KEYRING_BACKEND``, and none of the developer's CA-bundle variables, so the
bundle must find its own certificates, plugins and keyring backends. The second self-test runs
inside a private, real Secret Service (gnome-keyring on its own D-Bus, ``tests/support``) with
``--keyring-roundtrip``, and must report the SecretService backend: that is the proof that the
frozen app finds the OS keyring. Exit code 0 when every step passed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEP_TIMEOUT = 300

#: Variables a proctor's session would not have, or that would hide a broken bundle.
_SCRUBBED = (
    "PYTHON_KEYRING_BACKEND", "QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY",
    "DBUS_SESSION_BUS_ADDRESS", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "QT_PLUGIN_PATH",
    "LD_LIBRARY_PATH", "PROCTOR_UPLOADER_SERVER_URL", "PROCTOR_UPLOADER_PRESET",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Step:
    """One command run against the build, and what it printed.

    Attributes:
        title: What the step proves.
        returncode: The command's exit code.
        output: Its standard output and error, interleaved.
    """

    title: str
    returncode: int
    output: str


def find_executable(path: Path) -> Path:
    """The app's executable: ``path`` itself, or the one inside a one-folder build or ``.app``."""
    if path.is_file():
        return path
    name = str(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    )
    candidates = [
        path / name,
        path / f"{name}-cli.exe",  # Windows: the console twin prints; the windowed exe cannot
        path / f"{name}.exe",
        path / "Contents" / "MacOS" / name,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no {name} executable in {path}")


def clean_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal environment for one run, with the app's files under ``home``."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(
        {
            "PROCTOR_UPLOADER_HOME": str(home / "app"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "LANG": "C.UTF-8",
        }
    )
    env.update(extra or {})
    return env


def run_step(title: str, command: list[str], env: Mapping[str, str]) -> Step:
    """Run ``command``; a timeout or a missing file is a failed step, not an exception."""
    try:
        done = subprocess.run(
            command,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=STEP_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode(errors="replace")
        return Step(title, -1, output + f"\n(timed out after {STEP_TIMEOUT} s)")
    except OSError as exc:
        return Step(title, -1, f"cannot run {command[0]}: {exc}")
    return Step(title, done.returncode, done.stdout.decode(errors="replace"))


def check(executable: Path, *, secret_service: bool = True) -> list[Step]:
    """Every step against ``executable``; the caller decides what a failure means.

    The Secret Service run is Linux-only; on Windows and macOS run ``--self-test
    --keyring-roundtrip`` in a user session to prove Credential Manager or the Keychain.
    """
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    steps = []
    with tempfile.TemporaryDirectory(prefix="proctor-build-check-") as tmp:
        home = Path(tmp)
        env = clean_env(home)
        step = run_step("--version", [str(executable), "--version"], env)
        if step.returncode == 0 and version not in step.output:
            step = Step(step.title, 1, step.output + f"\n(expected version {version})")
        steps.append(step)
        steps.append(run_step("status (CLI, queue store)", [str(executable), "status"], env))
        steps.append(run_step("--self-test", [str(executable), "--self-test"], env))
        xvfb_run = shutil.which("xvfb-run")
        if xvfb_run and sys.platform.startswith("linux"):
            # A real X server: the xcb platform plugin and the X libraries bundled for it load.
            steps.append(
                run_step(
                    "--self-test on X11 (xvfb-run, xcb)",
                    [xvfb_run, "-a", str(executable), "--self-test"],
                    {**env, "QT_QPA_PLATFORM": "xcb"},
                )
            )
        if secret_service and sys.platform.startswith("linux"):
            steps.append(_self_test_in_secret_service(executable, home))
    return steps


def _self_test_in_secret_service(executable: Path, home: Path) -> Step:
    title = "--self-test --keyring-roundtrip in a real Secret Service"
    sys.path.insert(0, str(ROOT))
    from tests.support.secret_service import private_secret_service

    try:
        with private_secret_service():
            env = clean_env(
                home, {"DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"]}
            )
            step = run_step(title, [str(executable), "--self-test", "--keyring-roundtrip"], env)
    except RuntimeError as exc:
        return Step(title, -1, f"the private Secret Service did not start: {exc}")
    keyring_lines = [line for line in step.output.splitlines() if " keyring " in f" {line} "]
    if step.returncode == 0 and not any("SecretService" in line for line in keyring_lines):
        return Step(title, 1, step.output + "\n(expected the SecretService keyring backend)")
    return step


def main(argv: list[str]) -> int:
    """Check the build named on the command line; print every step; 0 when all passed."""
    parser = argparse.ArgumentParser(prog="packaging/check_build.py", description=__doc__)
    parser.add_argument("build", type=Path, help="the executable, one-folder build or .app")
    parser.add_argument(
        "--no-secret-service",
        action="store_true",
        help="skip the run inside a private Secret Service (no gnome-keyring here)",
    )
    args = parser.parse_args(argv)
    executable = find_executable(args.build)
    failed = []
    for step in check(executable, secret_service=not args.no_secret_service):
        verdict = "ok" if step.returncode == 0 else f"FAILED (exit {step.returncode})"
        sys.stdout.write(f"== {step.title}: {verdict}\n{step.output.rstrip()}\n")
        if step.returncode != 0:
            failed.append(step.title)
    sys.stdout.write(
        f"build check FAILED: {'; '.join(failed)}\n" if failed else "build check passed\n"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
