"""A signed-in API user for the security tests (plain requests against the real server)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import requests

from tests.support.backend_server import RunningBackend
from tests.support.checksums import crc64nvme
from tests.support.storage import S3Endpoint, s3_client

PASSWORD = "correct horse battery"
USERS = ("alice", "bob")
ADMIN = "carol"


@dataclass(frozen=True)
class Stack:
    """A running backend, the storage it writes to, and its bucket.

    Attributes:
        backend: The backend (in a thread of the test process).
        endpoint: Its S3 server.
        bucket: Its bucket.
    """

    backend: RunningBackend
    endpoint: S3Endpoint
    bucket: str

    def user(self, name: str, password: str = PASSWORD) -> ApiUser:
        """Sign `name` in."""
        return ApiUser(self.backend, name, password)

    def keys(self) -> list[str]:
        """Every object key in the bucket, straight from storage."""
        return bucket_keys(self.endpoint, self.bucket)

    def open_uploads(self) -> list[str]:
        """Keys of multipart uploads storage still holds open."""
        return open_multipart_uploads(self.endpoint, self.bucket)


class ApiUser:
    """One account's session against a running backend."""

    def __init__(self, backend: RunningBackend, username: str, password: str = PASSWORD) -> None:
        self.api = backend.api
        self.username = username
        tokens = backend.login(username, password)
        self.access: str = tokens["access_token"]
        self.refresh: str = tokens["refresh_token"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.access}"
        # Each part's CRC64NVME as signed, by (upload id, part number), for complete.
        self.checksums: dict[tuple[str, int], str] = {}

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        """One API call; `body` is sent as JSON when not None."""
        return self.session.request(method, self.api + path, json=body, timeout=60)

    def create(
        self, size: int, filename: str = "webcam.webm", exam_id: str = "EXAM-1"
    ) -> requests.Response:
        """POST /uploads."""
        return self.call(
            "POST",
            "/uploads",
            {
                "filename": filename,
                "size": size,
                "content_type": "video/webm",
                "metadata": {"exam_id": exam_id, "kind": "webcam"},
            },
        )

    def put_part(self, upload_id: str, number: int, data: bytes) -> str:
        """Sign part `number`, PUT `data` to storage, return the ETag (unquoted)."""
        checksum = crc64nvme(data)
        signed = self.call(
            "POST",
            f"/uploads/{upload_id}/parts",
            {"part_numbers": [number], "checksums": {str(number): checksum}},
        )
        assert signed.status_code == 200, signed.text
        self.checksums[(upload_id, number)] = checksum
        part = signed.json()["parts"][0]
        put = requests.put(part["url"], data=data, headers=part["headers"], timeout=120)
        assert put.status_code == 200, put.text
        etag: str = put.headers["ETag"].strip('"')
        assert etag == hashlib.md5(data).hexdigest()
        return etag

    def complete(self, upload_id: str, parts: list[tuple[int, str]]) -> requests.Response:
        """POST /uploads/{id}/complete."""
        return self.call(
            "POST",
            f"/uploads/{upload_id}/complete",
            {
                "parts": [
                    {"part_number": n, "etag": e, "checksum": self.checksums.get((upload_id, n))}
                    for n, e in parts
                ]
            },
        )


def error_code(resp: requests.Response) -> str:
    """The `code` of the one error shape `{"error": {"code", "message"}}`."""
    body = resp.json()
    assert set(body) == {"error"}, body
    code: str = body["error"]["code"]
    return code


def bucket_keys(endpoint: S3Endpoint, bucket: str) -> list[str]:
    """Every object key in the bucket, straight from storage."""
    client = s3_client(endpoint)
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return keys


def open_multipart_uploads(endpoint: S3Endpoint, bucket: str) -> list[str]:
    """Keys of multipart uploads storage still holds open."""
    listing = s3_client(endpoint).list_multipart_uploads(Bucket=bucket)
    return [u["Key"] for u in listing.get("Uploads", [])]
