"""The whole flow over real HTTP: sign in, create, presign, plain PUTs, complete, read back."""

from __future__ import annotations

import hashlib
import os

import pytest

from tests.backend.helpers import MIB, Client, multipart_etag
from tests.support.backend_server import RunningBackend
from tests.support.storage import S3Endpoint, s3_client


@pytest.mark.slow
def test_40_mib_file_round_trips_byte_identical(
    backend: RunningBackend, s3: S3Endpoint, bucket: str
) -> None:
    data = os.urandom(41 * MIB + 12345)  # not a multiple of the part size: a short last part
    alice = Client(backend, "alice")
    upload = alice.create(len(data), sha256=hashlib.sha256(data).hexdigest(), part_size=8 * MIB)
    assert upload["part_size"] == 8 * MIB
    assert upload["part_count"] == 6
    assert upload["key"].startswith("recordings/webcam/")
    assert upload["key"].endswith("/EXAM-1/alice/webcam.webm")

    parts = alice.put_parts(upload, data)

    listed = alice.get(f"/uploads/{upload['upload_id']}/parts").json()["parts"]
    assert [(p["part_number"], p["etag"]) for p in listed] == [
        (p["part_number"], p["etag"]) for p in parts
    ]
    assert sum(p["size"] for p in listed) == len(data)

    resp = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts})
    assert resp.status_code == 200, resp.text
    receipt = resp.json()
    assert receipt["size"] == len(data)
    assert receipt["key"] == upload["key"]
    assert receipt["etag"] == multipart_etag(data, 8 * MIB)
    assert receipt["sha256"] == hashlib.sha256(data).hexdigest()

    stored = s3_client(s3).get_object(Bucket=bucket, Key=upload["key"])["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(data).hexdigest()
