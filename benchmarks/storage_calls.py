"""Client CPU of each storage call an upload makes: botocore against the lean client.

    .venv/bin/python -m benchmarks.storage_calls [--uploads 150]

One thread uploads tiny one-part objects to SeaweedFS on 127.0.0.1, making the calls the backend
makes per upload (HEAD before creating, create, presign the part, ListParts, complete, HEAD after
completing), once through botocore as the backend used to, once through `backend.storage`'s
`S3Storage` (the lean client). A CRC upload's completion now skips ListParts (MD5 uploads keep
it); the last line gives what a CRC upload costs. `time.process_time` around each call counts
this process's CPU only (SeaweedFS runs in its own process); the lean client's calls are awaited
on one event loop, as the backend's routes await them. Also times the presigner alone:
SigV4 by hand against awscrt's C signer, the two ways the lean client could sign.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import boto3
from awscrt import auth as crt_auth
from awscrt import checksums as crt_checksums
from awscrt import http as crt_http

from backend.checksums import header
from backend.s3.sigv4 import Credentials, Signer
from backend.settings import Settings
from backend.storage import Checksum, PartToComplete, S3Storage, _client_config
from benchmarks.seaweed import S3Endpoint, s3_client, seaweedfs

T = TypeVar("T")
CALLS = ("head before", "create", "presign", "list parts", "complete", "head after")
_BODY = b"x" * 1024
_CRC = base64.b64encode(crt_checksums.crc64nvme(_BODY).to_bytes(8, "big")).decode()


def _put(url: str, headers: dict[str, str]) -> str:
    request = urllib.request.Request(url, data=_BODY, headers=headers, method="PUT")
    with urllib.request.urlopen(request, timeout=30) as resp:
        return str(resp.headers["ETag"])


def _timed(samples: dict[str, list[float]], name: str, fn: Callable[[], Any]) -> Any:
    start = time.process_time()
    result = fn()
    samples[name].append(time.process_time() - start)
    return result


def _botocore_upload(client: Any, bucket: str, key: str, samples: dict[str, list[float]]) -> None:
    def head_missing() -> None:
        try:
            client.head_object(Bucket=bucket, Key=key)
        except client.exceptions.ClientError:
            return

    _timed(samples, "head before", head_missing)
    upload_id = _timed(
        samples,
        "create",
        lambda: client.create_multipart_upload(
            Bucket=bucket,
            Key=key,
            ContentType="video/webm",
            Metadata={"exam-id": "E", "kind": "webcam", "owner": "alice"},
            ChecksumAlgorithm="CRC64NVME",
            ChecksumType="FULL_OBJECT",
        )["UploadId"],
    )
    url = _timed(
        samples,
        "presign",
        lambda: client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": bucket,
                "Key": key,
                "UploadId": upload_id,
                "PartNumber": 1,
                "ChecksumCRC64NVME": _CRC,
            },
            ExpiresIn=900,
            HttpMethod="PUT",
        ),
    )
    etag = _put(url, {header("CRC64NVME"): _CRC})
    _timed(
        samples,
        "list parts",
        lambda: client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=0),
    )
    _timed(
        samples,
        "complete",
        lambda: client.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag, "ChecksumCRC64NVME": _CRC}]},
            ChecksumCRC64NVME=_CRC,
            ChecksumType="FULL_OBJECT",
        ),
    )
    _timed(
        samples,
        "head after",
        lambda: client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED"),
    )


async def _awaited(samples: dict[str, list[float]], name: str, call: Awaitable[T]) -> T:
    start = time.process_time()
    result = await call
    samples[name].append(time.process_time() - start)
    return result


async def _lean_upload(storage: S3Storage, key: str, samples: dict[str, list[float]]) -> None:
    # Awaited on one event loop, as the backend's routes await them; nothing else runs on it, so
    # the process's CPU around an await is the call's (the part PUT blocks it, untimed).
    await _awaited(samples, "head before", storage.head(key))
    upload_id = await _awaited(
        samples,
        "create",
        storage.create_multipart(
            key, "video/webm", {"exam-id": "E", "kind": "webcam", "owner": "alice"}, "CRC64NVME"
        ),
    )
    signed = _timed(
        samples,
        "presign",
        lambda: storage.presign_part(key, upload_id, 1, 900, Checksum("CRC64NVME", _CRC)),
    )
    etag = _put(signed.url, signed.headers)
    await _awaited(samples, "list parts", storage.list_parts(key, upload_id))
    await _awaited(
        samples,
        "complete",
        storage.complete(
            key, upload_id, [PartToComplete(1, etag, _CRC)], Checksum("CRC64NVME", _CRC)
        ),
    )
    await _awaited(samples, "head after", storage.head(key, checksums=True))


def _signers(rounds: int) -> tuple[float, float]:
    """ms per presigned part URL: by hand, and with awscrt's signer (query-string signing)."""
    creds = Credentials("AKIDEXAMPLE", "secret")
    signer = Signer("us-east-1")
    query = {"uploadId": "upload-id", "partNumber": "1"}
    start = time.process_time()
    for _ in range(rounds):
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        signer.presign(
            creds,
            "PUT",
            "/bucket/exam/alice/key.webm",
            query,
            {"host": "127.0.0.1:8333", "x-amz-checksum-crc64nvme": _CRC},
            900,
            amz_date,
        )
    by_hand = (time.process_time() - start) / rounds * 1000
    provider = crt_auth.AwsCredentialsProvider.new_static("AKIDEXAMPLE", "secret")
    start = time.process_time()
    for _ in range(rounds):
        config = crt_auth.AwsSigningConfig(
            algorithm=crt_auth.AwsSigningAlgorithm.V4,
            signature_type=crt_auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS,
            credentials_provider=provider,
            region="us-east-1",
            service="s3",
            date=datetime.now(UTC),
            use_double_uri_encode=False,
            should_normalize_uri_path=False,
            signed_body_value=crt_auth.AwsSignedBodyValue.UNSIGNED_PAYLOAD,
            expiration_in_seconds=900,
        )
        request = crt_http.HttpRequest(
            "PUT",
            "/bucket/exam/alice/key.webm?uploadId=upload-id&partNumber=1",
            crt_http.HttpHeaders([("host", "127.0.0.1:8333"), ("x-amz-checksum-crc64nvme", _CRC)]),
        )
        crt_auth.aws_sign_request(request, config).result()
        _ = "http://127.0.0.1:8333" + request.path
    with_crt = (time.process_time() - start) / rounds * 1000
    return by_hand, with_crt


