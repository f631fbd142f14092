"""The upload routes' direct path answers every request exactly as FastAPI's own handler does.

A body sent as `application/json` takes the direct path when it is valid; the same bytes sent as
`application/json; charset=utf-8` always take FastAPI's handler. Each case below is sent both
ways, over real HTTP, and the two answers must match.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from fastapi.routing import APIRoute

from backend.lean_route import LeanRoute
from backend.routers import uploads
from tests.backend.helpers import Client
from tests.support.backend_server import RunningBackend
from tests.support.checksums import crc64nvme

DIRECT = "application/json"
FASTAPI = "application/json; charset=utf-8"

CREATE = (
    b'{"filename": "cam.webm", "size": 1000, "content_type": "video/webm",'
    b' "metadata": {"exam_id": "EXAM-1", "kind": "webcam"}}'
)


@pytest.fixture(scope="module")
def alice(shared_backend: RunningBackend) -> Client:
    """Signed in once per module (argon2 makes each sign-in deliberately slow)."""
    return Client(shared_backend, "alice")


def _post(
    client: Client, path: str, body: bytes, content_type: str, **headers: str
) -> tuple[int, Any]:
    """POST raw bytes; the status and the decoded answer."""
    sent = {"Authorization": f"Bearer {client.access}", "Content-Type": content_type, **headers}
    resp = requests.post(client.api + path, data=body, headers=sent, timeout=60)
    return resp.status_code, resp.json()


def test_the_hot_routes_take_the_direct_path() -> None:
    direct = {
        (route.path, *sorted(route.methods or ()))
        for route in uploads.router.routes
        if isinstance(route, LeanRoute) and route.takes_direct_path
    }
    assert direct == {
        ("/uploads", "POST"),
        ("/uploads/{upload_id}/parts", "POST"),
        ("/uploads/{upload_id}/complete", "POST"),
    }
    # Routes with query parameters or a returned model keep FastAPI's handler.
    assert all(isinstance(route, APIRoute) for route in uploads.router.routes)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[]",
        b'"text"',
        b"null",
        b'{"filename": "cam.webm"}',
        CREATE.replace(b'"size": 1000', b'"size": -1'),
        CREATE.replace(b'"size": 1000', b'"size": NaN'),
        CREATE.replace(b'"size": 1000', b'"size": 1.5'),
        CREATE.replace(b'"size": 1000', b'"size": 1000, "extra": 1'),
        CREATE.replace(b'"cam.webm"', b'"../cam.webm"'),
        CREATE.replace(b'"cam.webm"', b'"\\ud800.webm"'),
        CREATE.replace(b'"size": 1000', b'"size": 1e3'),
    ],
)
def test_a_refused_create_gets_fastapis_answer(alice: Client, body: bytes) -> None:
    lean = _post(alice, "/uploads", body, DIRECT)
    full = _post(alice, "/uploads", body, FASTAPI)
    assert lean == full
    assert 400 <= lean[0] < 500


@pytest.mark.parametrize("body", [b"\xef\xbb\xbf" + CREATE, CREATE.decode().encode("utf-16")])
def test_an_accepted_create_is_accepted_both_ways(alice: Client, body: bytes) -> None:
    lean = _post(alice, "/uploads", body, DIRECT)
    full = _post(alice, "/uploads", body, FASTAPI)
    assert (lean[0], full[0]) == (201, 201), (lean, full)
    assert lean[1]["part_size"] == full[1]["part_size"]


@pytest.mark.parametrize("body", [CREATE, b"{not json", b'{"filename": "cam.webm"}'])
def test_without_a_token_the_answer_is_fastapis(alice: Client, body: bytes) -> None:
    lean = _post(alice, "/uploads", body, DIRECT, Authorization="")
    full = _post(alice, "/uploads", body, FASTAPI, Authorization="")
    assert lean == full
    assert lean[0] in (400, 401, 422)


def test_a_whole_upload_on_the_direct_path(alice: Client) -> None:
    status, created = _post(alice, "/uploads", CREATE, DIRECT)
    assert status == 201, created
    path = f"/uploads/{created['upload_id']}"
    data = b"x" * 1000
    sign = {"part_numbers": [1], "checksums": {"1": crc64nvme(data)}}
    status, signed = _post(alice, f"{path}/parts", _dumps(sign), DIRECT)
    assert status == 200, signed
    part = signed["parts"][0]
    put = requests.put(part["url"], data=data, headers=part["headers"], timeout=60)
    assert put.status_code == 200, put.text
    etag = put.headers["ETag"].strip('"')
    done = {"parts": [{"part_number": 1, "etag": etag, "checksum": crc64nvme(data)}]}
    lean = _post(alice, f"{path}/complete", _dumps(done), DIRECT)
    again = _post(alice, f"{path}/complete", _dumps(done), FASTAPI)
    assert lean[0] == 200, lean
    assert lean == again  # completing again returns the same receipt


@pytest.mark.parametrize(
    "body",
    [b'{"part_numbers": []}', b'{"part_numbers": [0]}', b'{"part_numbers": [1.0]}', b"{}"],
)
def test_a_refused_signing_gets_fastapis_answer(alice: Client, body: bytes) -> None:
    status, created = _post(alice, "/uploads", CREATE, DIRECT)
    assert status == 201, created
    path = f"/uploads/{created['upload_id']}/parts"
    lean = _post(alice, path, body, DIRECT)
    full = _post(alice, path, body, FASTAPI)
    assert lean == full
    assert 400 <= lean[0] < 500


def test_an_unknown_upload_gets_fastapis_answer(alice: Client) -> None:
    body = b'{"part_numbers": [1]}'
    lean = _post(alice, "/uploads/no-such-upload/parts", body, DIRECT)
    full = _post(alice, "/uploads/no-such-upload/parts", body, FASTAPI)
    assert lean == full
    assert lean[0] == 404


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_the_schema_keeps_its_order(shared_backend: RunningBackend) -> None:
    """The upload routes are matched first, but /openapi.json lists the paths as declared."""
    schema = requests.get(shared_backend.url + "/openapi.json", timeout=30).json()
    resources: list[str] = []
    for path in schema["paths"]:
        resource = path.removeprefix("/api/v1/").split("/")[0]
        if not resources or resources[-1] != resource:
            resources.append(resource)
    assert resources == ["health", "auth", "me", "uploads", "files", "receipts", "exams"]
