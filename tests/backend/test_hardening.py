"""Client input that used to reach a 500, single-PUT replays, size limits, quotas."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import requests

from tests.backend.conftest import add_test_users
from tests.backend.helpers import Client, error_code
from tests.support.backend_server import RunningBackend, run_backend
from tests.support.storage import S3Endpoint, make_bucket, s3_client

pytestmark = pytest.mark.integration
GIB = 1024**3


def test_the_three_inputs_that_gave_a_500_get_a_4xx(shared_backend: RunningBackend) -> None:
    alice = Client(shared_backend, "alice")
    dotted = alice.post("/files/presigned-url", {"fileName": "a.webm", "examId": "A..B"})
    assert dotted.status_code == 422, dotted.text
    assert error_code(dotted) == "invalid_request"

    upload = alice.create(10)
    superscript = alice.post(
        f"/uploads/{upload['upload_id']}/parts",
        {"part_numbers": [1], "checksums": {"²": "1B2M2Y8AsgTpgAmY7PhCfg=="}},
    )
    assert superscript.status_code == 422, superscript.text

    huge = base64.urlsafe_b64encode(b"s92233720368547758080").decode().rstrip("=")
    overflow = alice.get("/uploads", params={"cursor": huge})
    assert overflow.status_code == 422, overflow.text
    # The connection stays usable: the same session goes on working.
    assert alice.get("/uploads").status_code == 200


def test_a_single_put_url_cannot_overwrite_the_object_it_created(
    backend: RunningBackend, s3: S3Endpoint, bucket: str
) -> None:
    alice = Client(backend, "alice")
    resp = alice.post(
        "/files/presigned-url", {"fileName": "notes.txt", "contentType": "text/plain"}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["headers"]["If-None-Match"] == "*"
    first = requests.put(
        body["uploadUrl"], data=b"the recording", headers=body["headers"], timeout=30
    )
    assert first.status_code == 200, first.text
    replay = requests.put(
        body["uploadUrl"], data=b"something else", headers=body["headers"], timeout=30
    )
    assert replay.status_code == 412, replay.text
    stored = s3_client(s3).head_object(Bucket=bucket, Key=body["key"])
    assert stored["ContentLength"] == len(b"the recording")


def test_uploads_above_the_default_200_gib_limit_are_refused(
    shared_backend: RunningBackend,
) -> None:
    alice = Client(shared_backend, "alice")
    body = {
        "filename": "big.webm",
        "size": 200 * GIB + 1,
        "content_type": "video/webm",
        "metadata": {"exam_id": "EXAM-1", "kind": "webcam"},
    }
    resp = alice.post("/uploads", body)
    assert resp.status_code == 413, resp.text
    assert error_code(resp) == "upload_too_large"


def test_a_user_quota_counts_uploads_in_progress_and_completed_but_not_aborted(
    moto_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    with run_backend(
        moto_endpoint,
        bucket=make_bucket(moto_endpoint),
        data_dir=tmp_path / "b",
        user_quota_bytes=100,
    ) as running:
        add_test_users(running, "alice", "bob")
        alice, bob = Client(running, "alice"), Client(running, "bob")
        first = alice.create(60)
        over = alice.post(
            "/uploads",
            {
                "filename": "b.webm",
                "size": 41,
                "content_type": "video/webm",
                "metadata": {"exam_id": "EXAM-1", "kind": "webcam"},
            },
        )
        assert over.status_code == 413, over.text
        assert error_code(over) == "quota_exceeded"
        bob.create(100)  # each user has a quota of their own
        assert alice.delete(f"/uploads/{first['upload_id']}").status_code == 204
        # A single PUT declares no size: it gets a URL only while its user is under quota.
        assert alice.post("/files/presigned-url", {"fileName": "a.txt"}).status_code == 200
        alice.create(100)  # the aborted upload no longer counts
        single = alice.post("/files/presigned-url", {"fileName": "b.txt"})
        assert single.status_code == 413, single.text
        assert error_code(single) == "quota_exceeded"
        open_ended = alice.post(
            "/uploads",
            {
                "filename": "c.webm",
                "content_type": "video/webm",
                "metadata": {"exam_id": "EXAM-1", "kind": "webcam"},
            },
        )
        assert open_ended.status_code == 413, open_ended.text
