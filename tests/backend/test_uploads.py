"""Upload life cycle against each S3 server: keys, sizes, idempotent completion, abort, resume."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from backend.storage import Checksum
from backend.uploads import plan_parts
from tests.backend.conftest import add_test_users
from tests.backend.helpers import MIB, Client, error_code, multipart_etag, sign_one
from tests.support.backend_server import RunningBackend, run_backend
from tests.support.checksums import crc32c, crc64nvme
from tests.support.storage import S3Endpoint, make_bucket, s3_client


@pytest.mark.parametrize(
    ("size", "hint", "expected"),
    [
        (0, None, (16 * MIB, 1)),
        (1, None, (16 * MIB, 1)),
        (16 * MIB, None, (16 * MIB, 1)),
        (16 * MIB + 1, None, (16 * MIB, 2)),
        (100 * MIB, 5 * MIB, (5 * MIB, 20)),
        (100 * MIB, 1, (5 * MIB, 20)),  # below the S3 minimum: raised to 5 MiB
        (10_000 * 16 * MIB, None, (16 * MIB, 10_000)),
        (10_000 * 16 * MIB + 1, None, (17 * MIB, 9_412)),  # raised to fit 10,000 parts
        (5 * 1024**4, None, (525 * MIB, 9_987)),  # 5 TiB, the S3 maximum object size
    ],
)
def test_part_plan(size: int, hint: int | None, expected: tuple[int, int]) -> None:
    part_size, count = plan_parts(size, hint, 16 * MIB)
    assert (part_size, count) == expected
    assert count <= 10_000
    assert part_size * count >= size
    assert 5 * MIB <= part_size <= 5 * 1024**3


@pytest.mark.integration
def test_zero_byte_and_small_files_complete(
    backend: RunningBackend, s3: S3Endpoint, bucket: str
) -> None:
    alice = Client(backend, "alice")
    for data in (b"", b"x", os.urandom(1000)):
        upload = alice.create(len(data), filename="tiny.bin")
        assert upload["part_count"] == 1
        parts = alice.put_parts(upload, data)
        resp = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts})
        assert resp.status_code == 200, resp.text
        receipt = resp.json()
        assert receipt["size"] == len(data)
        assert receipt["etag"] == multipart_etag(data, upload["part_size"])
        stored = s3_client(s3).get_object(Bucket=bucket, Key=receipt["key"])["Body"].read()
        assert stored == data


@pytest.mark.integration
def test_same_filename_gets_a_new_key_and_never_overwrites(
    backend: RunningBackend, s3: S3Endpoint, bucket: str
) -> None:
    alice = Client(backend, "alice")
    first = alice.create(3, filename="rec.webm")
    second = alice.create(3, filename="rec.webm")
    assert second["key"] == first["key"].replace("rec.webm", "rec-2.webm")
    # An object put there by someone else (outside this backend) is never overwritten either.
    third_key = first["key"].replace("rec.webm", "rec-3.webm")
    s3_client(s3).put_object(Bucket=bucket, Key=third_key, Body=b"not ours")
    fourth = alice.create(3, filename="rec.webm")
    assert fourth["key"] == first["key"].replace("rec.webm", "rec-4.webm")
    # The multipart upload created at the taken key alongside the check was aborted.
    pending = s3_client(s3).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert sorted(u["Key"] for u in pending) == sorted(u["key"] for u in (first, second, fourth))
    # An aborted upload's key is not handed out again.
    alice.delete(f"/uploads/{first['upload_id']}")
    fifth = alice.create(3, filename="rec.webm")
    assert fifth["key"] == first["key"].replace("rec.webm", "rec-5.webm")


@pytest.mark.integration
def test_complete_is_idempotent_and_later_calls_are_refused_clearly(
    backend: RunningBackend,
) -> None:
    alice = Client(backend, "alice")
    data = os.urandom(6 * MIB)
    upload = alice.create(len(data), part_size=5 * MIB)
    parts = alice.put_parts(upload, data)
    uid = upload["upload_id"]
    first = alice.post(f"/uploads/{uid}/complete", {"parts": parts})
    assert first.status_code == 200
    again = alice.post(f"/uploads/{uid}/complete", {"parts": parts})
    assert again.status_code == 200
    assert again.json() == first.json()
    # Quoted ETags (as S3 returns them in headers) are accepted too.
    quoted = [{**p, "etag": f'"{p["etag"]}"'} for p in parts]
    assert alice.post(f"/uploads/{uid}/complete", {"parts": quoted}).json() == first.json()

    for resp in (
        alice.post(f"/uploads/{uid}/parts", {"part_numbers": [1]}),
        alice.get(f"/uploads/{uid}/parts"),
        alice.delete(f"/uploads/{uid}"),
    ):
        assert resp.status_code == 409
        assert error_code(resp) == "already_completed"
    info = alice.get(f"/uploads/{uid}").json()
    assert info["status"] == "completed"
    assert info["etag"] == first.json()["etag"]


@pytest.mark.integration
def test_abort_frees_the_upload_and_every_later_call_says_it_is_gone(
    backend: RunningBackend, s3: S3Endpoint, bucket: str
) -> None:
    alice = Client(backend, "alice")
    data = os.urandom(100)
    upload = alice.create(len(data))
    parts = alice.put_parts(upload, data)
    uid = upload["upload_id"]
    resp = alice.delete(f"/uploads/{uid}")
    assert resp.status_code == 204
    assert alice.delete(f"/uploads/{uid}").status_code == 204  # aborting twice is fine
    pending = s3_client(s3).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert upload["key"] not in [u["Key"] for u in pending]
    for resp in (
        alice.post(f"/uploads/{uid}/parts", {"part_numbers": [1]}),
        alice.get(f"/uploads/{uid}/parts"),
        alice.post(f"/uploads/{uid}/complete", {"parts": parts}),
    ):
        assert resp.status_code == 404
        assert error_code(resp) == "upload_not_found"
    assert alice.get(f"/uploads/{uid}").json()["status"] == "aborted"


def _storage_upload_id(s3: S3Endpoint, bucket: str, key: str) -> str:
    """Storage's own id of the one multipart upload in progress at `key` (never in the API)."""
    listed = s3_client(s3).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    (upload_id,) = [u["UploadId"] for u in listed if u["Key"] == key]
    return upload_id


