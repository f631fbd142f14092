"""Uploads created before their size is known (a recording still being written): a fixed part
size that fits the server's largest recording, and a final size given at completion, checked
as strictly as a declared one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.backend.conftest import add_test_users
from tests.backend.helpers import MIB, Client, error_code, multipart_etag
from tests.support.backend_server import RunningBackend, run_backend
from tests.support.storage import S3Endpoint, s3_client

GIB = 1024 * MIB


def _create_open(client: Client, **extra: Any) -> dict[str, Any]:
    body = {
        "filename": "webcam.mkv",
        "content_type": "video/x-matroska",
        "metadata": {"exam_id": "EXAM-1", "kind": "webcam"},
        **extra,
    }
    resp = client.post("/uploads", body)
    assert resp.status_code == 201, resp.text
    created: dict[str, Any] = resp.json()
    return created


@pytest.fixture
def small_parts(s3: S3Endpoint, bucket: str, tmp_path: Path) -> Iterator[RunningBackend]:
    """A backend whose open uploads hold at most 48 GiB: 5 MiB parts fit, so tests stay small."""
    with run_backend(
        s3, bucket=bucket, data_dir=tmp_path / "backend", open_upload_capacity=48 * GIB
    ) as running:
        add_test_users(running, "alice")
        yield running


def test_without_a_size_the_part_size_fits_200_gib_in_10000_parts(
    moto_backend: RunningBackend,
) -> None:
    alice = Client(moto_backend, "alice")
    upload = _create_open(alice)
    assert upload["part_count"] == 10_000
    assert upload["part_size"] == 21 * MIB
    assert upload["part_size"] * 10_000 >= 200 * GIB
    info = alice.get(f"/uploads/{upload['upload_id']}").json()
    assert info["size"] is None
    assert info["status"] == "in_progress"
    # A larger hint is honoured (fewer, larger parts); a smaller one cannot shrink the capacity.
    assert _create_open(alice, part_size=64 * MIB)["part_size"] == 64 * MIB
    assert _create_open(alice, part_size=5 * MIB)["part_size"] == 21 * MIB


@pytest.mark.integration
def test_the_final_size_given_at_completion_is_checked_and_recorded(
    small_parts: RunningBackend, s3: S3Endpoint, bucket: str
) -> None:
    alice = Client(small_parts, "alice")
    assert _create_open(alice)["part_size"] == 16 * MIB  # the server's default part size
    upload = _create_open(alice, part_size=5 * MIB)
    assert upload["part_size"] == 5 * MIB
    uid = upload["upload_id"]
    data = os.urandom(12 * MIB)
    parts = alice.put_parts({**upload, "part_count": 3}, data)

    resp = alice.post(f"/uploads/{uid}/complete", {"parts": parts})
    assert resp.status_code == 422
    assert "size is required" in resp.json()["error"]["message"]
    # The parts hold 12 MiB, not 12 MiB + 1.
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": parts, "size": len(data) + 1})
    assert resp.status_code == 409
    assert error_code(resp) == "size_mismatch"
    # Too small for these parts: part 3 is not part of a 10 MiB file.
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": parts, "size": 10 * MIB})
    assert resp.status_code == 422
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": parts[:2], "size": len(data)})
    assert resp.status_code == 422
    assert "missing" in resp.json()["error"]["message"]
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": parts, "size": 49 * GIB})
    assert resp.status_code == 413
    assert alice.get(f"/uploads/{uid}").json()["status"] == "in_progress"

    resp = alice.post(f"/uploads/{uid}/complete", {"parts": parts, "size": len(data)})
    assert resp.status_code == 200, resp.text
    receipt = resp.json()
    assert receipt["size"] == len(data)
    assert receipt["etag"] == multipart_etag(data, 5 * MIB)
    stored = s3_client(s3).get_object(Bucket=bucket, Key=receipt["key"])["Body"].read()
    assert stored == data
    info = alice.get(f"/uploads/{uid}").json()
    assert (info["size"], info["part_count"], info["status"]) == (len(data), 3, "completed")
    # Completing again returns the same receipt, with or without the size.
    again = alice.post(f"/uploads/{uid}/complete", {"parts": parts, "size": len(data)})
    assert again.json() == receipt


def test_a_declared_size_may_be_repeated_at_completion_but_not_changed(
    moto_backend: RunningBackend,
) -> None:
    alice = Client(moto_backend, "alice")
    data = os.urandom(1000)
    upload = alice.create(len(data))
    parts = alice.put_parts(upload, data)
    uid = upload["upload_id"]
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": parts, "size": 999})
    assert resp.status_code == 409
    assert error_code(resp) == "size_mismatch"
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": parts, "size": 1000})
    assert resp.status_code == 200, resp.text


def test_a_client_token_returns_the_same_open_upload(moto_backend: RunningBackend) -> None:
    alice = Client(moto_backend, "alice")
    first = _create_open(alice, client_token="job-follow-0001")
    again = _create_open(alice, client_token="job-follow-0001")
    assert again["upload_id"] == first["upload_id"]
    # The same token for a file of known size is another file: refused.
    resp = alice.post(
        "/uploads",
        {
            "filename": "webcam.mkv",
            "size": 10,
            "metadata": {"exam_id": "EXAM-1", "kind": "webcam"},
            "client_token": "job-follow-0001",
        },
    )
    assert resp.status_code == 409
