"""The lean S3 client: URLs identical to botocore's, and every answer mapped as botocore's was.

Presigned URLs are compared byte for byte with the ones botocore makes at the same instant, so a
desktop client (and any storage) sees exactly what it saw before. Requests go to real servers:
SeaweedFS checks every signature and checksum; a loopback server plays the answers it never gives.
"""

from __future__ import annotations

import asyncio
import datetime
import http.server
import os
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import boto3
import botocore.auth
import botocore.crt.auth
import pytest
import requests

from backend.s3 import client as lean_client
from backend.settings import Settings
from backend.storage import (
    Checksum,
    ChecksumMismatchError,
    InvalidPartsError,
    NoSuchUploadError,
    PartToComplete,
    S3Storage,
    StorageError,
    StorageUnavailableError,
)
from tests.backend.helpers import multipart_etag
from tests.support.checksums import crc64nvme
from tests.support.lean import no_backoff, run
from tests.support.storage import S3Endpoint, free_port, make_bucket
from tests.support.tls import self_signed_cert

_WHEN = datetime.datetime(2026, 12, 6, 12, 34, 56, tzinfo=datetime.UTC)
_KEY = "webcam/EXAM-1/alice/2026-12-06/시험 a+b~c (1).webm"


def _frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both signers see the same instant (botocore signs with awscrt's signer when installed)."""
    for module in (botocore.auth, botocore.crt.auth):
        monkeypatch.setattr(
            module,
            "get_current_datetime",
            lambda remove_tzinfo=True: _WHEN.replace(tzinfo=None) if remove_tzinfo else _WHEN,
        )
    monkeypatch.setattr(lean_client, "_amz_date", lambda: _WHEN.strftime("%Y%m%dT%H%M%SZ"))


def _session(token: str | None) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        aws_session_token=token,
        region_name="eu-central-1",
    )


