"""Password guessing is throttled; spelling, speed or a restart do not get around the throttle."""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.security.client import PASSWORD, Stack
from tests.security.conftest import start_stack
from tests.support.backend_server import run_backend
from tests.support.storage import S3Endpoint

pytestmark = pytest.mark.integration

LIMIT = 4


@pytest.fixture
def throttled(moto_endpoint: S3Endpoint, tmp_path: Path) -> Iterator[Stack]:
    yield from start_stack(
        moto_endpoint,
        tmp_path / "b",
        login_max_failures=LIMIT,
        login_max_failures_per_address=100,
    )


def _login(stack: Stack, username: str, password: str) -> requests.Response:
    return requests.post(
        stack.backend.api + "/auth/login",
        json={"username": username, "password": password},
        timeout=60,
    )


def test_spelling_variants_of_a_name_share_one_count(throttled: Stack) -> None:
    for name in ("alice", "ALICE", " Alice ", "aLiCe"):
        assert _login(throttled, name, "wrong guess").status_code == 401
    blocked = _login(throttled, "alice", PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert PASSWORD not in blocked.text


def test_a_parallel_burst_gets_no_more_guesses_than_the_limit(throttled: Stack) -> None:
    """Sending guesses at once must not let them all pass the check before any failure counts."""
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda i: _login(throttled, "alice", f"guess-{i}"), range(24)))
    statuses = [r.status_code for r in results]
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= LIMIT, statuses
    assert _login(throttled, "alice", PASSWORD).status_code == 429


def test_the_count_survives_a_backend_restart(moto_endpoint: S3Endpoint, tmp_path: Path) -> None:
    data_dir = tmp_path / "b"
    stacks: Generator[Stack] = start_stack(moto_endpoint, data_dir, login_max_failures=LIMIT)
    stack = next(stacks)
    for _ in range(LIMIT):
        _login(stack, "alice", "wrong guess")
    stacks.close()  # stops that backend
    with run_backend(
        moto_endpoint, bucket=stack.bucket, data_dir=data_dir, login_max_failures=LIMIT
    ) as again:
        resp = requests.post(
            again.api + "/auth/login", json={"username": "alice", "password": PASSWORD}, timeout=60
        )
        assert resp.status_code == 429


def test_failed_and_successful_sign_ins_never_log_a_password_or_token(
    throttled: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _login(throttled, "alice", "my-secret-guess-123")
    _login(throttled, "nobody", "another-secret-456")
    good = _login(throttled, "alice", PASSWORD).json()
    requests.post(
        throttled.backend.api + "/auth/refresh",
        json={"refresh_token": good["refresh_token"]},
        timeout=30,
    )
    text = "\n".join(r.getMessage() for r in caplog.records)
    # The backend's own sign-in records are among those searched (not just urllib3's or the test
    # client's), so the checks below look where a leak would be.
    signs = [r.getMessage() for r in caplog.records if r.name == "backend.routers.auth"]
    assert any(m.startswith("Failed sign-in for 'alice'") for m in signs), signs
    assert any(m.startswith("Failed sign-in for 'nobody'") for m in signs), signs
    assert any(m.startswith("User alice signed in") for m in signs), signs
    for secret in ("my-secret-guess-123", "another-secret-456", PASSWORD):
        assert secret not in text
    for token in (good["access_token"], good["refresh_token"]):
        assert token not in text
        assert token.split(".")[2] not in text  # not even the signature part


def _login_from(stack: Stack, address: str, username: str, password: str) -> int:
    """Sign in from the loopback address `address` (all of 127.0.0.0/8 reaches the server)."""
    url = urlsplit(stack.backend.api)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, source_address=(address, 0))
    try:
        body = json.dumps({"username": username, "password": password})
        conn.request("POST", url.path + "/auth/login", body, {"Content-Type": "application/json"})
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.fixture
def per_address(moto_endpoint: S3Endpoint, tmp_path: Path) -> Iterator[Stack]:
    yield from start_stack(
        moto_endpoint,
        tmp_path / "b",
        login_max_failures=LIMIT,
        login_max_failures_per_user=6,
        login_max_failures_per_address=100,
    )


def test_strangers_cannot_lock_a_proctor_out_of_their_own_workstation(per_address: Stack) -> None:
    workstation, stranger = "127.0.0.2", "127.0.0.3"
    assert _login_from(per_address, workstation, "alice", PASSWORD) == 200
    # One stranger exhausts its own budget for alice...
    for _ in range(LIMIT):
        assert _login_from(per_address, stranger, "alice", "guess") == 401
    assert _login_from(per_address, stranger, "alice", PASSWORD) == 429
    # ...and strangers spread over addresses exhaust alice's budget for unknown addresses.
    for host in range(4, 10):
        _login_from(per_address, f"127.0.0.{host}", "alice", "guess")
    assert _login_from(per_address, "127.0.0.20", "alice", PASSWORD) == 429
    # Her own workstation still signs in, and its own wrong guesses are still limited.
    assert _login_from(per_address, workstation, "alice", PASSWORD) == 200
    for _ in range(LIMIT):
        assert _login_from(per_address, workstation, "alice", "typo") == 401
    assert _login_from(per_address, workstation, "alice", PASSWORD) == 429
    # Bob, never attacked, signs in from the stranger's address.
    assert _login_from(per_address, stranger, "bob", PASSWORD) == 200
