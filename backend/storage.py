"""The storage adapter: S3 multipart calls and presigning behind a Protocol.

The HTTP layer only sees `Storage` and the exceptions below. The calls every upload makes go
through the lean client of `backend.s3` and are coroutines, awaited on the event loop; boto3 serves
the rest (reads, lifecycle rules, the readiness check, all outside the upload routes), and decides
once where the bucket is addressed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import boto3
import botocore
import botocore.exceptions
from botocore.config import Config
from botocore.httpsession import get_cert_path

from backend import checksums
from backend.s3.client import Endpoint, LeanS3, S3Error, S3Unreachable
from backend.s3.sigv4 import Credentials
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
class Completion:
    """Storage's answer to a completion.

    Attributes:
        etag: The object's ETag without quotes.
        checksums: The whole object's CRCs the answer names, base64 by algorithm (AWS and
            SeaweedFS name the one the upload was created with; other stores may name none).
    """

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

    async def head(self, key: str, *, checksums: bool = False) -> ObjectInfo | None:
        """The stored object at `key` (with `checksums`, its full-object checksums), or None."""

    async def create_multipart(
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
        length: int | None = None,
    ) -> PresignedRequest:
        """A URL that accepts one part by plain HTTP PUT (only bytes with `checksum`, and only
        `length` of them, where given)."""

    async def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        """Every part storage holds for the upload (re-sent parts may appear more than once)."""

    async def complete(
        self,
        key: str,
        upload_id: str,
        parts: list[PartToComplete],
        full_object: Checksum | None = None,
    ) -> Completion:
        """Complete the upload from its parts; storage's answer."""

    async def abort(self, key: str, upload_id: str) -> None:
        """Abort the upload and free its parts."""

    async def delete(self, key: str) -> None:
        """Delete the object at `key` (nothing happens if there is none)."""

    def presign_put(self, key: str, content_type: str, expires_in: int) -> PresignedRequest:
        """A URL that accepts a whole object by one PUT."""

    async def aclose(self) -> None:
        """Close the connections the awaited calls keep open (the app's last act on its loop)."""

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
_MAX_ATTEMPTS = 3
# Storage calls in flight at once, per client (boto3's calls run on uvicorn's 40 worker threads;
# the lean client's on the event loop, where a burst could otherwise open a connection per request).
_POOL_CONNECTIONS = 64


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
        retries={"mode": "standard", "total_max_attempts": _MAX_ATTEMPTS},
        max_pool_connections=_POOL_CONNECTIONS,
        # Every parameter we pass is built here from values the API models already validated
        # (keys from `keys.object_key`, part numbers within 1..part_count, ETags and Content-MD5
        # as bounded strings, storage's own upload ids), so botocore's second validation of each
        # call is redundant CPU; storage still refuses anything it does not accept.
        parameter_validation=False,
    )


