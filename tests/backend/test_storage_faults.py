"""Storage down, failing or misconfigured: clear 502/503 codes, nothing half-created, and recovery.

A FaultProxy sits between the backend and storage (`s3_endpoint_url` points at it), or between
the client and storage (`s3_public_endpoint_url`): deployments split internal and public endpoints.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.backend.conftest import add_test_users
from tests.backend.helpers import MIB, Client, error_code, sign_one
from tests.support.backend_server import RunningBackend, run_backend
from tests.support.checksums import crc64nvme
from tests.support.faultproxy import FaultProxy
from tests.support.faultrules import Rule, internal_error, respond, slow_down
from tests.support.storage import S3Endpoint, make_bucket, s3_client

pytestmark = pytest.mark.integration


def _proxied(
    endpoint: S3Endpoint, tmp_path: Path
) -> Iterator[tuple[RunningBackend, FaultProxy, Client]]:
    bucket = make_bucket(endpoint)
    with (
        FaultProxy(upstream=endpoint.endpoint_url) as proxy,
        run_backend(
            endpoint,
            bucket=bucket,
            data_dir=tmp_path / "b",
            s3_endpoint_url=proxy.url,
            s3_public_endpoint_url=endpoint.endpoint_url,
            s3_connect_timeout_seconds=1,
        ) as backend,
    ):
        add_test_users(backend, "alice")
        yield backend, proxy, Client(backend, "alice")


@pytest.fixture
def proxied(
    moto_endpoint: S3Endpoint, tmp_path: Path
) -> Iterator[tuple[RunningBackend, FaultProxy, Client]]:
    """A backend whose own S3 calls go through a fault proxy to moto."""
    yield from _proxied(moto_endpoint, tmp_path)


@pytest.fixture
def proxied_seaweedfs(
    seaweedfs_endpoint: S3Endpoint, tmp_path: Path
) -> Iterator[tuple[RunningBackend, FaultProxy, Client]]:
    """A backend whose own S3 calls go through a fault proxy to SeaweedFS."""
    yield from _proxied(seaweedfs_endpoint, tmp_path)


def _completed_asking(
    proxy: FaultProxy, alice: Client, data: bytes
) -> tuple[requests.Response, list[str]]:
    """Upload `data` in 5 MiB parts and complete it: the answer, and the storage calls the
    backend made for the completion."""
    upload = alice.create(len(data), part_size=5 * MIB)
    parts = alice.put_parts(upload, data)  # straight to storage: the public endpoint
    proxy.reset_stats()
    done = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts})
    return done, [r.method for r in proxy.stats().log]


@pytest.mark.seaweedfs
def test_a_completion_asks_storage_nothing_more_when_its_answer_names_the_crc(
    proxied_seaweedfs: tuple[RunningBackend, FaultProxy, Client], seaweedfs_endpoint: S3Endpoint
) -> None:
    # Every part URL carried its size, so storage refused parts of other sizes, and its answer
    # names the object's CRC: no HEAD after completing.
    backend, proxy, alice = proxied_seaweedfs
    data = os.urandom(6 * MIB)
    done, calls = _completed_asking(proxy, alice, data)
    assert done.status_code == 200, done.text
    assert calls == ["POST"]
    assert done.json()["checksum"] == crc64nvme(data)
    stored = s3_client(seaweedfs_endpoint).head_object(
        Bucket=backend.settings.bucket, Key=done.json()["key"], ChecksumMode="ENABLED"
    )
    assert (stored["ContentLength"], stored["ChecksumCRC64NVME"]) == (len(data), crc64nvme(data))


def test_a_completion_answer_naming_no_crc_is_followed_by_a_head(
    proxied: tuple[RunningBackend, FaultProxy, Client],
) -> None:
    # moto's answer names no CRC: the backend asks for the object's (and its size) after.
    _, proxy, alice = proxied
    data = os.urandom(6 * MIB)
    done, calls = _completed_asking(proxy, alice, data)
    assert done.status_code == 200, done.text
    assert calls == ["POST", "HEAD"]
    assert done.json()["checksum"] == crc64nvme(data)


def test_a_completion_answer_naming_another_crc_gets_no_receipt(
    proxied: tuple[RunningBackend, FaultProxy, Client],
) -> None:
    _, proxy, alice = proxied
    data = os.urandom(100)
    upload = alice.create(len(data))
    parts = alice.put_parts(upload, data)
    answer = (
        '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult>'
        f'<ETag>"{"0" * 32}-1"</ETag><ChecksumCRC64NVME>{crc64nvme(b"other")}</ChecksumCRC64NVME>'
        "<ChecksumType>FULL_OBJECT</ChecksumType></CompleteMultipartUploadResult>"
    )
    proxy.add_rule(Rule(method="POST", query="uploadId=", action=respond(200, answer.encode())))
    resp = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts})
    assert resp.status_code == 409, resp.text
    assert error_code(resp) == "checksum_mismatch"
    info = alice.get(f"/uploads/{upload['upload_id']}").json()
    assert (info["status"], info.get("receipt")) == ("aborted", None)
    # What storage holds under the key was deleted: nothing unreceipted under a recording's name.
    assert [r.method for r in proxy.stats().log][-1] == "DELETE"


def test_storage_down_gives_503_and_the_service_recovers(
    proxied: tuple[RunningBackend, FaultProxy, Client],
) -> None:
    backend, proxy, alice = proxied
    data = os.urandom(100)
    upload = alice.create(len(data))
    parts = alice.put_parts(upload, data)  # straight to storage: the public endpoint is not proxied
    before = backend.services.db.list_uploads(user_id=None, status=None, before_seq=None, limit=99)

    proxy.network_down(refuse=True)
    for resp in (
        alice.post("/uploads", {"filename": "b.webm", "size": 1, "metadata": _META}),
        alice.get(f"/uploads/{upload['upload_id']}/parts"),
        alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts}),
        alice.delete(f"/uploads/{upload['upload_id']}"),
    ):
        assert resp.status_code == 503, resp.text
        assert error_code(resp) == "storage_unavailable"
        assert resp.headers["Retry-After"] == "5"
    # Liveness stays green (the process is fine); readiness says why it cannot serve.
    assert requests.get(backend.api + "/health", timeout=30).status_code == 200
    ready = requests.get(backend.api + "/health/ready", timeout=30)
    assert ready.status_code == 503
    assert ready.json()["storage"] == "unavailable"
    assert ready.json()["database"] == "ok"
    # Nothing half-created, nothing changed.
    after = backend.services.db.list_uploads(user_id=None, status=None, before_seq=None, limit=99)
    assert after == before

    proxy.network_up()
    resp = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts})
    assert resp.status_code == 200, resp.text
    assert resp.json()["size"] == len(data)
    assert requests.get(backend.api + "/health/ready", timeout=30).status_code == 200
    assert alice.create(1, filename="b.webm")["key"].endswith("/b.webm")


_META = {"exam_id": "EXAM-1", "kind": "webcam"}


@pytest.mark.parametrize("fault", [internal_error, slow_down], ids=["500", "503-slowdown"])
def test_storage_errors_after_retries_give_503_then_work(
    proxied: tuple[RunningBackend, FaultProxy, Client], fault: object
) -> None:
    _, proxy, alice = proxied
    assert callable(fault)
    rule = proxy.add_rule(Rule(action=fault()))
    resp = alice.post("/uploads", {"filename": "c.webm", "size": 1, "metadata": _META})
    assert resp.status_code == 503
    assert error_code(resp) == "storage_unavailable"
    assert proxy.stats().rules_fired[rule] >= 2  # boto3 retried before giving up
    proxy.remove_rule(rule)
    assert alice.create(1, filename="c.webm")["part_count"] == 1


def test_a_single_transient_storage_error_is_retried_invisibly(
    proxied: tuple[RunningBackend, FaultProxy, Client],
) -> None:
    _, proxy, alice = proxied
    proxy.add_rule(Rule(method="POST", query="uploads", action=internal_error(), times=1))
    created = alice.create(1, filename="d.webm")
    assert created["part_count"] == 1


def test_a_failed_key_check_leaves_no_upload_and_gives_the_key_back(
    proxied: tuple[RunningBackend, FaultProxy, Client], moto_endpoint: S3Endpoint
) -> None:
    """The check that the key is free and the upload's creation go out together: when the check
    fails, the upload storage created meanwhile is aborted."""
    backend, proxy, alice = proxied
    rule = proxy.add_rule(Rule(method="HEAD", action=internal_error()))
    resp = alice.post("/uploads", {"filename": "f.webm", "size": 1, "metadata": _META})
    assert resp.status_code == 503, resp.text
    assert error_code(resp) == "storage_unavailable"
    assert proxy.stats().rules_fired[rule] >= 1
    bucket = backend.settings.bucket
    assert s3_client(moto_endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    db = backend.services.db
    assert db.list_uploads(user_id=None, status=None, before_seq=None, limit=9) == []
    proxy.remove_rule(rule)
    assert alice.create(1, filename="f.webm")["key"].endswith("/alice/f.webm")


def test_missing_bucket_is_502_with_nothing_created_until_it_exists(
    moto_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    bucket = "not-created-yet-" + os.urandom(4).hex()
    with run_backend(moto_endpoint, bucket=bucket, data_dir=tmp_path / "b") as backend:
        add_test_users(backend, "alice")
        alice = Client(backend, "alice")
        resp = alice.post("/uploads", {"filename": "e.webm", "size": 1, "metadata": _META})
        assert resp.status_code == 502
        assert error_code(resp) == "storage_error"
        assert "bucket does not exist" in resp.json()["error"]["message"]
        db = backend.services.db
        assert db.list_uploads(user_id=None, status=None, before_seq=None, limit=9) == []
        assert requests.get(backend.api + "/health/ready", timeout=30).status_code == 503

        make_bucket(moto_endpoint, bucket)
        created = alice.create(1, filename="e.webm")
        # The key refused earlier was given back: the first real upload gets the plain name.
        assert created["key"].endswith("/alice/e.webm")


def test_presigned_urls_use_the_public_endpoint(
    s3: S3Endpoint, bucket: str, tmp_path: Path
) -> None:
    """Clients reach storage through another address than the backend does (SeaweedFS checks that
    the signature was made for the host the client really uses)."""
    with (
        FaultProxy(upstream=s3.endpoint_url) as public,
        run_backend(
            s3, bucket=bucket, data_dir=tmp_path / "b", s3_public_endpoint_url=public.url
        ) as backend,
    ):
        add_test_users(backend, "alice")
        alice = Client(backend, "alice")
        data = os.urandom(2000)
        upload = alice.create(len(data))
        signed = sign_one(alice, upload["upload_id"], 1, data)
        assert signed["url"].startswith(public.url + "/")
        parts = alice.put_parts(upload, data)
        assert public.stats().bytes_forwarded_by_method["PUT"] >= len(data)
        resp = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts})
        assert resp.status_code == 200, resp.text
        stored = s3_client(s3).get_object(Bucket=bucket, Key=upload["key"])["Body"].read()
        assert stored == data
