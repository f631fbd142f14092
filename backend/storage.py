"""The storage adapter: S3 multipart calls and presigning behind a Protocol.

The HTTP layer only sees `Storage` and the exceptions below; boto3 stays in this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import boto3
import botocore.exceptions
from botocore.config import Config

from backend import checksums
from backend.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)


class StorageError(Exception):
    """Storage answered, but not with what we asked for (502)."""


class StorageUnavailableError(StorageError):
    """Storage could not be reached or is overloaded (503); retrying later may succeed."""


class NoSuchUploadError(StorageError):
    """Storage no longer knows the multipart upload (aborted, expired, or completed)."""


class InvalidPartsError(StorageError):
    """Storage refused the part list of a completion (missing part, wrong ETag, part too small)."""


class ChecksumMismatchError(StorageError):
    """Storage computed another checksum than the one given (BadDigest): the bytes differ."""


@dataclass(frozen=True, slots=True)
class Checksum:
    """A checksum S3 verifies.

    Attributes:
        algorithm: `CRC64NVME`, `CRC32C` or `MD5`.
        value: Base64 of the digest.
    """

    algorithm: str
    value: str


@dataclass(frozen=True, slots=True)
class PartToComplete:
    """One part named in a completion.

    Attributes:
        part_number: 1-based part number.
        etag: ETag storage returned for it (quotes optional).
        checksum: Its base64 CRC when the upload has a CRC algorithm (storage checks it again).
    """

    part_number: int
    etag: str
    checksum: str | None = None


@dataclass(frozen=True, slots=True)
class PresignedRequest:
    """A URL plus the headers the client must send with it.

    Attributes:
        url: The presigned URL (a secret until it expires; never logged).
        headers: Headers that are part of the signature.
    """

    url: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class StoredPart:
    """One part as storage holds it.

    Attributes:
        part_number: 1-based part number.
        etag: ETag without quotes.
        size: Bytes stored.
        last_modified: Unix time storage reports for the part (0 if none).
        checksum: The part's base64 CRC when storage lists it (AWS does; SeaweedFS does not).
    """

    part_number: int
    etag: str
    size: int
    last_modified: float = 0.0
    checksum: str | None = None


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """HEAD of a stored object.

    Attributes:
        size: Content length in bytes.
        etag: ETag without quotes.
        checksums: Full-object checksums storage reports, base64 by algorithm (only when asked).
    """

    size: int
    etag: str
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ObjectStream:
    """A stored object being read.

    Attributes:
        size: Content length in bytes.
        etag: ETag without quotes.
        chunks: The bytes, a bounded chunk at a time (memory stays flat in the object's size).
    """

    size: int
    etag: str
    chunks: Iterator[bytes]


class Storage(Protocol):
    """What the HTTP layer needs from S3-compatible storage."""

    bucket: str

    def check(self) -> None:
        """Raise `StorageUnavailableError` or `StorageError` unless the bucket is reachable."""

    def head(self, key: str, *, checksums: bool = False) -> ObjectInfo | None:
        """The stored object at `key` (with `checksums`, its full-object checksums), or None."""

    def create_multipart(
        self,
        key: str,
        content_type: str,
        metadata: dict[str, str],
        checksum_algorithm: str | None = None,
    ) -> str:
        """Start a multipart upload (with a full-object CRC algorithm); returns its upload id."""

    def read(self, key: str, chunk_size: int) -> ObjectStream | None:
        """Stream the object at `key` in chunks of at most `chunk_size`, or None if it is gone."""

    def presign_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        expires_in: int,
        checksum: Checksum | None,
    ) -> PresignedRequest:
        """A URL that accepts one part by plain HTTP PUT (only bytes with `checksum`, if given)."""

    def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        """Every part storage holds for the upload (re-sent parts may appear more than once)."""

    def complete(
        self,
        key: str,
        upload_id: str,
        parts: list[PartToComplete],
        full_object: Checksum | None = None,
    ) -> str:
        """Complete the upload from its parts; returns the ETag without quotes."""

    def abort(self, key: str, upload_id: str) -> None:
        """Abort the upload and free its parts."""

    def presign_put(self, key: str, content_type: str, expires_in: int) -> PresignedRequest:
        """A URL that accepts a whole object by one PUT."""

    def object_url(self, key: str) -> str:
        """The unsigned URL of the object (a stable reference, not a download link)."""

    def get_lifecycle_rules(self) -> list[dict[str, Any]]:
        """The bucket's lifecycle rules (empty if none)."""

    def put_lifecycle_rules(self, rules: list[dict[str, Any]]) -> None:
        """Replace the bucket's lifecycle rules."""


def strip_etag(etag: str) -> str:
    """ETags travel quoted in S3 XML and headers; the API returns them without quotes."""
    return etag.strip().strip('"')


# Error codes S3-compatible servers use for "try again later" conditions.
_UNAVAILABLE_CODES = {
    "SlowDown",
    "ServiceUnavailable",
    "RequestTimeout",
    "InternalError",
    "503",
    "500",
}
_INVALID_PART_CODES = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"}
_CRC_NAMES = ("CRC64NVME", "CRC32C")


def _client_config(settings: Settings) -> Config:
    return Config(
        signature_version="s3v4",
        region_name=settings.region,
        s3={"addressing_style": settings.s3_addressing_style},
        # botocore >= 1.36 otherwise adds CRC32 checksums that plain HTTP clients cannot satisfy.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        connect_timeout=settings.s3_connect_timeout_seconds,
        read_timeout=settings.s3_read_timeout_seconds,
        retries={"mode": "standard", "total_max_attempts": 3},
        # One connection per thread that may call storage at once (uvicorn's thread pool runs 40
        # sync routes concurrently); botocore's default of 10 made calls queue for a connection.
        max_pool_connections=64,
        # Every parameter we pass is built here from values the API models already validated
        # (keys from `keys.object_key`, part numbers within 1..part_count, ETags and Content-MD5
        # as bounded strings, storage's own upload ids), so botocore's second validation of each
        # call is redundant CPU; storage still refuses anything it does not accept.
        parameter_validation=False,
    )


class S3Storage:
    """`Storage` over boto3.

    Two clients share one session: `_client` talks to `s3_endpoint_url`; `_signer` only presigns,
    against `s3_public_endpoint_url` (where clients reach storage) and never makes a request.
    """

    def __init__(self, settings: Settings, *, session: boto3.Session | None = None) -> None:
        """Create the clients; credentials come from `session` or the standard AWS chain."""
        self.bucket = settings.bucket
        session = session or boto3.Session()
        config = _client_config(settings)
        self._client: S3Client = session.client(
            "s3", endpoint_url=settings.s3_endpoint_url or None, config=config
        )
        self._signer: S3Client = session.client(
            "s3", endpoint_url=settings.presign_endpoint_url or None, config=config
        )

    def _call(self, what: str, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except botocore.exceptions.ClientError as exc:
            raise _translate(what, exc) from exc
        except (
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.HTTPClientError,
        ) as exc:
            logger.warning("Storage unreachable during %s: %s", what, exc)
            raise StorageUnavailableError(f"Storage could not be reached ({what}).") from exc
        except botocore.exceptions.NoCredentialsError as exc:
            raise StorageError("The backend has no storage credentials configured.") from exc
        except botocore.exceptions.BotoCoreError as exc:
            logger.warning("Storage failed during %s: %s", what, type(exc).__name__)
            raise StorageError(f"Storage failed ({what}).") from exc

    def check(self) -> None:
        """Raise unless the bucket answers HEAD."""
        self._call("head bucket", self._client.head_bucket, Bucket=self.bucket)

    def head(self, key: str, *, checksums: bool = False) -> ObjectInfo | None:
        """The stored object at `key`, or None when there is none."""
        extra: dict[str, Any] = {"ChecksumMode": "ENABLED"} if checksums else {}
        try:
            resp = self._call(
                "head object", self._client.head_object, Bucket=self.bucket, Key=key, **extra
            )
        except NoSuchKeyError:
            return None
        found = {
            name: str(resp[f"Checksum{name}"]) for name in _CRC_NAMES if resp.get(f"Checksum{name}")
        }
        return ObjectInfo(
            size=int(resp["ContentLength"]), etag=strip_etag(resp["ETag"]), checksums=found
        )

    def read(self, key: str, chunk_size: int) -> ObjectStream | None:
        """Stream the object at `key` (GET), or None when there is none."""
        try:
            resp = self._call("get object", self._client.get_object, Bucket=self.bucket, Key=key)
        except NoSuchKeyError:
            return None
        body = resp["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(chunk_size)
            except (botocore.exceptions.BotoCoreError, OSError) as exc:
                logger.warning("Storage stopped sending %s: %s", key, type(exc).__name__)
                raise StorageUnavailableError("Storage stopped sending the object.") from exc
            finally:
                body.close()

        return ObjectStream(
            size=int(resp["ContentLength"]), etag=strip_etag(resp["ETag"]), chunks=chunks()
        )

    def create_multipart(
        self,
        key: str,
        content_type: str,
        metadata: dict[str, str],
        checksum_algorithm: str | None = None,
    ) -> str:
        """Start a multipart upload; returns storage's upload id.

        With a CRC algorithm the upload is created FULL_OBJECT: storage then keeps (and reports
        on HEAD) the CRC of the whole object, which the parts' CRCs predict.
        """
        extra: dict[str, Any] = {}
        if checksum_algorithm is not None:
            extra = {"ChecksumAlgorithm": checksum_algorithm, "ChecksumType": "FULL_OBJECT"}
        resp = self._call(
            "create multipart upload",
            self._client.create_multipart_upload,
            Bucket=self.bucket,
            Key=key,
            ContentType=content_type,
            Metadata=metadata,
            **extra,
        )
        return str(resp["UploadId"])

    def presign_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        expires_in: int,
        checksum: Checksum | None,
    ) -> PresignedRequest:
        """A URL for one part; with `checksum` its header is signed and storage verifies the bytes.

        The checksum header is the only ``x-amz-*`` header signed (botocore signs exactly
        ``host;x-amz-checksum-crc64nvme``), so a plain PUT carrying it works; any other
        ``x-amz-*`` header a client added would have to be signed too, or storage answers 403.
        """
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": part_number,
        }
        headers: dict[str, str] = {}
        if checksum is not None:
            name = "ContentMD5" if checksum.algorithm == "MD5" else f"Checksum{checksum.algorithm}"
            params[name] = checksum.value
            headers[checksums.header(checksum.algorithm)] = checksum.value
        url = self._signer.generate_presigned_url(
            "upload_part", Params=params, ExpiresIn=expires_in, HttpMethod="PUT"
        )
        return PresignedRequest(url=url, headers=headers)

    def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        """Every stored part, following ListParts pagination (1000 per page).

        Some servers (SeaweedFS) list every upload of a re-sent part number, not only the last one;
        those duplicates are returned as storage gives them, in storage's order.
        """
        parts: list[StoredPart] = []
        marker = 0
        while True:
            resp = self._call(
                "list parts",
                self._client.list_parts,
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumberMarker=marker,
            )
            for p in resp.get("Parts", []):
                modified = p.get("LastModified")
                listed = next(
                    (str(p[f"Checksum{n}"]) for n in _CRC_NAMES if p.get(f"Checksum{n}")),
                    None,
                )
                parts.append(
                    StoredPart(
                        int(p["PartNumber"]),
                        strip_etag(p["ETag"]),
                        int(p["Size"]),
                        modified.timestamp() if modified is not None else 0.0,
                        listed,
                    )
                )
            if not resp.get("IsTruncated"):
                break
            next_marker = int(resp.get("NextPartNumberMarker", 0))
            if next_marker <= marker:  # a server that pages without advancing would loop forever
                break
            marker = next_marker
        return parts

    def complete(
        self,
        key: str,
        upload_id: str,
        parts: list[PartToComplete],
        full_object: Checksum | None = None,
    ) -> str:
        """Complete the upload; returns the multipart ETag without quotes.

        With `full_object`, every part's CRC and the whole object's go to storage, which refuses
        (BadDigest) a part list or an object whose bytes do not have them.
        """
        listed: list[dict[str, Any]] = []
        for p in parts:
            entry: dict[str, Any] = {"PartNumber": p.part_number, "ETag": f'"{strip_etag(p.etag)}"'}
            if full_object is not None and p.checksum is not None:
                entry[f"Checksum{full_object.algorithm}"] = p.checksum
            listed.append(entry)
        extra: dict[str, Any] = {}
        if full_object is not None:
            extra = {
                f"Checksum{full_object.algorithm}": full_object.value,
                "ChecksumType": "FULL_OBJECT",
            }
        resp = self._call(
            "complete multipart upload",
            self._client.complete_multipart_upload,
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": listed},
            **extra,
        )
        return strip_etag(str(resp.get("ETag", "")))

    def abort(self, key: str, upload_id: str) -> None:
        """Abort the upload; storage frees its parts."""
        self._call(
            "abort multipart upload",
            self._client.abort_multipart_upload,
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
        )

    def presign_put(self, key: str, content_type: str, expires_in: int) -> PresignedRequest:
        """A URL for one whole-object PUT; the Content-Type is part of the signature.

        So is `If-None-Match: *`: storage refuses (412) a PUT once the object exists, so replaying
        the URL within its life cannot overwrite a finished recording.
        """
        url = self._signer.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ContentType": content_type,
                "IfNoneMatch": "*",
            },
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
        return PresignedRequest(
            url=url, headers={"Content-Type": content_type, "If-None-Match": "*"}
        )

    def object_url(self, key: str) -> str:
        """The unsigned URL of the object at the public endpoint."""
        url = self._signer.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=1
        )
        return url.split("?", 1)[0]

    def get_lifecycle_rules(self) -> list[dict[str, Any]]:
        """The bucket's lifecycle rules; none configured is an empty list."""
        try:
            resp = self._call(
                "get lifecycle",
                self._client.get_bucket_lifecycle_configuration,
                Bucket=self.bucket,
            )
        except NoLifecycleError:
            return []
        return list(resp.get("Rules", []))

    def put_lifecycle_rules(self, rules: list[dict[str, Any]]) -> None:
        """Replace the bucket's lifecycle rules (an empty list deletes them)."""
        if not rules:
            self._call("delete lifecycle", self._client.delete_bucket_lifecycle, Bucket=self.bucket)
            return
        self._call(
            "put lifecycle",
            self._client.put_bucket_lifecycle_configuration,
            Bucket=self.bucket,
            LifecycleConfiguration={"Rules": rules},
        )