@pytest.mark.integration
def test_upload_gone_from_storage_is_404_upload_not_found(
    backend: RunningBackend, s3: S3Endpoint, bucket: str
) -> None:
    alice = Client(backend, "alice")
    upload = alice.create(10)
    client = s3_client(s3)
    storage_upload_id = _storage_upload_id(s3, bucket, upload["key"])
    # A lifecycle rule (or an operator) aborted it behind the backend's back.
    client.abort_multipart_upload(Bucket=bucket, Key=upload["key"], UploadId=storage_upload_id)
    resp = alice.get(f"/uploads/{upload['upload_id']}/parts")
    assert resp.status_code == 404
    assert error_code(resp) == "upload_not_found"
    assert alice.get(f"/uploads/{upload['upload_id']}").json()["status"] == "aborted"


@pytest.mark.integration
def test_completion_that_reached_storage_but_was_not_recorded_is_recovered(
    backend: RunningBackend, s3: S3Endpoint, bucket: str
) -> None:
    alice = Client(backend, "alice")
    data = os.urandom(1234)
    upload = alice.create(len(data))
    parts = alice.put_parts(upload, data)
    client = s3_client(s3)
    storage_upload_id = _storage_upload_id(s3, bucket, upload["key"])
    # Storage completed, then the backend's answer was lost (crash, dropped connection).
    client.complete_multipart_upload(
        Bucket=bucket,
        Key=upload["key"],
        UploadId=storage_upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": f'"{parts[0]["etag"]}"'}]},
    )
    resp = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts})
    assert resp.status_code == 200, resp.text
    assert resp.json()["etag"] == multipart_etag(data, upload["part_size"])
    assert resp.json()["size"] == len(data)


