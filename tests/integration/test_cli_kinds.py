"""The CLI's recording kinds: taken from each file's name, as the app does, never from last time.

Retention rules are per kind, so a screen recording filed under `webcam` would be deleted on the
webcam schedule. Real subprocesses against the real stack; the stored keys are read back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.config import AppConfig, AppPaths
from tests.integration.conftest import Stack, write_file
from tests.integration.test_cli_end_to_end import cli, login

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _keys(tmp_path: Path) -> dict[str, str]:
    out = tmp_path / "receipts.json"
    r = cli("receipts", "--json", str(out))
    assert r.returncode == 0, r.stderr
    return {Path(x["path"]).name: x["key"] for x in json.loads(out.read_text())}


def _upload(stack: Stack, *args: str) -> None:
    r = cli("upload", *args, "--exam", "E", "--password-stdin", stdin=stack.password + "\n")
    assert r.returncode == 0, r.stdout + r.stderr


def test_kinds_come_from_each_name_not_from_the_last_run(stack: Stack, tmp_path: Path) -> None:
    login(stack)
    first = tmp_path / "monday.mp4"
    write_file(first, 10)
    _upload(stack, str(first), "--kind", "webcam")  # an explicit kind, for every file given

    names = ("other_screen.mkv", "Webcam_014.mp4", "room.mp4")
    for name in names:
        write_file(tmp_path / name, 10)
    _upload(stack, *(str(tmp_path / n) for n in names))  # no --kind this time
    keys = _keys(tmp_path)
    assert keys["monday.mp4"].startswith("recordings/webcam/")
    assert keys["other_screen.mkv"].startswith("recordings/screen/")
    assert keys["Webcam_014.mp4"].startswith("recordings/webcam/")
    assert keys["room.mp4"].startswith("recordings/other/")  # no hint: other, not "webcam" again


def test_the_exam_is_remembered_and_the_settings_rewritten_only_when_it_changes(
    stack: Stack, tmp_path: Path
) -> None:
    login(stack)
    config_file = AppPaths.default().config_file
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        write_file(tmp_path / name, 10)
    _upload(stack, str(tmp_path / "a.mp4"))
    assert AppConfig.load(config_file).last_exam_id == "E"
    before = config_file.stat()
    _upload(stack, str(tmp_path / "b.mp4"))  # the same exam: the file is left as it was
    after = config_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    r = cli("upload", str(tmp_path / "c.mp4"), "--exam", "F", "--password-stdin",
            stdin=stack.password + "\n")  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert AppConfig.load(config_file).last_exam_id == "F"
