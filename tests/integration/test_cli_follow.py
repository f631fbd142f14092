"""`proctor-uploader upload --follow` as a proctor runs it, while FFmpeg's muxer (PyAV, in its own
process) records: a real CLI subprocess against SeaweedFS. SIGKILL while following, then `resume`,
follows the same recording on."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.engine.planner import MIB
from tests.integration.conftest import Stack, file_sha256
from tests.integration.test_cli_end_to_end import CLI, cli, login, start_upload, wait_for_parts
from tests.support.recorder import RecorderProcess

pytestmark = [pytest.mark.integration, pytest.mark.seaweedfs, pytest.mark.slow]

RATE = 4_000_000
CAPACITY = 40 * 1024**3  # open uploads may use the 5 MiB parts the tests ask for


def _receipt(tmp_path: Path) -> dict[str, object]:
    out = tmp_path / "receipts.json"
    r = cli("receipts", "--json", str(out))
    assert r.returncode == 0, r.stderr
    (receipt,) = json.loads(out.read_text())
    assert isinstance(receipt, dict)
    return receipt


def _stored_puts(stack: Stack) -> int:
    return sum(1 for r in stack.storage_proxy.stats().log if r.method == "PUT" and r.status == 200)


def _wait_for_file(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_upload_follow_sends_while_recording_and_finishes_when_it_ends(
    make_stack: Callable[..., Stack], tmp_path: Path
) -> None:
    stack = make_stack("seaweedfs", open_upload_capacity=CAPACITY)
    login(stack)
    path = tmp_path / "webcam.mkv"
    with RecorderProcess(path, "mkv", seconds=5.0, rate=RATE) as recorder:
        _wait_for_file(path)
        proc = start_upload(stack, path, "--follow", "--settle", "30", "--kind", "webcam")
        recorder.wait()
        sent_while_recording = _stored_puts(stack)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, out + err
    assert "recording — " in out
    assert re.search(r"recording — [0-9.]+ (B|KiB|MiB|GiB) sent", out), out
    assert "1 of 1 uploaded and verified" in out
    assert sent_while_recording >= 2
    receipt = _receipt(tmp_path)
    sha = file_sha256(path)
    assert receipt["sha256"] == sha
    assert receipt["size"] == path.stat().st_size
    assert stack.object_sha256(str(receipt["key"])) == sha


def test_sigkill_while_following_then_resume_follows_the_recording_on(
    make_stack: Callable[..., Stack], tmp_path: Path
) -> None:
    stack = make_stack("seaweedfs", open_upload_capacity=CAPACITY)
    login(stack)
    path = tmp_path / "screen.mp4"
    with RecorderProcess(path, "mp4", seconds=8.0, rate=RATE) as recorder:
        _wait_for_file(path)
        proc = start_upload(stack, path, "--follow", "--settle", "30", "--kind", "screen")
        wait_for_parts(stack, 2, proc)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        before = _stored_puts(stack)
        secret = stack.tmp / "password.txt"  # written by start_upload
        with secret.open() as stdin:
            resumed = subprocess.Popen(
                [*CLI, "resume", "--password-stdin"],
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        recorder.wait()
    out, err = resumed.communicate(timeout=90)
    assert resumed.returncode == 0, out + err
    assert "1 of 1 uploaded and verified" in out
    receipt = _receipt(tmp_path)
    sha = file_sha256(path)
    assert receipt["sha256"] == sha == stack.object_sha256(str(receipt["key"]))
    size = path.stat().st_size
    parts = -(-size // (5 * MIB))
    # Nothing stored before the kill was sent again, except the part the muxer rewrote at the
    # end (plain MP4: its header) and at most the one in flight at the kill.
    assert before >= 2
    assert _stored_puts(stack) <= parts + 2