def _put_one(alice: Client, upload_id: str, number: int, chunk: bytes) -> dict[str, Any]:
    """Send `chunk` as part `number` through a URL signed with its CRC; the part as completed."""
    signed = sign_one(alice, upload_id, number, chunk)
    resp = requests.put(signed["url"], data=chunk, headers=signed["headers"], timeout=30)
    assert resp.status_code == 200, resp.text
    return {
        "part_number": number,
        "etag": resp.headers["ETag"].strip('"'),
        "checksum": signed["headers"]["x-amz-checksum-crc64nvme"],
    }


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_storage_refuses_a_lying_etag_wrong_bytes_and_a_short_part_and_keeps_the_upload(
    seaweed_alice: Client,
) -> None:
    # No ListParts before completing a CRC upload: SeaweedFS (>= 4.48, as AWS S3) checks each
    # named part's ETag and CRC and the whole object's CRC at completion, and refuses with the
    # multipart upload intact.
    alice = seaweed_alice
    data = os.urandom(11 * MIB)
    upload = alice.create(len(data), part_size=5 * MIB)  # 3 parts
    uid = upload["upload_id"]
    parts = alice.put_parts(upload, data)

    lying = [parts[0], {**parts[1], "etag": "0" * 32}, parts[2]]
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": lying})
    assert resp.status_code == 400, resp.text
    assert error_code(resp) == "invalid_parts"

    # Part 2 sent again with other bytes (its own URL, its own CRC); naming the first copy's ETag
    # with the second copy's CRC claims bytes storage does not hold for that ETag.
    other = _put_one(alice, uid, 2, os.urandom(5 * MIB))
    mixed = [parts[0], {**parts[1], "checksum": other["checksum"]}, parts[2]]
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": mixed})
    assert resp.status_code == 409, resp.text
    assert error_code(resp) == "checksum_mismatch"

    # Part 3 sent again shorter than planned: its URL is signed with its planned size, so
    # storage refuses it as it arrives and keeps the part it has.
    short = sign_one(alice, uid, 3, b"short")
    resp = requests.put(short["url"], data=b"short", headers=short["headers"], timeout=30)
    assert resp.status_code == 403, resp.text
    assert "SignatureDoesNotMatch" in resp.text
    assert alice.get(f"/uploads/{uid}").json()["status"] == "in_progress"

    # Nothing was lost: the right bytes again, and the upload completes.
    parts = alice.put_parts(upload, data)
    receipt = alice.post(f"/uploads/{uid}/complete", {"parts": parts})
    assert receipt.status_code == 200, receipt.text
    assert receipt.json()["checksum"] == crc64nvme(data)


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_a_part_of_another_size_than_planned_never_reaches_storage(seaweed_alice: Client) -> None:
    # CRC combination never uses the first part's length, so only its size could make an object
    # of another size than declared pass storage's checks at completion: storage refuses it as
    # it arrives, because its URL is signed with its planned size.
    alice = seaweed_alice
    data = os.urandom(11 * MIB)
    upload = alice.create(len(data), part_size=5 * MIB)
    uid = upload["upload_id"]
    for wrong in (data[: 5 * MIB] + b"+", data[: 5 * MIB - 1]):
        signed = sign_one(alice, uid, 1, wrong)
        resp = requests.put(signed["url"], data=wrong, headers=signed["headers"], timeout=30)
        assert resp.status_code == 403, resp.text
    parts = alice.put_parts(upload, data)
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": parts})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["size"], resp.json()["checksum"]) == (len(data), crc64nvme(data))