class NoSuchKeyError(StorageError):
    """HEAD found no object (internal to this module)."""


class NoLifecycleError(StorageError):
    """The bucket has no lifecycle configuration (internal to this module)."""


def _translate(what: str, exc: botocore.exceptions.ClientError) -> StorageError:
    err = exc.response.get("Error", {})
    code = str(err.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    if code == "NoSuchUpload":
        return NoSuchUploadError("Storage no longer has this upload.")
    if code in ("NoSuchKey", "404", "NotFound") and what in ("head object", "get object"):
        return NoSuchKeyError(what)
    if code == "NoSuchLifecycleConfiguration":
        return NoLifecycleError(what)
    if code == "NoSuchBucket" or (what == "head bucket" and status == 404):
        logger.error("Storage bucket is missing (%s)", what)
        return StorageError("The storage bucket does not exist; an administrator must create it.")
    if code in ("BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch"):
        detail = err.get("Message") or code
        return ChecksumMismatchError(f"Storage refused the checksums: {detail}.")
    if code in _INVALID_PART_CODES:
        return InvalidPartsError(f"Storage refused the parts: {err.get('Message') or code}.")
    if code in _UNAVAILABLE_CODES or status >= 500:
        logger.warning("Storage unavailable during %s: %s (HTTP %s)", what, code, status)
        return StorageUnavailableError(f"Storage is unavailable ({what}); try again later.")
    if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
        logger.error("Storage refused the backend's credentials during %s: %s", what, code)
        return StorageError("Storage refused the backend's credentials.")
    logger.warning("Storage error during %s: %s (HTTP %s)", what, code, status)
    return StorageError(f"Storage failed ({what}: {code or status}).")