class S3Storage:
    """`Storage` over the lean client (the upload calls) and boto3 (everything else).

    `_client` (boto3) and `_lean` talk to `s3_endpoint_url`; `_lean` presigns against
    `s3_public_endpoint_url` (where clients reach storage).
    """

    def __init__(self, settings: Settings, *, session: boto3.Session | None = None) -> None:
        """Create the clients; credentials come from `session` or the standard AWS chain."""
        self.bucket = settings.bucket
        session = session or boto3.Session()
        config = _client_config(settings)
        self._client: S3Client = session.client(
            "s3", endpoint_url=settings.s3_endpoint_url or None, config=config
        )
        self._lean = _lean_client(settings, session)

    @staticmethod
    @contextmanager
    def _lean_errors(what: str) -> Iterator[None]:
        """The lean client's exceptions as ours."""
        try:
            yield
        except S3Error as exc:
            raise _translate_code(what, exc.code, exc.status, exc.message) from exc
        except S3Unreachable as exc:
            logger.warning("Storage unreachable during %s: %s", what, exc)
            raise StorageUnavailableError(f"Storage could not be reached ({what}).") from exc
        except _NoCredentialsError as exc:
            raise StorageError("The backend has no storage credentials configured.") from exc

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

    async def head(self, key: str, *, checksums: bool = False) -> ObjectInfo | None:
        """The stored object at `key`, or None when there is none."""
        with self._lean_errors("head object"):
            head = await self._lean.head(key, checksums=checksums)
        if head is None:
            return None
        return ObjectInfo(
            size=head.size, etag=strip_etag(head.etag), checksums=_crcs(head.checksums)
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

    async def create_multipart(
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
        headers = {"content-type": content_type}
        headers.update({f"x-amz-meta-{name}": value for name, value in metadata.items()})
        if checksum_algorithm is not None:
            headers["x-amz-checksum-algorithm"] = checksum_algorithm
            headers["x-amz-checksum-type"] = "FULL_OBJECT"
        with self._lean_errors("create multipart upload"):
            return await self._lean.create_multipart(key, headers)

    def presign_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        expires_in: int,
        checksum: Checksum | None,
        length: int | None = None,
    ) -> PresignedRequest:
        """A URL for one part; with `checksum` its header is signed and storage verifies the bytes;
        with `length`, so is the Content-Length, and storage refuses a part of any other size.

        The checksum header is the only ``x-amz-*`` header signed, so a plain PUT carrying it
        works; any other ``x-amz-*`` header a client added would have to be signed too, or storage
        answers 403. The Content-Length is not among the returned headers: every HTTP client sends
        it from the body, and sending it twice would be a malformed request.
        """
        headers: dict[str, str] = {}
        if checksum is not None:
            headers[checksums.header(checksum.algorithm)] = checksum.value
        signed = headers if length is None else {**headers, "content-length": str(length)}
        with self._lean_errors("presign part"):
            url = self._lean.presign(
                "PUT",
                key,
                {"uploadId": upload_id, "partNumber": str(part_number)},
                signed,
                expires_in,
            )
        return PresignedRequest(url=url, headers=headers)

    async def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        """Every stored part, following ListParts pagination (1000 per page).

        Some servers (SeaweedFS) list every upload of a re-sent part number, not only the last one;
        those duplicates are returned as storage gives them, in storage's order.
        """
        parts: list[StoredPart] = []
        marker = 0
        while True:
            with self._lean_errors("list parts"):
                page = await self._lean.list_parts(key, upload_id, marker)
            parts.extend(
                StoredPart(
                    p.part_number,
                    strip_etag(p.etag),
                    p.size,
                    p.last_modified,
                    next(iter(_crcs(p.checksums).values()), None),
                )
                for p in page.parts
            )
            if not page.truncated:
                break
            if page.next_marker <= marker:  # a server that pages without advancing would loop
                break
            marker = page.next_marker
        return parts

    async def complete(
        self,
        key: str,
        upload_id: str,
        parts: list[PartToComplete],
        full_object: Checksum | None = None,
    ) -> Completion:
        """Complete the upload; storage's answer (the multipart ETag and the CRC it names).

        With `full_object`, every part's CRC and the whole object's go to storage, which refuses
        (BadDigest) a part list or an object whose bytes do not have them.
        """
        listed = [
            (
                p.part_number,
                f'"{strip_etag(p.etag)}"',
                {f"Checksum{full_object.algorithm}": p.checksum}
                if full_object is not None and p.checksum is not None
                else {},
            )
            for p in parts
        ]
        headers: dict[str, str] = {}
        if full_object is not None:
            headers[checksums.header(full_object.algorithm)] = full_object.value
            headers["x-amz-checksum-type"] = "FULL_OBJECT"
        with self._lean_errors("complete multipart upload"):
            done = await self._lean.complete(key, upload_id, listed, headers)
        return Completion(strip_etag(done.etag), _crcs(done.checksums))

    async def abort(self, key: str, upload_id: str) -> None:
        """Abort the upload; storage frees its parts."""
        with self._lean_errors("abort multipart upload"):
            await self._lean.abort(key, upload_id)

    async def delete(self, key: str) -> None:
        """DeleteObject; S3 answers the same whether or not the object was there."""
        with self._lean_errors("delete object"):
            await self._lean.delete(key)

    async def aclose(self) -> None:
        """Close the lean client's idle connections (on the loop that used them)."""
        await self._lean.aclose()

    def presign_put(self, key: str, content_type: str, expires_in: int) -> PresignedRequest:
        """A URL for one whole-object PUT; the Content-Type is part of the signature.

        So is `If-None-Match: *`: storage refuses (412) a PUT once the object exists, so replaying
        the URL within its life cannot overwrite a finished recording.
        """
        headers = {"Content-Type": content_type, "If-None-Match": "*"}
        with self._lean_errors("presign put"):
            url = self._lean.presign("PUT", key, {}, headers, expires_in)
        return PresignedRequest(url=url, headers=headers)

    def object_url(self, key: str) -> str:
        """The unsigned URL of the object at the public endpoint."""
        return str(self._lean.object_url(key))

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


def _crcs(named: dict[str, str]) -> dict[str, str]:
    """The CRCs among the checksums storage `named` (by upper-case algorithm name)."""
    return {name: named[name] for name in checksums.CRC_ALGORITHMS if named.get(name)}


def _translate(what: str, exc: botocore.exceptions.ClientError) -> StorageError:
    err = exc.response.get("Error", {})
    return _translate_code(
        what,
        str(err.get("Code", "")),
        int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)),
        str(err.get("Message") or ""),
    )