def _put_unbound(alice: Client, upload_id: str, number: int, chunk: bytes) -> dict[str, Any]:
    """Send `chunk` as part `number` through a URL signed with its CRC but not its length, as
    an older backend signed them, recorded as such."""
    services = alice.backend.services
    rec = services.db.get_upload(upload_id)
    assert rec is not None
    crc = crc64nvme(chunk)
    services.db.record_signed_parts(upload_id, [(number, crc, len(chunk))])
    signed = services.storage.presign_part(
        rec.key, rec.s3_upload_id, number, 60, Checksum("CRC64NVME", crc)
    )
    resp = requests.put(signed.url, data=chunk, headers=signed.headers, timeout=30)
    assert resp.status_code == 200, resp.text
    return {"part_number": number, "etag": resp.headers["ETag"].strip('"'), "checksum": crc}


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_a_part_of_another_size_through_a_url_without_its_length_gets_no_receipt(
    seaweed_backend: Any, seaweedfs_endpoint: S3Endpoint
) -> None:
    # A URL signed before part URLs carried their size admits any size. A later part of another
    # size changes the whole object's CRC, which storage refuses, keeping the upload; a first part
    # of another size does not (CRC combination never uses its length), so storage assembles it
    # and the HEAD after completing sees the total size: the backend deletes the object and the
    # upload ends without a receipt.
    alice, bucket = seaweed_backend()
    data = os.urandom(11 * MIB)
    upload = alice.create(len(data), part_size=5 * MIB)
    uid = upload["upload_id"]
    parts = alice.put_parts(upload, data)
    short = _put_unbound(alice, uid, 3, b"short")
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": [parts[0], parts[1], short]})
    assert resp.status_code == 409, resp.text
    assert error_code(resp) == "checksum_mismatch"
    assert alice.get(f"/uploads/{uid}").json()["status"] == "in_progress"
    parts[0] = _put_unbound(alice, uid, 1, data[: 5 * MIB] + b"+")
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": parts})
    assert resp.status_code == 409, resp.text
    assert error_code(resp) == "size_mismatch"
    listed = alice.get(f"/uploads/{uid}").json()
    assert listed["status"] == "aborted"
    assert listed.get("receipt") is None
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": parts})
    assert resp.status_code == 404, resp.text
    listing = s3_client(seaweedfs_endpoint).list_objects_v2(Bucket=bucket, Prefix=upload["key"])
    assert listing.get("KeyCount", 0) == 0  # nothing unreceipted stays under a recording's name


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_md5_uploads_check_part_sizes_against_storage_before_completing(
    seaweed_backend: Any,
) -> None:
    # Storage checks no size or content at an MD5 completion, only ETags: ListParts does.
    alice: Client = seaweed_backend(integrity="md5")[0]
    data = os.urandom(6 * MIB)
    upload = alice.create(len(data), part_size=5 * MIB)
    uid = upload["upload_id"]
    named = []
    for number, chunk in ((1, data[: 5 * MIB]), (2, data[5 * MIB :] + b"extra")):
        md5 = base64.b64encode(hashlib.md5(chunk).digest()).decode()
        signed = alice.post(
            f"/uploads/{uid}/parts", {"part_numbers": [number], "checksums": {str(number): md5}}
        ).json()["parts"][0]
        resp = requests.put(signed["url"], data=chunk, headers=signed["headers"], timeout=30)
        assert resp.status_code == 200, resp.text
        named.append({"part_number": number, "etag": resp.headers["ETag"].strip('"')})
    resp = alice.post(f"/uploads/{uid}/complete", {"parts": named})
    assert resp.status_code == 409, resp.text
    assert error_code(resp) == "size_mismatch"
    assert alice.get(f"/uploads/{uid}").json()["status"] == "in_progress"
    resp = alice.post(
        f"/uploads/{uid}/complete", {"parts": [named[0], {"part_number": 2, "etag": "0" * 32}]}
    )
    assert resp.status_code == 400, resp.text
    assert error_code(resp) == "invalid_parts"


@pytest.mark.integration
def test_part_not_uploaded_yet_is_invalid_parts(backend: RunningBackend) -> None:
    alice = Client(backend, "alice")
    upload = alice.create(10)
    resp = alice.post(
        f"/uploads/{upload['upload_id']}/complete",
        {"parts": [{"part_number": 1, "etag": "d41d8cd98f00b204e9800998ecf8427e"}]},
    )
    assert resp.status_code == 422  # a CRC upload names each part's checksum
    assert "CRC64NVME" in resp.json()["error"]["message"]
    checksum = crc64nvme(b"0123456789")
    resp = alice.post(
        f"/uploads/{upload['upload_id']}/complete",
        {"parts": [{"part_number": 1, "etag": "0" * 32, "checksum": checksum}]},
    )
    assert resp.status_code == 400
    assert error_code(resp) == "invalid_parts"
    assert "no URL was signed" in resp.json()["error"]["message"]
    sign_one(alice, upload["upload_id"], 1, b"0123456789")
    resp = alice.post(
        f"/uploads/{upload['upload_id']}/complete",
        {"parts": [{"part_number": 1, "etag": "0" * 32, "checksum": checksum}]},
    )
    assert resp.status_code == 400
    assert error_code(resp) == "invalid_parts"  # storage's own answer: it holds no such part


