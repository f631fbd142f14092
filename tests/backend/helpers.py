"""Small HTTP helpers shared by the backend tests (plain requests against the real server)."""

from __future__ import annotations

import hashlib
from typing import Any

import requests

from tests.backend.conftest import PASSWORD
from tests.support.backend_server import RunningBackend
from tests.support.checksums import crc64nvme

MIB = 1024 * 1024


class Client:
    """A signed-in user of a running backend."""

    def __init__(self, backend: RunningBackend, username: str, password: str = PASSWORD) -> None:
        self.backend = backend
        self.api = backend.api
        self.session = requests.Session()
        tokens = backend.login(username, password)
        self.access = tokens["access_token"]
        self.refresh = tokens["refresh_token"]
        self.session.headers["Authorization"] = f"Bearer {self.access}"

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.api + path, timeout=60, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.session.post(self.api + path, json=body, timeout=120, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.session.delete(self.api + path, timeout=60, **kw)

    def create(self, size: int, filename: str = "webcam.webm", **extra: Any) -> dict[str, Any]:
        body = {
            "filename": filename,
            "size": size,
            "content_type": "video/webm",
            "metadata": {"exam_id": "EXAM-1", "kind": "webcam"},
            **extra,
        }
        resp = self.post("/uploads", body)
        assert resp.status_code == 201, resp.text
        created: dict[str, Any] = resp.json()
        return created

    def put_parts(self, upload: dict[str, Any], data: bytes) -> list[dict[str, Any]]:
        """Sign all parts (100 per call), PUT each with plain requests; return them for complete."""
        part_size, count = upload["part_size"], upload["part_count"]
        done: list[dict[str, Any]] = []
        for start in range(1, count + 1, 100):
            numbers = list(range(start, min(count, start + 99) + 1))
            sums = {str(n): crc64nvme(chunk_of(data, part_size, n)) for n in numbers}
            resp = self.post(
                f"/uploads/{upload['upload_id']}/parts",
                {"part_numbers": numbers, "checksums": sums},
            )
            assert resp.status_code == 200, resp.text
            for part in resp.json()["parts"]:
                n = part["part_number"]
                chunk = chunk_of(data, part_size, n)
                put = requests.put(part["url"], data=chunk, headers=part["headers"], timeout=120)
                assert put.status_code == 200, put.text
                etag = put.headers["ETag"].strip('"')
                assert etag == hashlib.md5(chunk).hexdigest()
                done.append({"part_number": n, "etag": etag, "checksum": sums[str(n)]})
        return done


def database_flags(backend: RunningBackend) -> list[str]:
    """The admin-command flags that reach `backend`'s database (SQLite file or PostgreSQL)."""
    flags = ["--data-dir", str(backend.settings.data_dir)]
    if backend.settings.database_url:
        flags += ["--database-url", backend.settings.database_url]
    return flags


def chunk_of(data: bytes, part_size: int, number: int) -> bytes:
    """The bytes of part `number` (1-based)."""
    return data[(number - 1) * part_size : number * part_size]


def sign_one(client: Client, upload_id: str, number: int, chunk: bytes) -> dict[str, Any]:
    """Sign one part for `chunk` and return the signed part (url, headers)."""
    resp = client.post(
        f"/uploads/{upload_id}/parts",
        {"part_numbers": [number], "checksums": {str(number): crc64nvme(chunk)}},
    )
    assert resp.status_code == 200, resp.text
    part: dict[str, Any] = resp.json()["parts"][0]
    return part


def error_code(resp: requests.Response) -> str:
    """The `code` of an error response, asserting the one error shape."""
    body = resp.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"], body
    code: str = body["error"]["code"]
    return code


def multipart_etag(data: bytes, part_size: int) -> str:
    """The S3 multipart ETag of `data` split into `part_size` parts."""
    digests = [
        hashlib.md5(data[i : i + part_size]).digest()
        for i in range(0, max(len(data), 1), part_size)
    ]
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"