@pytest.mark.parametrize(
    ("endpoint", "style"),
    [
        ("http://127.0.0.1:8333", "path"),
        ("https://storage.example.org", "virtual"),
        ("https://storage.example.org:9000/prefix", "path"),
        ("https://storage.example.org", "auto"),
        ("", "auto"),
        ("", "path"),
    ],
)
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzE+/token="])
def test_presigned_urls_are_the_ones_botocore_makes(
    monkeypatch: pytest.MonkeyPatch, endpoint: str, style: str, token: str | None
) -> None:
    _frozen(monkeypatch)
    settings = Settings(
        bucket="proctor-recordings",
        region="eu-central-1",
        # The backend's own address differs on purpose (none: AWS for both).
        s3_endpoint_url="http://10.0.0.9:8333" if endpoint else "",
        s3_public_endpoint_url=endpoint,
        s3_addressing_style=style,  # type: ignore[arg-type]
    )
    session = _session(token)
    storage = S3Storage(settings, session=session)
    signer = session.client("s3", endpoint_url=endpoint or None, config=storage._client.meta.config)
    part = {"Bucket": settings.bucket, "Key": _KEY, "UploadId": "2~a.B_c-d", "PartNumber": 7}
    cases = [
        (None, {}),
        (Checksum("CRC64NVME", "AAAAAAAAAAA="), {"ChecksumCRC64NVME": "AAAAAAAAAAA="}),
        (Checksum("CRC32C", "yZRlqg=="), {"ChecksumCRC32C": "yZRlqg=="}),
        (Checksum("MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="), {"ContentMD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}),
    ]
    for checksum, params in cases:
        ours = storage.presign_part(_KEY, "2~a.B_c-d", 7, 900, checksum)
        theirs = signer.generate_presigned_url(
            "upload_part", Params={**part, **params}, ExpiresIn=900, HttpMethod="PUT"
        )
        assert ours.url == theirs
    ours = storage.presign_put(_KEY, "video/webm", 600)
    theirs = signer.generate_presigned_url(
        "put_object",
        Params={
            "Bucket": settings.bucket,
            "Key": _KEY,
            "ContentType": "video/webm",
            "IfNoneMatch": "*",
        },
        ExpiresIn=600,
        HttpMethod="PUT",
    )
    assert ours.url == theirs
    assert ours.headers == {"Content-Type": "video/webm", "If-None-Match": "*"}
    plain = signer.generate_presigned_url(
        "get_object", Params={"Bucket": settings.bucket, "Key": _KEY}, ExpiresIn=1
    )
    assert storage.object_url(_KEY) == plain.split("?", 1)[0]


@pytest.fixture
def storage(seaweedfs_endpoint: S3Endpoint) -> S3Storage:
    """The adapter on a fresh SeaweedFS bucket."""
    settings = Settings(
        bucket=make_bucket(seaweedfs_endpoint), s3_endpoint_url=seaweedfs_endpoint.endpoint_url
    )
    return S3Storage(settings, session=seaweedfs_endpoint.session())


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_storage_errors_map_onto_the_same_exceptions(storage: S3Storage) -> None:
    run(storage, _errors_map_onto_the_same_exceptions(storage))


async def _errors_map_onto_the_same_exceptions(storage: S3Storage) -> None:
    assert await storage.head(_KEY) is None
    with pytest.raises(NoSuchUploadError):
        await storage.list_parts(_KEY, "no-such-upload")
    data = os.urandom(1000)
    crc = crc64nvme(data)
    upload_id = await storage.create_multipart(_KEY, "video/webm", {"exam-id": "E"}, "CRC64NVME")
    signed = storage.presign_part(_KEY, upload_id, 1, 60, Checksum("CRC64NVME", crc))
    resp = await asyncio.to_thread(
        requests.put, signed.url, data=data, headers=signed.headers, timeout=30
    )
    assert resp.status_code == 200, resp.text
    etag = resp.headers["ETag"]
    (listed,) = await storage.list_parts(_KEY, upload_id)
    assert (listed.part_number, listed.etag, listed.size) == (1, etag.strip('"'), 1000)
    with pytest.raises(InvalidPartsError):
        await storage.complete(
            _KEY, upload_id, [PartToComplete(1, "0" * 32, crc)], Checksum("CRC64NVME", crc)
        )
    with pytest.raises(ChecksumMismatchError):
        await storage.complete(
            _KEY, upload_id, [PartToComplete(1, etag, crc)], Checksum("CRC64NVME", crc64nvme(b"x"))
        )
    done = await storage.complete(
        _KEY, upload_id, [PartToComplete(1, etag, crc)], Checksum("CRC64NVME", crc)
    )
    # SeaweedFS, as AWS, names the object's full CRC in its answer.
    assert (done.etag, done.checksums) == (multipart_etag(data, 1000), {"CRC64NVME": crc})
    info = await storage.head(_KEY, checksums=True)
    assert info is not None
    assert (info.size, info.checksums["CRC64NVME"]) == (1000, crc)
    other = await storage.create_multipart("other", "video/webm", {})
    await storage.abort("other", other)
    with pytest.raises(NoSuchUploadError):
        await storage.list_parts("other", other)


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_a_part_url_signed_with_its_length_admits_that_many_bytes_only(
    storage: S3Storage,
) -> None:
    run(storage, _length_bound_part(storage))


async def _length_bound_part(storage: S3Storage) -> None:
    upload_id = await storage.create_multipart(_KEY, "video/webm", {}, "CRC64NVME")
    for sent in (b"x" * 999, b"x" * 1001, b""):
        signed = storage.presign_part(
            _KEY, upload_id, 1, 60, Checksum("CRC64NVME", crc64nvme(sent)), 1000
        )
        # Nothing in the headers says so: every client sends the body's length itself.
        assert "content-length" not in {name.lower() for name in signed.headers}
        refused = await asyncio.to_thread(
            requests.put, signed.url, data=sent, headers=signed.headers, timeout=30
        )
        assert refused.status_code == 403, refused.text
        assert "SignatureDoesNotMatch" in refused.text
    assert await storage.list_parts(_KEY, upload_id) == []
    data = os.urandom(1000)
    signed = storage.presign_part(
        _KEY, upload_id, 1, 60, Checksum("CRC64NVME", crc64nvme(data)), 1000
    )
    put = await asyncio.to_thread(
        requests.put, signed.url, data=data, headers=signed.headers, timeout=30
    )
    assert put.status_code == 200, put.text
    assert [p.size for p in await storage.list_parts(_KEY, upload_id)] == [1000]


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_wrong_credentials_are_a_storage_error(seaweedfs_endpoint: S3Endpoint) -> None:
    settings = Settings(bucket="any", s3_endpoint_url=seaweedfs_endpoint.endpoint_url)
    wrong = boto3.Session(
        aws_access_key_id=seaweedfs_endpoint.access_key,
        aws_secret_access_key="not-the-secret",
        region_name="us-east-1",
    )
    storage = S3Storage(settings, session=wrong)
    with pytest.raises(StorageError, match="credentials") as caught:
        run(storage, storage.create_multipart("k", "video/webm", {}))
    assert not isinstance(caught.value, StorageUnavailableError)


def test_no_listener_is_storage_unavailable_after_retries() -> None:
    settings = Settings(
        bucket="b", s3_endpoint_url=f"http://127.0.0.1:{free_port()}", s3_connect_timeout_seconds=1
    )
    storage = S3Storage(settings, session=_session(None))
    with pytest.raises(StorageUnavailableError):
        run(storage, storage.head("k"))


class _Canned(http.server.BaseHTTPRequestHandler):
    """Answers every request with the class's `answer` (status, body) and counts them."""

    answer: tuple[int, bytes] = (200, b"")
    seen: ClassVar[list[str]] = []

    def _reply(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append(self.command)
        status, body = self.answer
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_GET = do_HEAD = do_DELETE = _reply

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextmanager
def _serving(tls: ssl.SSLContext | None = None) -> Iterator[tuple[type[_Canned], str]]:
    """A loopback server of canned answers (over TLS with `tls`) and its URL."""
    handler = type("Handler", (_Canned,), {"seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield handler, f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def canned() -> Iterator[tuple[type[_Canned], S3Storage]]:
    """A loopback server that gives the answers SeaweedFS does not, and the adapter on it."""
    with _serving() as (handler, url):
        yield handler, S3Storage(Settings(bucket="b", s3_endpoint_url=url), session=_session(None))


def test_tls_trusts_the_ca_bundle_botocore_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setattr(lean_client, "_backoff", no_backoff)
    with _serving(context) as (handler, url):
        handler.answer = (200, b"")
        settings = Settings(bucket="b", s3_endpoint_url=url)
        # The default trust (certifi's bundle, as botocore's) refuses a self-signed storage...
        monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
        untrusting = S3Storage(settings, session=_session(None))
        with pytest.raises(StorageUnavailableError):
            run(untrusting, untrusting.head("k"))
        assert handler.seen == []  # no request got through the handshake
        # ...and AWS_CA_BUNDLE, which botocore reads, makes it trusted.
        monkeypatch.setenv("AWS_CA_BUNDLE", str(cert))
        trusting = S3Storage(settings, session=_session(None))
        info = run(trusting, trusting.head("k"))
        assert info is not None
        assert handler.seen == ["HEAD"]


def _error(code: str) -> bytes:
    return f"<Error><Code>{code}</Code><Message>m</Message></Error>".encode()


def test_an_error_inside_a_200_completion_is_retried_then_unavailable(
    canned: tuple[type[_Canned], S3Storage], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, storage = canned
    monkeypatch.setattr(lean_client, "_backoff", no_backoff)
    handler.answer = (200, _error("InternalError"))
    with pytest.raises(StorageUnavailableError):
        run(storage, storage.complete("k", "u", [PartToComplete(1, "e")]))
    assert handler.seen == ["POST"] * 3  # what botocore's standard mode retries, as often


@pytest.mark.parametrize(
    ("status", "code", "raised"),
    [
        (404, "NoSuchUpload", NoSuchUploadError),
        (400, "InvalidPart", InvalidPartsError),
        (400, "EntityTooSmall", InvalidPartsError),
        (400, "BadDigest", ChecksumMismatchError),
        (503, "SlowDown", StorageUnavailableError),
        (403, "SignatureDoesNotMatch", StorageError),
        (404, "NoSuchBucket", StorageError),
    ],
)
def test_error_codes_map_as_botocore_errors_did(
    canned: tuple[type[_Canned], S3Storage],
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    code: str,
    raised: type[StorageError],
) -> None:
    handler, storage = canned
    monkeypatch.setattr(lean_client, "_backoff", no_backoff)
    handler.answer = (status, _error(code))
    with pytest.raises(raised) as caught:
        run(storage, storage.complete("k", "u", [PartToComplete(1, "e")]))
    assert type(caught.value) is raised
