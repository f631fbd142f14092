"""Signing in from the CLI, as a proctor meets it: no keyring at all, a real keyring, and a second
command started while the first one is uploading with the remembered sign-in.

Every command is a real subprocess. The default keyring here is `keyring.backends.fail` (set in
tests/conftest.py and inherited by the subprocesses); the remembered sign-ins use a private, real
Secret Service.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from desktop.auth.credentials import SERVICE_NAME, account_name
from desktop.config import AppConfig, AppPaths
from desktop.engine.planner import MIB
from tests.integration.conftest import Stack, write_file
from tests.integration.test_cli_end_to_end import CLI, cli, stored_sha

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _logins(stack: Stack) -> int:
    return sum(1 for r in stack.backend_proxy.stats().log if r.path.endswith("/auth/login"))


def test_without_a_keyring_login_sends_nothing_and_says_so(stack: Stack, tmp_path: Path) -> None:
    r = cli("login", "--server", stack.server_url, "--username", stack.username)
    assert r.returncode == 3  # not 0: nothing is remembered, and each command will ask
    assert "cannot remember the sign-in" in r.stderr
    assert "no secure password store" in r.stderr
    assert "--password-stdin" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert _logins(stack) == 0  # the password was not even asked for
    config = AppConfig.load(AppPaths.default().config_file)
    assert (config.server_url, config.username) == (stack.server_url, stack.username)

    # The session-only path: the password on standard input, for this command only.
    video = tmp_path / "webcam.mp4"
    sha = write_file(video, 2 * MIB)
    r = cli("upload", str(video), "--exam", "E", "--password-stdin", stdin=stack.password + "\n")
    assert r.returncode == 0, r.stdout + r.stderr
    assert stored_sha(stack, tmp_path) == sha

    # A script that forgot the password is told what to do, in one line.
    other = tmp_path / "screen.mkv"
    write_file(other, 10)
    r = cli("upload", str(other), "--exam", "E")
    assert r.returncode == 3
    assert "no sign-in can be remembered here" in r.stderr
    assert "--password-stdin" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_resume_with_nothing_to_resume_asks_for_nothing(stack: Stack) -> None:
    r = cli("login", "--server", stack.server_url, "--username", stack.username)
    assert r.returncode == 3
    # No --password-stdin and no terminal: asking for a password would fail with exit 3.
    r = cli("resume")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Nothing to resume."
    assert _logins(stack) == 0


def test_a_second_command_never_signs_out_the_first(
    make_stack: object,
    tmp_path: Path,
    use_secret_service: KeyringBackend,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A uploads with the remembered sign-in; B (`resume`) starts meanwhile and stops at the lock.

    Access tokens last 2 s here, so A refreshes (rotating its refresh token) several times after B
    came and went: had B rotated the remembered token, the server would see A's next refresh as a
    reused token and end the session.
    """
    stack: Stack = make_stack(access_token_ttl_seconds=2)  # type: ignore[operator]
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    r = cli(
        "login", "--server", stack.server_url, "--username", stack.username, "--password-stdin",
        stdin=stack.password + "\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    key = account_name(stack.server_url, stack.username)
    video = tmp_path / "webcam.mp4"
    sha = write_file(video, 12 * MIB)
    a = subprocess.Popen(
        [*CLI, "upload", str(video), "--exam", "E", "--limit-rate", "1M"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        # A has signed its parts (so it holds the lock and is sending) once the server saw that.
        while not any(x.path.endswith("/parts") for x in stack.backend_proxy.stats().log):
            assert a.poll() is None, a.communicate()
            assert time.monotonic() < deadline, "A never started sending"
            time.sleep(0.05)
        refreshes_before = _refreshes(stack)
        b = cli("resume")
        assert b.returncode == 1
        assert "already uploading" in b.stderr
        assert len(b.stderr.strip().splitlines()) == 1
        assert _refreshes(stack) == refreshes_before  # B touched no token
        out, err = a.communicate(timeout=120)
    finally:
        if a.poll() is None:
            a.kill()
            a.communicate()
    assert a.returncode == 0, out + err
    assert "1 of 1 uploaded and verified" in out
    assert _refreshes(stack) > refreshes_before  # A did refresh after B came and went
    assert stored_sha(stack, tmp_path) == sha
    # A's remembered sign-in survived, and still works for the next command.
    assert use_secret_service.get_password(SERVICE_NAME, key)
    again = tmp_path / "screen.mkv"
    write_file(again, 10)
    r = cli("upload", str(again), "--exam", "E")
    assert r.returncode == 0, r.stdout + r.stderr


def _refreshes(stack: Stack) -> int:
    return sum(1 for r in stack.backend_proxy.stats().log if r.path.endswith("/auth/refresh"))
