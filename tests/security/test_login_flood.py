"""A flood of wrong sign-ins keeps the server's memory flat: password hashes run a few at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support.backend_server import BackendProcess
from tests.support.storage import S3Endpoint, make_bucket

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MB = 1000 * 1000


def _peak_rss(pid: int) -> int:
    """The process's peak resident set size in bytes (VmHWM), read from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def test_48_parallel_wrong_sign_ins_keep_the_server_under_300_mb(
    moto_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    server = BackendProcess(
        moto_endpoint,
        bucket=make_bucket(moto_endpoint),
        data_dir=tmp_path / "b",
        # The flood comes from one address: let the throttle count without refusing, so every
        # request reaches the password check (the expensive part).
        login_max_failures_per_address=10**6,
        login_max_failures_per_user=10**6,
    )
    # A real argon2 hash at the product's cost (64 MiB each), not the tests' cheap one.
    server.add_user("alice", "correct horse battery")
    with server:
        before = _peak_rss(server.pid)

        def guess(i: int) -> requests.Response:
            # Different names: every attempt gets its own per-user budget and a full verify.
            return requests.post(
                server.api + "/auth/login",
                json={"username": f"user{i}", "password": f"wrong-{i}"},
                timeout=120,
            )

        with ThreadPoolExecutor(max_workers=48) as pool:
            responses = list(pool.map(guess, range(96)))
        peak = _peak_rss(server.pid)
        ok = requests.post(
            server.api + "/auth/login",
            json={"username": "alice", "password": "correct horse battery"},
            timeout=120,
        )
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {401, 503}, statuses
    assert statuses.count(401) >= 2, statuses  # hashes did run
    for r in responses:
        if r.status_code == 503:
            assert r.headers["Retry-After"] == "2"
    assert ok.status_code == 200, ok.text
    assert peak < 300 * MB, f"peak RSS {peak / MB:.0f} MB (was {before / MB:.0f} MB at start)"
