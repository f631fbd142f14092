"""The CLI as a proctor runs it: a real subprocess against the real stack. SIGKILL mid-upload then
`resume`, Ctrl-C, one-line errors, exit codes, and no secret left on disk."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from desktop.config import AppConfig, AppPaths
from desktop.engine.planner import MIB
from tests.integration.conftest import Stack, write_file

#: A compact JWS/JWT: three base64url segments, the first a JSON header ("eyJ" is '{"').
_JWT = re.compile(rb"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLI = [sys.executable, "-m", "desktop"]


def cli(
    *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )


def login(stack: Stack) -> None:
    """`login` without a keyring (the tests' default): it saves the account and says it remembers
    nothing, so the commands below pass --password-stdin."""
    r = cli("login", "--server", stack.server_url, "--username", stack.username)
    assert r.returncode == 3, r.stderr
    assert "Nothing was sent" in r.stderr
    # 5 MiB parts keep the test small; everything else stays as `login` saved it.
    paths = AppPaths.default()
    config = AppConfig.load(paths.config_file)
    assert config.server_url == stack.server_url
    dataclasses.replace(config, part_size_mib=5).save(paths.config_file)


def start_upload(stack: Stack, path: Path, *extra: str) -> subprocess.Popen[str]:
    secret = stack.tmp / "password.txt"
    secret.write_text(stack.password + "\n")
    with secret.open() as stdin:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [*CLI, "upload", str(path), "--exam", "EX-9", "--password-stdin", *extra],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@contextmanager
def ctrl_c_reaches_children() -> Iterator[None]:
    """Children started inside take Ctrl+C as from a terminal, however this run was started.

    A shell starts a background job with SIGINT ignored, and an ignored signal stays ignored
    across exec: the CLI would then never see the SIGINT below (Python installs its Ctrl+C handler
    only when it starts with the default). A handled signal is reset to the default at exec.
    """
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def wait_for_parts(stack: Stack, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        done = [r for r in stack.storage_proxy.stats().log if r.method == "PUT" and r.status == 200]
        if len(done) >= count:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the upload did not progress")


def stored_sha(stack: Stack, tmp_path: Path) -> str:
    out = tmp_path / "receipts.json"
    r = cli("receipts", "--json", str(out))
    assert r.returncode == 0, r.stderr
    (receipt,) = json.loads(out.read_text())
    return stack.object_sha256(receipt["key"])


@pytest.mark.parametrize(
    "storage", ["moto", pytest.param("seaweedfs", marks=pytest.mark.seaweedfs)]
)
def test_sigkill_mid_upload_then_resume_resends_at_most_the_parts_in_flight(
    make_stack: Callable[..., Stack], tmp_path: Path, storage: str
) -> None:
    stack = make_stack(storage)
    login(stack)
    path = tmp_path / "webcam.mp4"
    size = 40 * MIB
    sha = write_file(path, size)
    proc = start_upload(stack, path, "--parts", "2", "--concurrency", "1", "--limit-rate", "8M")
    wait_for_parts(stack, 3, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = stack.put_bytes()
    assert before < size

    r = cli("resume", "--password-stdin", stdin=stack.password + "\n")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 of 1 uploaded and verified" in r.stdout
    total = stack.put_bytes()
    resent = total - size
    assert total - before < size  # the resume did not start over
    assert 0 <= resent <= 2 * 5 * MIB  # no more than the two parts that were in flight
    assert stored_sha(stack, tmp_path) == sha


def test_ctrl_c_pauses_safely_and_resume_finishes(stack: Stack, tmp_path: Path) -> None:
    login(stack)
    path = tmp_path / "screen.mkv"
    sha = write_file(path, 25 * MIB)
    # One part at a time: the first one stored leaves four to go (5 s at this rate).
    with ctrl_c_reaches_children():
        proc = start_upload(stack, path, "--parts", "1", "--limit-rate", "4M")
    wait_for_parts(stack, 1, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "proctor-uploader resume" in err
    assert "Traceback" not in err

    status = cli("status")
    assert status.returncode == 0
    assert "queued" in status.stdout  # saved as resumable, not lost

    r = cli("resume", "--password-stdin", stdin=stack.password + "\n")
    assert r.returncode == 0, r.stdout + r.stderr
    assert stored_sha(stack, tmp_path) == sha

    # Running the same upload again does not send the same recording twice...
    again = [
        "upload", str(path), "--exam", "EX-9", "--password-stdin", "--limit-rate", "0",
    ]  # fmt: skip
    r = cli(*again, stdin=stack.password + "\n")
    assert r.returncode == 0, r.stderr
    assert "already uploaded unchanged" in r.stderr
    assert len(stack.object_keys()) == 1
    # ...unless asked to.
    r = cli(*again, "--again", stdin=stack.password + "\n")
    assert r.returncode == 0, r.stderr
    assert len(stack.object_keys()) == 2


def test_one_line_errors_and_exit_codes(stack: Stack, tmp_path: Path) -> None:
    video = tmp_path / "a.mp4"
    write_file(video, 10)
    r = cli("upload", str(video), "--exam", "E")
    assert r.returncode == 3
    assert "not signed in" in r.stderr

    login(stack)
    bad = cli("upload", str(video), "--exam", "E", "--password-stdin", stdin="wrong password\n")
    assert bad.returncode == 3
    assert "refused" in bad.stderr

    cases = {
        ("upload", str(tmp_path / "missing.mp4"), "--exam", "E"): (2, "no such file"),
        ("upload", str(tmp_path), "--exam", "E"): (2, "--recursive"),
        ("upload", str(video), "--limit-rate", "fast", "--exam", "E"): (2, "not a rate"),
        ("upload", str(video), "--kind", "audio", "--exam", "E"): (2, "invalid choice"),
        ("cancel", "ffff"): (2, "no job"),
        ("frobnicate",): (2, "invalid choice"),
    }
    for args, (code, text) in cases.items():
        r = cli(*args)
        assert r.returncode == code, (args, r.stderr)
        assert text in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "Traceback" not in r.stderr

    notes = tmp_path / "notes.txt"
    notes.write_text("not a video")
    r = cli("upload", str(notes), "--exam", "E", "--password-stdin", stdin=stack.password + "\n")
    assert r.returncode == 2
    assert "--any-file" in r.stderr

    # An unreachable server: one clear line, no traceback.
    paths = AppPaths.default()
    config = AppConfig.load(paths.config_file)
    dataclasses.replace(config, server_url="http://127.0.0.1:9").save(paths.config_file)
    r = cli("upload", str(video), "--exam", "E", "--password-stdin", stdin="pw\n")
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "reach" in r.stderr.lower() or "network" in r.stderr.lower()


def test_no_secret_reaches_logs_state_or_config(
    make_stack: Callable[..., Stack], tmp_path: Path, app_home: Path
) -> None:
    stack = make_stack(access_token_ttl_seconds=1, url_ttl_seconds=60)
    login(stack)
    path = tmp_path / "rec.webm"
    write_file(path, 12 * MIB)
    r = cli(
        "-v", "upload", str(path), "--exam", "E", "--limit-rate", "4M", "--password-stdin",
        stdin=stack.password + "\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    files = [p for p in app_home.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert "queue.sqlite3" in names
    assert "config.toml" in names
    assert any(p.suffix == ".log" or ".log" in p.name for p in files)
    forbidden = [
        stack.password.encode(),
        b"X-Amz-Signature",
        b"X-Amz-Credential",
        b"X-Amz-Security-Token",
        b"Bearer ",
        b"refresh_token",
        b"access_token",
    ]
    for f in files:
        data = f.read_bytes()
        for secret in forbidden:
            assert secret not in data, f"{secret!r} found in {f}"
        # Every JWT starts with "eyJ". The only ones allowed on disk are the backend's signed
        # receipts, which are public evidence; an access or refresh token is never stored.
        for token in _JWT.findall(data):
            header = json.loads(base64.urlsafe_b64decode(token.split(b".")[0] + b"=="))
            assert header.get("typ") == "proctor-receipt+jwt", f"a JWT {header} found in {f}"
    # The run did log useful things (so the check above was not vacuous).
    log = b"".join(f.read_bytes() for f in files if ".log" in f.name)
    assert b"completed" in log


def test_the_cli_never_loads_qt() -> None:
    code = (
        "import sys, desktop.cli.main, desktop.cli.commands, desktop.engine.queue; "
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"
    v = cli("--version")
    assert v.returncode == 0
    assert v.stdout.strip() == "proctor-uploader 0.1.0"


def test_a_remembered_sign_in_needs_no_password_until_logout(
    stack: Stack,
    tmp_path: Path,
    use_secret_service: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real Secret Service (private gnome-keyring over a private D-Bus) keeps the refresh token;
    the CLI in another process signs in from it silently, and `logout` forgets it."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    r = cli(
        "login", "--server", stack.server_url, "--username", stack.username, "--password-stdin",
        stdin=stack.password + "\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "remembered in the OS keyring" in r.stdout
    video = tmp_path / "a.mp4"
    sha = write_file(video, 3 * MIB)
    r = cli("upload", str(video), "--exam", "E")  # no password anywhere
    assert r.returncode == 0, r.stdout + r.stderr
    assert stored_sha(stack, tmp_path) == sha

    assert cli("logout").returncode == 0
    other = tmp_path / "b.mp4"
    write_file(other, 10)
    r = cli("upload", str(other), "--exam", "E")
    assert r.returncode == 3
    assert "not remembered" in r.stderr


def test_plain_output_is_about_this_run_and_shows_no_empty_speed(
    stack: Stack, tmp_path: Path
) -> None:
    """Not a terminal: a second run does not announce the first run's finished file as queued,
    and a tiny file's progress line carries no "0 B/s"."""
    login(stack)
    first, second = tmp_path / "monday.mp4", tmp_path / "tuesday.mp4"
    write_file(first, 10)
    write_file(second, 10)
    runs = []
    for path in (first, second):
        r = cli("upload", str(path), "--exam", "E", "--password-stdin", stdin=stack.password + "\n")
        assert r.returncode == 0, r.stdout + r.stderr
        runs.append(r.stdout)
    assert "monday.mp4: queued" in runs[0]
    assert "monday.mp4" not in runs[1]
    assert "tuesday.mp4: queued (10 B)" in runs[1]
    assert "1 of 1 uploaded and verified" in runs[1]
    assert "0 B/s" not in runs[0] + runs[1]
