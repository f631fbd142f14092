"""`proctor-backend dev`: the embedded default the desktop app's demo starts as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.checksums import crc64nvme

READY = "PROCTOR_BACKEND_READY "
ROOT = Path(__file__).resolve().parents[2]


def _start_dev(data_dir: Path | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "backend", "dev", "--port", "0"]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROCTOR_BACKEND_"))}
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _read_ready(proc: subprocess.Popen[str]) -> tuple[dict[str, Any], list[str]]:
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(READY):
            return json.loads(line[len(READY) :]), lines
    raise AssertionError(
        f"no ready line; stdout: {lines}; stderr: {proc.stderr and proc.stderr.read()}"
    )


@pytest.mark.integration
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_dev_prints_one_ready_line_serves_uploads_and_stops_cleanly(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    proc = _start_dev(tmp_path / "dev-data")
    try:
        ready, lines = _read_ready(proc)
        assert set(ready) == {"url", "username", "password", "s3_endpoint_url", "bucket"}
        assert ready["url"].startswith("http://127.0.0.1:")
        assert not ready["url"].endswith(":0")
        assert ready["username"] == "demo"
        assert any("demo" in line and ready["password"] in line for line in lines[:-1])

        api = ready["url"] + "/api/v1"
        tokens = requests.post(
            api + "/auth/login",
            json={"username": ready["username"], "password": ready["password"]},
            timeout=30,
        ).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        created = requests.post(
            api + "/uploads",
            json={"filename": "s.mp4", "size": 3, "metadata": {"exam_id": "E1", "kind": "screen"}},
            headers=auth,
            timeout=30,
        ).json()
        part = requests.post(
            api + f"/uploads/{created['upload_id']}/parts",
            json={"part_numbers": [1], "checksums": {"1": crc64nvme(b"abc")}},
            headers=auth,
            timeout=30,
        ).json()["parts"][0]
        put = requests.put(part["url"], data=b"abc", headers=part["headers"], timeout=30)
        assert put.status_code == 200
        receipt = requests.post(
            api + f"/uploads/{created['upload_id']}/complete",
            json={
                "parts": [
                    {"part_number": 1, "etag": put.headers["ETag"], "checksum": crc64nvme(b"abc")}
                ]
            },
            headers=auth,
            timeout=30,
        ).json()
        assert receipt["size"] == 3
        assert receipt["key"].startswith("recordings/screen/")
    finally:
        proc.send_signal(stop_signal)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert READY not in out  # exactly one ready line (the first was consumed above)
    # Access logs never carry tokens or presigned signatures.
    assert tokens["access_token"] not in err
    assert "X-Amz-Signature=" not in err.replace("X-Amz-Signature=REDACTED", "")


@pytest.mark.integration
def test_dev_keeps_users_in_a_given_data_dir_and_refuses_a_busy_port(tmp_path: Path) -> None:
    data = tmp_path / "dev-data"
    first = _start_dev(data)
    try:
        ready, _ = _read_ready(first)
        port = ready["url"].rsplit(":", 1)[1]
        busy = subprocess.run(
            [
                sys.executable,
                "-m",
                "backend",
                "dev",
                "--port",
                port,
                "--data-dir",
                str(tmp_path / "b"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert busy.returncode != 0
        assert "Traceback" not in busy.stderr
        assert "address already in use" in busy.stderr.lower()
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert (data / "backend.sqlite3").exists()
    assert (data / "jwt-secret").stat().st_mode & 0o777 == 0o600


# A stand-in for the desktop app's demo: starts `dev` as DemoBackend does (stdin from /dev/null,
# stdout piped and read), reports the child's pid and ready line, then waits to be killed.
_PARENT = """
import subprocess, sys, time
child = subprocess.Popen(
    [sys.executable, "-m", "backend", "dev", "--port", "0", "--data-dir", sys.argv[1]],
    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=open(sys.argv[2], "wb"),
)
print(child.pid, flush=True)
for line in child.stdout:
    if line.startswith(b"PROCTOR_BACKEND_READY "):
        print(line.decode().strip(), flush=True)
        break
time.sleep(600)
"""


def _exited(pid: int) -> bool:
    """True once `pid` is gone or a zombie (an orphan's new parent may be slow to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


@pytest.mark.integration
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_dev_stops_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROCTOR_BACKEND_"))}
    log = tmp_path / "dev.log"
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path / "data"), str(log)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    dev_pid = int(parent.stdout.readline())
    try:
        ready = parent.stdout.readline()
        assert ready.startswith(READY), log.read_text()
        url = json.loads(ready[len(READY) :])["url"]
        assert requests.get(url + "/health", timeout=30).status_code == 200
        assert not _exited(dev_pid)

        parent.kill()  # a hard death: no chance to stop its child
        parent.wait(timeout=30)
        for _ in range(300):
            if _exited(dev_pid):
                break
            time.sleep(0.1)
        assert _exited(dev_pid), "dev kept running after its parent died"
        text = log.read_text()
        assert "is gone; stopping" in text
        assert "Traceback" not in text
    finally:
        parent.kill()
        parent.wait(timeout=30)
        parent.stdout.close()
        if not _exited(dev_pid):
            os.kill(dev_pid, signal.SIGKILL)
