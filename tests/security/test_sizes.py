"""Sizes are enforced at completion: no part beyond its planned size, no object beyond its size."""

from __future__ import annotations

import hashlib

import pytest

from tests.security.client import ApiUser, Stack, error_code
from tests.support.storage import s3_client

pytestmark = pytest.mark.integration

MIB = 1024 * 1024


def _create(user: ApiUser, size: int, part_size: int | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "filename": "webcam.webm",
        "size": size,
        "content_type": "video/webm",
        "metadata": {"exam_id": "EXAM-1", "kind": "webcam"},
    }
    if part_size:
        body["part_size"] = part_size
    resp = user.call("POST", "/uploads", body)
    assert resp.status_code == 201, resp.text
    created: dict[str, object] = resp.json()
    return created


def _assert_refused_and_nothing_stored(
    stack: Stack, user: ApiUser, upload: dict[str, object], parts: list[tuple[int, str]]
) -> None:
    done = user.complete(str(upload["upload_id"]), parts)
    assert done.status_code in (400, 409), done.text
    assert error_code(done) in ("size_mismatch", "invalid_parts")
    assert stack.keys() == []
    info = user.call("GET", f"/uploads/{upload['upload_id']}").json()
    assert info["status"] == "in_progress"  # refusal loses nothing: the upload can be fixed


@pytest.mark.parametrize(
    ("sizes", "why"),
    [
        ((6 * MIB, 4 * MIB), "first part larger than the part size, total as declared"),
        ((5 * MIB - 10, 10 + 10), "last part larger than its share, total as declared"),
    ],
)
def test_a_part_larger_than_its_planned_size_is_refused(
    stack: Stack, sizes: tuple[int, int], why: str
) -> None:
    alice = stack.user("alice")
    data = bytes(range(256)) * (sum(sizes) // 256 + 1)
    data = data[: sum(sizes)]
    upload = _create(alice, len(data), part_size=5 * MIB)
    assert (upload["part_size"], upload["part_count"]) == (5 * MIB, 2), why
    upload_id = str(upload["upload_id"])
    first, second = data[: sizes[0]], data[sizes[0] :]
    wrong = [(1, alice.put_part(upload_id, 1, first)), (2, alice.put_part(upload_id, 2, second))]
    _assert_refused_and_nothing_stored(stack, alice, upload, wrong)
    # Sending the parts as planned then completes, byte-identical.
    right = [
        (1, alice.put_part(upload_id, 1, data[: 5 * MIB])),
        (2, alice.put_part(upload_id, 2, data[5 * MIB :])),
    ]
    done = alice.complete(upload_id, right)
    assert done.status_code == 200, done.text
    stored = s3_client(stack.endpoint).get_object(Bucket=stack.bucket, Key=done.json()["key"])
    assert hashlib.sha256(stored["Body"].read()).digest() == hashlib.sha256(data).digest()


@pytest.mark.parametrize(("declared", "sent"), [(1000, 2000), (2000, 1000), (0, 1)])
def test_an_object_of_another_size_than_declared_is_refused(
    stack: Stack, declared: int, sent: int
) -> None:
    alice = stack.user("alice")
    upload = _create(alice, declared)
    upload_id = str(upload["upload_id"])
    etag = alice.put_part(upload_id, 1, b"z" * sent)
    _assert_refused_and_nothing_stored(stack, alice, upload, [(1, etag)])
    assert alice.call("DELETE", f"/uploads/{upload_id}").status_code == 204
    assert stack.open_uploads() == []


def test_an_empty_declared_upload_completes_with_an_empty_part(stack: Stack) -> None:
    """The control for the (0, 1) case above: the exact size is accepted."""
    alice = stack.user("alice")
    upload = _create(alice, 0)
    etag = alice.put_part(str(upload["upload_id"]), 1, b"")
    done = alice.complete(str(upload["upload_id"]), [(1, etag)])
    assert done.status_code == 200, done.text
    assert done.json()["size"] == 0