def test_sha256_declared_twice_must_agree(shared_backend: RunningBackend) -> None:
    alice = Client(shared_backend, "alice")
    data = b"hello"
    upload = alice.create(len(data), sha256=hashlib.sha256(data).hexdigest())
    parts = alice.put_parts(upload, data)
    resp = alice.post(
        f"/uploads/{upload['upload_id']}/complete", {"parts": parts, "sha256": "ab" * 32}
    )
    assert resp.status_code == 409
    assert error_code(resp) == "sha256_mismatch"
    resp = alice.post(
        f"/uploads/{upload['upload_id']}/complete",
        {"parts": parts, "sha256": hashlib.sha256(data).hexdigest().upper()},
    )
    assert resp.status_code == 200
    assert resp.json()["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.fixture
def seaweed_backend(seaweedfs_endpoint: S3Endpoint, tmp_path: Path) -> Iterator[Any]:
    """``start(**settings)`` -> alice on a backend over SeaweedFS, which (unlike moto) checks
    signatures and checksums."""
    with ExitStack() as stack:
        started = itertools.count()

        def start(**settings: Any) -> tuple[Client, str]:
            bucket = make_bucket(seaweedfs_endpoint)
            data_dir = tmp_path / f"b{next(started)}"
            running = stack.enter_context(
                run_backend(seaweedfs_endpoint, bucket=bucket, data_dir=data_dir, **settings)
            )
            add_test_users(running, "alice")
            return Client(running, "alice"), bucket

        yield start


@pytest.fixture
def seaweed_alice(seaweed_backend: Any) -> Client:
    """alice on a SeaweedFS-backed backend with the default integrity (CRC64NVME)."""
    client: Client = seaweed_backend()[0]
    return client


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_seaweedfs_refuses_a_forged_signature(seaweed_alice: Client) -> None:
    upload = seaweed_alice.create(3)
    signed = sign_one(seaweed_alice, upload["upload_id"], 1, b"abc")
    url = signed["url"]
    sig = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    forged = url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    headers = signed["headers"]
    assert requests.put(forged, data=b"abc", headers=headers, timeout=30).status_code == 403
    assert requests.put(url, data=b"abc", headers=headers, timeout=30).status_code == 200


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_crc_bound_url_refuses_a_flipped_bit_and_any_other_header(seaweed_alice: Client) -> None:
    data = os.urandom(64 * 1024)
    upload = seaweed_alice.create(len(data))
    uid = upload["upload_id"]
    assert upload["checksum_algorithm"] == "CRC64NVME"
    crc = crc64nvme(data)
    signed = sign_one(seaweed_alice, uid, 1, data)
    assert signed["headers"] == {"x-amz-checksum-crc64nvme": crc}
    query = parse_qs(urlsplit(signed["url"]).query)
    assert query["X-Amz-SignedHeaders"] == ["content-length;host;x-amz-checksum-crc64nvme"]
    flipped = bytearray(data)
    flipped[40_000] ^= 0x10
    bad = requests.put(signed["url"], data=bytes(flipped), headers=signed["headers"], timeout=30)
    assert bad.status_code == 400, bad.text
    assert "BadDigest" in bad.text
    assert seaweed_alice.get(f"/uploads/{uid}/parts").json()["parts"] == []
    unsent = requests.put(signed["url"], data=data, timeout=30)  # the signed header left out
    assert unsent.status_code == 403, unsent.text
    other = {"x-amz-checksum-crc64nvme": crc64nvme(bytes(flipped))}
    lying = requests.put(signed["url"], data=bytes(flipped), headers=other, timeout=30)
    assert lying.status_code == 403, lying.text
    good = requests.put(signed["url"], data=data, headers=signed["headers"], timeout=30)
    assert good.status_code == 200, good.text
    listed = seaweed_alice.get(f"/uploads/{uid}/parts").json()["parts"]
    # SeaweedFS lists no part checksums: the one reported is the one the backend signed.
    assert [(p["part_number"], p["checksum"]) for p in listed] == [(1, crc)]


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_completion_compares_the_full_object_crc_storage_reports(
    seaweed_backend: Any, seaweedfs_endpoint: S3Endpoint
) -> None:
    seaweed_alice, bucket = seaweed_backend()
    data = os.urandom(11 * MIB)
    upload = seaweed_alice.create(len(data), part_size=5 * MIB)
    uid = upload["upload_id"]
    parts = seaweed_alice.put_parts(upload, data)
    whole = crc64nvme(data)
    # A client claiming another whole-object CRC than its parts combine to is refused.
    resp = seaweed_alice.post(
        f"/uploads/{uid}/complete", {"parts": parts, "checksum": crc64nvme(b"other")}
    )
    assert resp.status_code == 409, resp.text
    assert error_code(resp) == "checksum_mismatch"
    # A part checksum that was never signed is refused before storage is asked.
    forged = [parts[0], {**parts[1], "checksum": crc64nvme(b"x")}, parts[2]]
    resp = seaweed_alice.post(f"/uploads/{uid}/complete", {"parts": forged})
    assert resp.status_code == 400, resp.text
    assert error_code(resp) == "invalid_parts"
    receipt = seaweed_alice.post(f"/uploads/{uid}/complete", {"parts": parts, "checksum": whole})
    assert receipt.status_code == 200, receipt.text
    body = receipt.json()
    assert (body["checksum_algorithm"], body["checksum"]) == ("CRC64NVME", whole)
    head = s3_client(seaweedfs_endpoint).head_object(
        Bucket=bucket, Key=body["key"], ChecksumMode="ENABLED"
    )
    assert head["ChecksumCRC64NVME"] == whole
    assert head["ChecksumType"] == "FULL_OBJECT"


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_crc32c_deployment_signs_and_checks_crc32c(seaweed_backend: Any) -> None:
    alice: Client = seaweed_backend(integrity="crc32c")[0]
    data = b"exactly these bytes"
    upload = alice.create(len(data))
    assert upload["checksum_algorithm"] == "CRC32C"
    crc = crc32c(data)
    resp = alice.post(
        f"/uploads/{upload['upload_id']}/parts",
        {"part_numbers": [1], "checksums": {"1": crc64nvme(data)}},  # the wrong algorithm
    )
    assert resp.status_code == 422, resp.text
    signed = alice.post(
        f"/uploads/{upload['upload_id']}/parts", {"part_numbers": [1], "checksums": {"1": crc}}
    ).json()["parts"][0]
    assert signed["headers"] == {"x-amz-checksum-crc32c": crc}
    bad = requests.put(signed["url"], data=b"exactly those bytes", headers=signed["headers"])
    assert bad.status_code == 400, bad.text
    good = requests.put(signed["url"], data=data, headers=signed["headers"], timeout=30)
    assert good.status_code == 200, good.text
    part = {"part_number": 1, "etag": good.headers["ETag"].strip('"'), "checksum": crc}
    receipt = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": [part]}).json()
    assert (receipt["checksum_algorithm"], receipt["checksum"]) == ("CRC32C", crc)


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_md5_fallback_signs_content_md5_and_proves_the_etag(seaweed_backend: Any) -> None:
    alice: Client = seaweed_backend(integrity="md5")[0]
    data = b"exactly these bytes"
    upload = alice.create(len(data))
    assert upload["checksum_algorithm"] == "MD5"
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    signed = alice.post(
        f"/uploads/{upload['upload_id']}/parts", {"part_numbers": [1], "checksums": {"1": md5}}
    ).json()["parts"][0]
    assert signed["headers"] == {"Content-MD5": md5}
    assert "content-md5" in parse_qs(urlsplit(signed["url"]).query)["X-Amz-SignedHeaders"][0]
    bad = requests.put(signed["url"], data=b"other bytes entirely", headers=signed["headers"])
    # SeaweedFS answers 400 BadDigest, or at times 500: either way the bytes must not be kept.
    assert bad.status_code >= 400, bad.text
    listed = alice.get(f"/uploads/{upload['upload_id']}/parts").json()["parts"]
    assert listed == []
    unsent = requests.put(signed["url"], data=data, timeout=30)  # the signed header left out
    assert unsent.status_code == 403, unsent.text
    good = requests.put(signed["url"], data=data, headers=signed["headers"], timeout=30)
    assert good.status_code == 200, good.text
    etag = good.headers["ETag"].strip('"')
    assert etag == hashlib.md5(data).hexdigest()
    receipt = alice.post(
        f"/uploads/{upload['upload_id']}/complete",
        {"parts": [{"part_number": 1, "etag": etag}]},
    ).json()
    assert receipt["etag"] == multipart_etag(data, len(data))
    assert (receipt["checksum_algorithm"], receipt["checksum"]) == ("MD5", None)


def test_urls_carry_the_configured_lifetime(shared_backend: RunningBackend) -> None:
    alice = Client(shared_backend, "alice")
    upload = alice.create(3)
    assert upload["url_ttl_seconds"] == 900
    signed = sign_one(alice, upload["upload_id"], 1, b"abc")
    query = parse_qs(urlsplit(signed["url"]).query)
    assert query["X-Amz-Expires"] == ["900"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    # Plain HTTP clients send exactly one x-amz-* header, the signed part checksum; nothing the
    # SDK would otherwise add (a CRC32 of an empty body, x-amz-sdk-checksum-algorithm) is signed.
    # The part's planned size is, as the Content-Length every client sends.
    assert query["X-Amz-SignedHeaders"] == ["content-length;host;x-amz-checksum-crc64nvme"]
    assert "x-amz-sdk-checksum-algorithm" not in signed["url"].lower()


def test_listing_pages_with_a_cursor_and_filters_by_status(
    shared_backend: RunningBackend,
) -> None:
    add_test_users(shared_backend, "carol")
    carol = Client(shared_backend, "carol")
    ids = [carol.create(1, filename=f"f{i}.webm")["upload_id"] for i in range(5)]
    carol.delete(f"/uploads/{ids[0]}")
    seen: list[str] = []
    cursor = None
    while True:
        page = carol.get("/uploads", params={"limit": 2, "cursor": cursor}).json()
        assert len(page["uploads"]) <= 2
        seen += [u["upload_id"] for u in page["uploads"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]  # newest first, each exactly once
    aborted = carol.get("/uploads", params={"status": "aborted"}).json()["uploads"]
    assert [u["upload_id"] for u in aborted] == [ids[0]]
    first = carol.get("/uploads", params={"status": "in_progress", "limit": 1}).json()
    assert first["uploads"][0]["metadata"] == {"exam_id": "EXAM-1", "kind": "webcam"}
    assert first["uploads"][0]["owner"] == "carol"


def test_legacy_single_put_url(shared_backend: RunningBackend, moto_endpoint: S3Endpoint) -> None:
    alice = Client(shared_backend, "alice")
    resp = alice.post(
        "/files/presigned-url", {"fileName": "notes.txt", "contentType": "text/plain"}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["key"].startswith("recordings/other/")
    assert body["key"].endswith("/unassigned/alice/notes.txt")
    assert body["fileUrl"].endswith(body["key"])
    assert "?" not in body["fileUrl"]
    put = requests.put(body["uploadUrl"], data=b"hi", headers=body["headers"], timeout=30)
    assert put.status_code == 200
    bucket = shared_backend.settings.bucket
    stored = s3_client(moto_endpoint).get_object(Bucket=bucket, Key=body["key"])
    assert stored["Body"].read() == b"hi"
    assert stored["ContentType"] == "text/plain"
    again = alice.post("/files/presigned-url", {"fileName": "notes.txt"}).json()
    assert again["key"] != body["key"]


def test_a_filename_whose_every_candidate_is_taken_is_a_conflict() -> None:
    # The end of the candidates (1,000 names) is one rule for multipart and single-PUT keys.
    from types import SimpleNamespace

    from backend.errors import ApiError
    from backend.uploads import UploadService

    tried: list[str] = []

    class EveryKeyTaken:
        def reserve_key(self, key: str, user_id: int, source: str) -> bool:
            tried.append(key)
            return False

    service: Any = SimpleNamespace(_db=EveryKeyTaken())
    user: Any = SimpleNamespace(user_id=1)
    candidates = UploadService._reserved_candidates(
        service, "recordings/a/notes.txt", user, "single"
    )
    with pytest.raises(ApiError) as caught:
        next(candidates)
    assert (caught.value.status, caught.value.code) == (409, "conflict")
    assert tried[:2] == ["recordings/a/notes.txt", "recordings/a/notes-2.txt"]
    assert len(tried) == 1000