def _report(name: str, samples: dict[str, list[float]]) -> dict[str, float]:
    means = {call: statistics.mean(samples[call]) * 1000 for call in CALLS}
    print(
        f"{name:9}" + "".join(f"{means[c]:>12.3f}" for c in CALLS) + f"{sum(means.values()):>10.2f}"
    )
    return means


def main() -> None:
    """Run both clients against a fresh SeaweedFS and print ms of client CPU per call."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.storage_calls")
    parser.add_argument("--uploads", type=int, default=150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, seaweedfs(Path(tmp)) as endpoints:
        _measure(endpoints["http"], args.uploads)


def _measure(endpoint: S3Endpoint, uploads: int) -> None:
    bucket = "storage-calls"
    s3_client(endpoint).create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    settings = Settings(bucket=bucket, s3_endpoint_url=endpoint.url, region=endpoint.region)
    session = boto3.Session(
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
        region_name=endpoint.region,
    )
    client = session.client("s3", endpoint_url=endpoint.url, config=_client_config(settings))
    storage = S3Storage(settings, session=session)
    # Warm both (connections, botocore's lazy loaders), then alternate so drift hits both alike.
    warm_b: dict[str, list[float]] = {c: [] for c in CALLS}
    warm_l: dict[str, list[float]] = {c: [] for c in CALLS}
    loop = asyncio.new_event_loop()
    for i in range(10):
        _botocore_upload(client, bucket, f"warm/b{i}", warm_b)
        loop.run_until_complete(_lean_upload(storage, f"warm/l{i}", warm_l))
    boto: dict[str, list[float]] = {c: [] for c in CALLS}
    lean: dict[str, list[float]] = {c: [] for c in CALLS}
    for i in range(uploads):
        _botocore_upload(client, bucket, f"exam/botocore/{i}.webm", boto)
        loop.run_until_complete(_lean_upload(storage, f"exam/lean/{i}.webm", lean))
    loop.run_until_complete(storage.aclose())
    loop.close()
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"{uploads} uploads each, ms of client CPU per call (load {' '.join(load)})")
    print(f"{'':9}" + "".join(f"{c:>12}" for c in CALLS) + f"{'total':>10}")
    b = _report("botocore", boto)
    le = _report("lean", lean)
    ratio = sum(le.values()) / sum(b.values())
    print(f"lean / botocore: {ratio:.2f}")
    # A CRC upload's completion no longer lists the parts (storage checks them at completion).
    per_upload = sum(le.values()) - le["list parts"]
    print(f"per CRC upload now (lean, no ListParts): {per_upload:.2f} ms")
    by_hand, with_crt = _signers(5000)
    print(f"presign alone, ms: by hand {by_hand:.4f}, awscrt {with_crt:.4f}")


if __name__ == "__main__":
    main()
