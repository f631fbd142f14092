"""Garbage over the queue database's header: every command used to fail, and the receipts were
unreadable. Now the first command sets the file aside, says so once, and the receipts are there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop.config import AppPaths
from tests.integration.conftest import Stack, write_file
from tests.integration.test_cli_end_to_end import cli, login

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_damaged_queue_is_set_aside_and_receipts_survive(stack: Stack, tmp_path: Path) -> None:
    login(stack)
    video = tmp_path / "webcam.mp4"
    write_file(video, 10)
    r = cli("upload", str(video), "--exam", "E", "--password-stdin", stdin=stack.password + "\n")
    assert r.returncode == 0, r.stdout + r.stderr
    before = cli("receipts").stdout
    assert "recordings/webcam/" in before

    db = AppPaths.default().state_db
    with db.open("r+b") as f:
        f.write(os.urandom(100))

    r = cli("receipts")
    assert r.returncode == 0, r.stderr
    assert r.stdout == before  # the same receipts, restored from their own file
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "damaged" in r.stderr
    assert "1 receipt(s) were restored" in r.stderr
    assert list(db.parent.glob("queue.sqlite3.damaged-*"))  # kept, not deleted

    r = cli("status")  # healthy from now on: said once
    assert r.returncode == 0
    assert r.stderr == ""
    assert r.stdout.strip() == "The queue is empty."
