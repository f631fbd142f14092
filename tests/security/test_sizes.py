"""Sizes are enforced at completion: no part beyond its planned size, no object beyond its size.

These run on moto, which checks no CRC at completion and assembles whatever it is given: what is
asserted is what still holds on such a store (refused, no receipt, nothing left under the key).
Where storage checks the CRCs it is given (SeaweedFS, AWS), it refuses most of these itself and
keeps the upload: tests/backend/test_uploads.py proves that on SeaweedFS.
"""

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
    stack: Stack,
    user: ApiUser,
    upload: dict[str, object],
    parts: list[tuple[int, str]],
    *,
    by_storage: bool = False,
) -> None:
    """Refused with nothing stored; `by_storage`: storage refused the part list itself."""
    done = user.complete(str(upload["upload_id"]), parts)
    info = user.call("GET", f"/uploads/{upload['upload_id']}").json()
    assert "receipt" not in info or info["receipt"] is None
    assert stack.keys() == []
    if by_storage:
        assert (done.status_code, error_code(done)) == (400, "invalid_parts"), done.text
        assert info["status"] == "in_progress"  # storage kept the upload: it can be fixed
    else:
        # Storage assembled the object; the backend refused it after and deleted it, so nothing
        # unreceipted stays under a recording's name. The multipart upload is spent.
        assert done.status_code == 409, done.text
        assert error_code(done) in ("size_mismatch", "checksum_mismatch")
        assert info["status"] == "aborted"


@pytest.mark.parametrize(
    ("sizes", "by_storage", "why"),
    [
        ((6 * MIB, 4 * MIB), False, "first part larger than the part size, total as declared"),
        # Even moto refuses a part under S3's 5 MiB minimum before the last one.
        ((5 * MIB - 10, 10 + 10), True, "last part larger than its share, total as declared"),
    ],
)
def test_a_part_larger_than_its_planned_size_is_refused(
    stack: Stack, sizes: tuple[int, int], by_storage: bool, why: str
) -> None:
    alice = stack.user("alice")
    data = bytes(range(256)) * (sum(sizes) // 256 + 1)
    data = data[: sum(sizes)]
    upload = _create(alice, len(data), part_size=5 * MIB)
    assert (upload["part_size"], upload["part_count"]) == (5 * MIB, 2), why
    upload_id = str(upload["upload_id"])
    first, second = data[: sizes[0]], data[sizes[0] :]
    wrong = [(1, alice.put_part(upload_id, 1, first)), (2, alice.put_part(upload_id, 2, second))]
    _assert_refused_and_nothing_stored(stack, alice, upload, wrong, by_storage=by_storage)
    # A new upload with the parts as planned completes, byte-identical.
    again = _create(alice, len(data), part_size=5 * MIB)
    upload_id = str(again["upload_id"])
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
    assert stack.open_uploads() == []


def test_an_empty_declared_upload_completes_with_an_empty_part(stack: Stack) -> None:
    """The control for the (0, 1) case above: the exact size is accepted."""
    alice = stack.user("alice")
    upload = _create(alice, 0)
    etag = alice.put_part(str(upload["upload_id"]), 1, b"")
    done = alice.complete(str(upload["upload_id"]), [(1, etag)])
    assert done.status_code == 200, done.text
    assert done.json()["size"] == 0
