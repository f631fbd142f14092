"""`proctor-backend serve --workers N` over real HTTP: one JWT secret, one login throttle for all.

The workers share one listening socket and the kernel picks which one accepts a connection, so
these tests send requests on fresh connections until the log shows more than one worker answered.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support.backend_server import BackendProcess
from tests.support.storage import S3Endpoint, make_bucket

PASSWORD = "a long enough password"
WORKERS = 2


def _access_pids(backend: BackendProcess, request_line: str) -> list[int]:
    """Process ids of the access-log lines for `request_line` (e.g. 'GET /api/v1/me 200')."""
    pattern = re.compile(r"\[(\d+)\] INFO backend\.access: " + re.escape(request_line) + " ")
    return [int(m.group(1)) for m in pattern.finditer(backend.log_path.read_text())]


@pytest.fixture
def two_workers(moto_endpoint: S3Endpoint, tmp_path: Path) -> Iterator[BackendProcess]:
    """`serve --workers 2` with no configured JWT secret (it must generate one for all)."""
    backend = BackendProcess(
        moto_endpoint,
        bucket=make_bucket(moto_endpoint),
        data_dir=tmp_path / "srv",
        workers=WORKERS,
        jwt_secret="",
        login_max_failures=3,
        login_max_failures_per_address=1000,
    )
    backend.add_user("carol", PASSWORD)
    with backend:
        yield backend


def _login(backend: BackendProcess, username: str, password: str) -> requests.Response:
    # A fresh connection each time, so the kernel may hand it to any worker.
    return requests.post(
        backend.api + "/auth/login",
        json={"username": username, "password": password},
        headers={"Connection": "close"},
        timeout=60,
    )


@pytest.mark.integration
def test_every_worker_accepts_a_token_another_worker_signed(two_workers: BackendProcess) -> None:
    secret_file = two_workers.settings.data_dir / "jwt-secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert two_workers.log_tail(100_000).count("Generated a new JWT secret") == 1

    token = _login(two_workers, "carol", PASSWORD).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}", "Connection": "close"}
    statuses: list[int] = []
    with ThreadPoolExecutor(8) as pool:
        for _ in range(20):  # until both workers have answered (or 20 rounds of 16)
            statuses += pool.map(
                lambda _: (
                    requests.get(two_workers.api + "/me", headers=auth, timeout=30).status_code
                ),
                range(16),
            )
            if len(set(_access_pids(two_workers, "GET /api/v1/me 200"))) == WORKERS:
                break
    assert set(statuses) == {200}
    assert len(set(_access_pids(two_workers, "GET /api/v1/me 200"))) == WORKERS


def _login_pids(backend: BackendProcess) -> list[int]:
    return [
        pid
        for line in ("POST /api/v1/auth/login 401", "POST /api/v1/auth/login 429")
        for pid in _access_pids(backend, line)
    ]


@pytest.mark.integration
def test_parallel_guesses_on_all_workers_get_no_more_than_the_limit(
    two_workers: BackendProcess,
) -> None:
    spread = False
    name = ""
    for round_no in range(5):  # until one round of guesses reached both workers
        name = f"victim{round_no}"
        seen = len(_login_pids(two_workers))
        with ThreadPoolExecutor(12) as pool:
            codes = list(
                pool.map(lambda n: _login(two_workers, n, "wrong").status_code, [name] * 12)
            )
        # login_max_failures=3: three guesses are judged, every other one is refused unjudged.
        assert codes.count(401) <= 3
        assert codes.count(401) + codes.count(429) == len(codes)
        spread = len(set(_login_pids(two_workers)[seen:])) == WORKERS
        if spread:
            break
    assert spread, "the guesses never reached both workers"
    # The right password is refused too while the failures last, whichever worker answers.
    for _ in range(4):
        assert _login(two_workers, name, PASSWORD).status_code == 429


@pytest.mark.integration
def test_sigterm_stops_every_worker_with_status_0(two_workers: BackendProcess) -> None:
    started = re.compile(r"Started server process \[(\d+)\]")
    pids: set[int] = set()
    for _ in range(300):  # each worker logs this once it is up
        pids = {int(m.group(1)) for m in started.finditer(two_workers.log_path.read_text())}
        if len(pids) == WORKERS:
            break
        time.sleep(0.1)
    assert len(pids) == WORKERS
    for pid in pids:
        os.kill(pid, 0)  # alive
    two_workers.stop()
    assert two_workers.returncode == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
