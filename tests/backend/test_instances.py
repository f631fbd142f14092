"""Two `serve` processes on one PostgreSQL behave as one service.

Each instance has a data folder of its own (as on separate machines); they share only what a
deployment shares: the database, the configured JWT secret and the receipt-signing key file.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from backend.receipts.signing_keys import KEYS_FILE
from tests.support.backend_server import BackendProcess
from tests.support.checksums import crc64nvme
from tests.support.postgres import PostgresServer
from tests.support.storage import S3Endpoint, make_bucket

pytestmark = [pytest.mark.integration, pytest.mark.postgresql, pytest.mark.slow]
PASSWORD = "correct horse battery"
LIMIT = 4


@pytest.fixture
def pair(
    postgres: PostgresServer, moto_endpoint: S3Endpoint, tmp_path: Path
) -> Iterator[tuple[BackendProcess, BackendProcess]]:
    url = postgres.create_database()
    bucket = make_bucket(moto_endpoint)
    settings: dict[str, Any] = {"database_url": url, "login_max_failures": LIMIT}
    a = BackendProcess(moto_endpoint, bucket=bucket, data_dir=tmp_path / "a", **settings)
    b = BackendProcess(moto_endpoint, bucket=bucket, data_dir=tmp_path / "b", **settings)
    a.add_user("alice", PASSWORD)
    with a:
        (tmp_path / "b").mkdir()
        shutil.copy2(tmp_path / "a" / KEYS_FILE, tmp_path / "b" / KEYS_FILE)
        with b:
            yield a, b


def _post(server: BackendProcess, path: str, body: Any, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(server.api + path, json=body, headers=headers, timeout=60)


def test_sign_in_refresh_create_sign_and_complete_alternate_between_instances(
    pair: tuple[BackendProcess, BackendProcess],
) -> None:
    a, b = pair
    first = _post(a, "/auth/login", {"username": "alice", "password": PASSWORD}).json()
    refreshed = _post(b, "/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    access = refreshed.json()["access_token"]

    data = b"x" * 1000
    created = _post(
        a,
        "/uploads",
        {"filename": "w.webm", "size": len(data), "metadata": {"exam_id": "E1", "kind": "webcam"}},
        access,
    )
    assert created.status_code == 201, created.text
    upload_id = created.json()["upload_id"]
    checksum = crc64nvme(data)
    signed = _post(
        b,
        f"/uploads/{upload_id}/parts",
        {"part_numbers": [1], "checksums": {"1": checksum}},
        access,
    )
    assert signed.status_code == 200, signed.text
    part = signed.json()["parts"][0]
    put = requests.put(part["url"], data=data, headers=part["headers"], timeout=60)
    assert put.status_code == 200
    parts = [{"part_number": 1, "etag": put.headers["ETag"].strip('"'), "checksum": checksum}]
    assert parts[0]["etag"] == hashlib.md5(data).hexdigest()

    # Both instances complete at once: one assembles, the other waits for it, same receipt.
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(
            pool.map(
                lambda s: _post(s, f"/uploads/{upload_id}/complete", {"parts": parts}, access),
                (a, b),
            )
        )
    assert [r.status_code for r in done] == [200, 200], [r.text for r in done]
    assert done[0].json() == done[1].json()
    assert done[0].json()["size"] == len(data)


def test_refresh_token_reuse_is_caught_across_instances(
    pair: tuple[BackendProcess, BackendProcess],
) -> None:
    a, b = pair
    first = _post(a, "/auth/login", {"username": "alice", "password": PASSWORD}).json()
    second = _post(b, "/auth/refresh", {"refresh_token": first["refresh_token"]}).json()
    # The rotated token, replayed on the other instance: the whole sign-in is revoked...
    replay = _post(a, "/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert "already used" in replay.json()["error"]["message"]
    # ...so the legitimate newer tokens stop working on both instances too.
    assert _post(b, "/auth/refresh", {"refresh_token": second["refresh_token"]}).status_code == 401
    me = requests.get(
        a.api + "/me", headers={"Authorization": f"Bearer {second['access_token']}"}, timeout=30
    )
    assert me.status_code == 401


def test_the_login_throttle_counts_guesses_on_every_instance(
    pair: tuple[BackendProcess, BackendProcess],
) -> None:
    a, b = pair
    statuses = [
        _post(server, "/auth/login", {"username": "alice", "password": "wrong"}).status_code
        for server in (a, b, a, b)
    ]
    assert statuses == [401] * LIMIT
    for server in (a, b):
        right = _post(server, "/auth/login", {"username": "alice", "password": PASSWORD})
        assert right.status_code == 429