def _translate_code(what: str, code: str, status: int, message: str) -> StorageError:
    """One mapping of S3 error codes onto ours, for botocore's errors and the lean client's."""
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
        detail = message or code
        return ChecksumMismatchError(f"Storage refused the checksums: {detail}.")
    if code in _INVALID_PART_CODES:
        return InvalidPartsError(f"Storage refused the parts: {message or code}.")
    if code in _UNAVAILABLE_CODES or status >= 500:
        logger.warning("Storage unavailable during %s: %s (HTTP %s)", what, code, status)
        return StorageUnavailableError(f"Storage is unavailable ({what}); try again later.")
    if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
        logger.error("Storage refused the backend's credentials during %s: %s", what, code)
        return StorageError("Storage refused the backend's credentials.")
    logger.warning("Storage error during %s: %s (HTTP %s)", what, code, status)
    return StorageError(f"Storage failed ({what}: {code or status}).")


class _NoCredentialsError(Exception):
    """The standard AWS chain found no credentials (internal to this module)."""


class _SessionCredentials:
    """The session's credentials, frozen per call (botocore refreshes temporary ones)."""

    def __init__(self, session: boto3.Session) -> None:
        self._session = session
        self._found: Any = None

    def __call__(self) -> Credentials:
        if self._found is None:
            self._found = self._session.get_credentials()
            if self._found is None:
                raise _NoCredentialsError
        frozen = self._found.get_frozen_credentials()
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token)


# A plain key whose URL shows where botocore addresses the bucket (see `Endpoint.of_object_url`).
_PROBE_KEY = "probe"


def _lean_client(settings: Settings, session: boto3.Session) -> LeanS3:
    """The lean client with the same endpoints, addressing, timeouts, retries and TLS trust."""

    def endpoint(url: str) -> Endpoint:
        # An unsigned client needs no credentials; it only forms the bucket's URL.
        unsigned = _client_config(settings).merge(Config(signature_version=botocore.UNSIGNED))
        client = session.client("s3", endpoint_url=url or None, config=unsigned)
        located = client.generate_presigned_url(
            "get_object", Params={"Bucket": settings.bucket, "Key": _PROBE_KEY}
        )
        return Endpoint.of_object_url(located, _PROBE_KEY)

    # AWS_CA_BUNDLE or `ca_bundle` in the AWS config, else certifi's: the bundle botocore trusts.
    ca_bundle = session._session.get_config_variable("ca_bundle") or get_cert_path(True)
    return LeanS3(
        endpoint=endpoint(settings.s3_endpoint_url),
        public=endpoint(settings.presign_endpoint_url),
        region=settings.region,
        credentials=_SessionCredentials(session),
        connect_timeout=settings.s3_connect_timeout_seconds,
        read_timeout=settings.s3_read_timeout_seconds,
        max_attempts=_MAX_ATTEMPTS,
        pool_size=_POOL_CONNECTIONS,
        ca_bundle=ca_bundle if isinstance(ca_bundle, str) else None,
    )
