"""Each class of bad input: a 4xx in the one error shape, a clear message, nothing created."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.backend.helpers import MIB, Client, error_code
from tests.support.backend_server import RunningBackend
from tests.support.checksums import crc64nvme

GOOD: dict[str, Any] = {
    "filename": "webcam.webm",
    "size": 1000,
    "content_type": "video/webm",
    "metadata": {"exam_id": "EXAM-1", "kind": "webcam"},
}


def _with(**changes: Any) -> dict[str, Any]:
    body = {**GOOD, "metadata": dict(GOOD["metadata"])}
    for name, value in changes.items():
        if name in ("exam_id", "kind"):
            body["metadata"][name] = value
        elif value is _DROP:
            body.pop(name)
        else:
            body[name] = value
    return body


_DROP = object()


@pytest.fixture(scope="module")
def alice(shared_backend: RunningBackend) -> Client:
    """Signed in once per module (argon2 makes each sign-in deliberately slow)."""
    return Client(shared_backend, "alice")


def _upload_count(backend: RunningBackend) -> int:
    rows = backend.services.db.list_uploads(user_id=None, status=None, before_seq=None, limit=10**6)
    return len(rows)


@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        (_with(filename=""), 422, "invalid_request", "filename"),
        (_with(filename="   "), 422, "invalid_request", "filename must not be empty"),
        (_with(filename="a" * 256), 422, "invalid_request", "at most 255 bytes"),
        (_with(filename="한" * 86), 422, "invalid_request", "at most 255 bytes"),  # 258 bytes
        (_with(filename="bad\x00name.webm"), 422, "invalid_request", "control characters"),
        (_with(filename="bad\nname.webm"), 422, "invalid_request", "control characters"),
        (_with(filename="bad\u202ename.webm"), 422, "invalid_request", "control characters"),
        (_with(filename="../../etc/passwd"), 422, "invalid_request", "not a path"),
        (_with(filename="dir/file.webm"), 422, "invalid_request", "not a path"),
        (_with(filename="dir\\file.webm"), 422, "invalid_request", "not a path"),
        (_with(filename="/etc/passwd"), 422, "invalid_request", "absolute path"),
        (_with(filename="C:\\rec.webm"), 422, "invalid_request", "absolute path"),
        (_with(filename=".."), 422, "invalid_request", "'.' or '..'"),
        (_with(filename="###"), 422, "invalid_request", "no usable characters"),
        (_with(filename=7), 422, "invalid_request", "filename"),
        (_with(size=-1), 422, "invalid_request", "size"),
        (_with(size="12"), 422, "invalid_request", "size"),
        (_with(size=12.0), 422, "invalid_request", "size"),
        (_with(size=1.5), 422, "invalid_request", "size"),
        (_with(size=True), 422, "invalid_request", "size"),
        (_with(size=6 * 1024**4), 413, "upload_too_large", "exceeds"),
        # Without a size it is a recording still being written (tests/backend/test_open_uploads.py).
        (_with(kind="audio"), 422, "invalid_request", "metadata.kind"),
        (_with(exam_id=""), 422, "invalid_request", "metadata.exam_id"),
        (_with(exam_id="../x"), 422, "invalid_request", "metadata.exam_id"),
        (_with(exam_id="a b"), 422, "invalid_request", "metadata.exam_id"),
        (_with(metadata=_DROP), 422, "invalid_request", "metadata"),
        (_with(metadata="webcam"), 422, "invalid_request", "metadata"),
        (_with(content_type="not a type"), 422, "invalid_request", "content_type"),
        (_with(sha256="abc"), 422, "invalid_request", "sha256"),
        (_with(part_size=1024), 422, "invalid_request", "part_size"),
        (_with(part_size=6 * 1024**3), 422, "invalid_request", "part_size"),
        (_with(surprise=1), 422, "invalid_request", "surprise"),
        ([GOOD], 422, "invalid_request", "body"),
        ("just a string", 422, "invalid_request", "body"),
    ],
)
def test_bad_create_bodies_get_a_clear_4xx_and_create_nothing(
    alice: Client, shared_backend: RunningBackend, body: Any, status: int, code: str, says: str
) -> None:
    before = _upload_count(shared_backend)
    resp = alice.post("/uploads", body)
    assert resp.status_code == status, resp.text
    assert error_code(resp) == code
    assert says in resp.json()["error"]["message"]
    assert _upload_count(shared_backend) == before


def test_the_good_body_those_variations_start_from_is_accepted(
    alice: Client,
    shared_backend: RunningBackend,
) -> None:
    before = _upload_count(shared_backend)
    resp = alice.post("/uploads", _with())
    assert resp.status_code == 201, resp.text
    assert _upload_count(shared_backend) == before + 1


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"filename": "a.webm", "size": 1,', "application/json"),
        (b"\xff\xfe\x00", "application/json"),
    ],
)
def test_malformed_json_gets_400(alice: Client, raw: bytes, content_type: str) -> None:
    resp = alice.session.post(
        alice.api + "/uploads", data=raw, headers={"Content-Type": content_type}, timeout=30
    )
    assert resp.status_code == 400, resp.text
    assert error_code(resp) == "invalid_json"


def test_no_body_gets_422(alice: Client) -> None:
    resp = alice.session.post(alice.api + "/uploads", timeout=30)
    assert resp.status_code == 422
    assert error_code(resp) == "invalid_request"


def test_filenames_are_sanitised_keeping_letters_of_every_script(
    alice: Client,
) -> None:
    created = alice.create(10, filename="  시험 녹화 #1 (final)?.webm")
    assert created["key"].endswith("/EXAM-1/alice/시험_녹화_1_(final)_.webm")
    hidden = alice.create(10, filename=".hidden")
    assert hidden["key"].endswith("/alice/hidden")


@pytest.fixture
def upload(alice: Client) -> tuple[Client, dict[str, Any]]:
    return alice, alice.create(40 * MIB)  # 3 parts of 16 MiB


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"part_numbers": [0]}, "greater than or equal to 1"),
        ({"part_numbers": [4]}, "between 1 and 3"),
        ({"part_numbers": [10001]}, "less than or equal to 10000"),
        ({"part_numbers": [-1]}, "greater than or equal to 1"),
        ({"part_numbers": [1, 1]}, "duplicate part numbers: 1"),
        ({"part_numbers": []}, "at least 1"),
        ({"part_numbers": list(range(1, 102))}, "at most 100"),
        ({"part_numbers": ["one"]}, "part_numbers.0"),
        ({"part_numbers": 1}, "part_numbers"),
        ({}, "part_numbers: Field required"),
        ({"part_numbers": [1], "checksums": {"1": "not-base64"}}, "checksums.1"),
        ({"part_numbers": [1], "checksums": {"2": "1B2M2Y8AsgTpgAmY7PhCfg=="}}, "'2' is not one"),
    ],
)
def test_bad_sign_requests_get_422(
    upload: tuple[Client, dict[str, Any]], body: dict[str, Any], says: str
) -> None:
    alice, created = upload
    resp = alice.post(f"/uploads/{created['upload_id']}/parts", body)
    assert resp.status_code == 422, resp.text
    assert error_code(resp) == "invalid_request"
    assert says in resp.json()["error"]["message"]


@pytest.mark.parametrize(
    ("parts", "says"),
    [
        ([{"part_number": 1, "etag": "x"}], "parts missing from the list: 2, 3"),
        ([{"part_number": n, "etag": "x"} for n in (1, 2, 3, 4)], "between 1 and 3"),
        ([{"part_number": n, "etag": "x"} for n in (1, 2, 2, 3)], "duplicate part numbers: 2"),
        ([{"part_number": 1}], "parts.0.etag: Field required"),
        ([{"part_number": 1, "etag": ""}], "parts.0.etag"),
        ([], "at least 1"),
    ],
)
def test_bad_complete_requests_get_422(
    upload: tuple[Client, dict[str, Any]], parts: list[dict[str, Any]], says: str
) -> None:
    alice, created = upload
    resp = alice.post(f"/uploads/{created['upload_id']}/complete", {"parts": parts})
    assert resp.status_code == 422, resp.text
    assert error_code(resp) == "invalid_request"
    assert says in resp.json()["error"]["message"]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("status=done", "status"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("cursor=zzz", "cursor"),
        ("cursor=" + "a" * 65, "cursor"),
    ],
)
def test_bad_list_queries_get_422(alice: Client, query: str, says: str) -> None:
    resp = alice.get("/uploads?" + query)
    assert resp.status_code == 422, resp.text
    assert error_code(resp) == "invalid_request"
    assert says in resp.json()["error"]["message"]


def test_unknown_routes_and_methods_use_the_error_shape(shared_backend: RunningBackend) -> None:
    missing = requests.get(shared_backend.api + "/nowhere", timeout=30)
    assert missing.status_code == 404
    assert error_code(missing) == "not_found"
    wrong = requests.put(shared_backend.api + "/auth/login", json={}, timeout=30)
    assert wrong.status_code == 405
    assert error_code(wrong) == "method_not_allowed"


@pytest.mark.parametrize(
    "body",
    [
        {"username": "", "password": "x"},
        {"username": "alice"},
        {"username": "alice", "password": 5},
        {"username": "a" * 65, "password": "x"},
        {"username": "alice", "password": "x" * 1025},
    ],
)
def test_bad_login_bodies_get_422(shared_backend: RunningBackend, body: dict[str, Any]) -> None:
    resp = requests.post(shared_backend.api + "/auth/login", json=body, timeout=30)
    assert resp.status_code == 422
    assert error_code(resp) == "invalid_request"


def test_validation_messages_never_echo_the_password(shared_backend: RunningBackend) -> None:
    secret = "hunter2-secret-value"
    resp = requests.post(
        shared_backend.api + "/auth/login",
        json={"username": "alice", "password": secret, "extra": 1},
        timeout=30,
    )
    assert resp.status_code == 422
    assert secret not in resp.text


def test_an_oversized_body_gets_413_without_being_read_whole(alice: Client) -> None:
    body = b'{"filename": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    resp = alice.session.post(
        alice.api + "/uploads", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert resp.status_code == 413
    assert error_code(resp) == "payload_too_large"


def test_a_completion_of_10000_parts_fits_the_body_limit(alice: Client) -> None:
    upload = alice.create(10_000 * 5 * MIB, part_size=5 * MIB)
    assert upload["part_count"] == 10_000
    checksum = crc64nvme(b"")
    parts = [{"part_number": n, "etag": "0" * 32, "checksum": checksum} for n in range(1, 10_001)]
    resp = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts})
    # Parsed and checked (no URL was signed with those checksums), not refused for its size.
    assert resp.status_code == 400, resp.text
    assert error_code(resp) == "invalid_parts"


def test_an_oversized_chunked_body_gets_413_too(alice: Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"filename": "'
        for _ in range(48):
            yield b"a" * 65536
        yield b'"}'

    resp = alice.session.post(
        alice.api + "/uploads",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert resp.status_code == 413
    assert error_code(resp) == "payload_too_large"
