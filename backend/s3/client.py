"""A lean S3 client for the upload hot path: six calls, signed by hand, one connection pool.

Each upload makes a handful of storage calls, and through botocore each cost about 1 ms of CPU in
its generic pipeline. This client builds each request directly, signs it (`sigv4`), sends it on
one connection pool and reads the few XML fields the backend needs. Its calls are coroutines: the
routes that make them run on the event loop, not on a worker thread. It knows nothing of the
backend's error classes: it raises `S3Error` (storage answered with an error) or `S3Unreachable`
(no answer), and `backend.storage` translates them exactly as it does botocore's errors.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import httptools

from backend.s3.connections import Answer, Connections
from backend.s3.sigv4 import EMPTY_SHA256, Credentials, Signer, uri_encode

logger = logging.getLogger(__name__)

_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
# Answers botocore's standard retry mode retries; the same here, so a blip stays invisible.
_RETRY_STATUSES = {500, 502, 503, 504}
_RETRY_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
}
_MAX_BACKOFF_S = 20.0


class S3Error(Exception):
    """Storage answered a request with an S3 error.

    Attributes:
        code: The S3 error code (`NoSuchUpload`, `BadDigest`, ...), or the HTTP status as a string
            when the answer had no body (HEAD).
        status: HTTP status.
        message: Storage's message, possibly empty.
    """

    def __init__(self, code: str, status: int, message: str = "") -> None:
        """Storage's `code`, HTTP `status` and `message`."""
        super().__init__(f"{code} (HTTP {status})")
        self.code = code
        self.status = status
        self.message = message


class S3Unreachable(Exception):
    """No answer from storage: refused or dropped connection, or a timeout."""


@dataclass(frozen=True, slots=True)
class Head:
    """What HeadObject reports.

    Attributes:
        size: Content length.
        etag: ETag as sent (quoted).
        checksums: `x-amz-checksum-<name>` values by upper-case algorithm name.
    """

    size: int
    etag: str
    checksums: dict[str, str]


@dataclass(frozen=True, slots=True)
class Completion:
    """What CompleteMultipartUpload answers.

    Attributes:
        etag: The object's ETag as sent (quoted).
        checksums: The whole object's checksums the answer names, by upper-case algorithm name
            (AWS and SeaweedFS name the full-object CRC; some stores name none).
    """

    etag: str
    checksums: dict[str, str]


@dataclass(frozen=True, slots=True)
class ListedPart:
    """One `<Part>` of ListParts.

    Attributes:
        part_number: Part number.
        etag: ETag as listed (quoted).
        size: Bytes.
        last_modified: Unix time, 0 when absent.
        checksums: Listed part checksums by upper-case algorithm name.
    """

    part_number: int
    etag: str
    size: int
    last_modified: float
    checksums: dict[str, str]


@dataclass(frozen=True, slots=True)
class PartsPage:
    """One page of ListParts.

    Attributes:
        parts: The page's parts in storage's order.
        truncated: More pages follow.
        next_marker: The marker of the next page.
    """

    parts: list[ListedPart]
    truncated: bool
    next_marker: int


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a bucket's objects are addressed.

    Attributes:
        scheme: `http` or `https`.
        host: The Host header (port only when not the scheme's default).
        prefix: Path before the key: `/bucket` (path style) or empty (virtual-hosted).
    """

    scheme: str
    host: str
    prefix: str

    @classmethod
    def of_object_url(cls, url: str, key: str) -> Endpoint:
        """The endpoint of an object URL that botocore formed for `key` (a plain ASCII key).

        botocore's endpoint rules (AWS or custom endpoint, path, virtual-hosted or `auto`
        addressing, IP literals) decide once where the bucket lives; every request and URL
        then uses the same scheme, host and path.
        """
        parts = urlsplit(url)
        if not parts.path.endswith("/" + key):
            raise ValueError(f"{url!r} does not address {key!r}")
        return cls(parts.scheme, parts.netloc, parts.path[: -len(key) - 1])

    @property
    def url(self) -> str:
        """`scheme://host` of every request."""
        return f"{self.scheme}://{self.host}"

    def path(self, key: str) -> str:
        """The unencoded path of the object at `key`."""
        return f"{self.prefix}/{key}"


class LeanS3:
    """The hot-path S3 calls on one bucket.

    Attributes:
        endpoint: Where this client's own requests go.
        public: Where presigned URLs point (clients reach storage there).
    """

    def __init__(
        self,
        *,
        endpoint: Endpoint,
        public: Endpoint,
        region: str,
        credentials: Callable[[], Credentials],
        connect_timeout: float,
        read_timeout: float,
        max_attempts: int = 3,
        pool_size: int = 64,
        ca_bundle: str | None = None,
        verify: bool = True,
    ) -> None:
        """One pool of `pool_size` connections to `endpoint`; `credentials()` is asked per call."""
        self.endpoint = endpoint
        self.public = public
        self._signer = Signer(region)
        self._credentials = credentials
        self._max_attempts = max_attempts
        self._pool = Connections(
            endpoint.scheme,
            endpoint.host,
            size=pool_size,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            ca_bundle=ca_bundle,
            verify=verify,
        )

    async def aclose(self) -> None:
        """Close the pool's idle connections."""
        await self._pool.aclose()

    # --- requests ------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        key: str,
        query: Mapping[str, str],
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Answer:
        """Send a signed request, retrying what botocore retries; raise unless storage said 2xx."""
        path = self.endpoint.path(key)
        target = uri_encode(path, keep_slash=True)
        if query:
            target += "?" + "&".join(
                f"{uri_encode(k)}={uri_encode(v)}" if v else uri_encode(k) for k, v in query.items()
            )
        payload_sha = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        attempt = 0
        while True:
            attempt += 1
            signed = {"host": self.endpoint.host, **(headers or {})}
            if body:
                signed["content-length"] = str(len(body))
            self._signer.sign_headers(
                self._credentials(), method, path, query, signed, payload_sha, _amz_date()
            )
            try:
                resp = await self._pool.request(method, target, signed, body)
            except (OSError, httptools.HttpParserError) as exc:
                if attempt < self._max_attempts:
                    await _backoff(attempt)
                    continue
                raise S3Unreachable(type(exc).__name__) from exc
            if 200 <= resp.status < 300:
                error = _error_in_ok(method, query, resp)
                if error is None:
                    return resp
            else:
                error = _error_of(resp)
            if attempt < self._max_attempts and (
                error.status in _RETRY_STATUSES or error.code in _RETRY_CODES
            ):
                await _backoff(attempt)
                continue
            raise error

    async def head(self, key: str, *, checksums: bool = False) -> Head | None:
        """HeadObject; None when there is no object at `key`."""
        headers = {"x-amz-checksum-mode": "ENABLED"} if checksums else None
        try:
            resp = await self._request("HEAD", key, {}, headers)
        except S3Error as exc:
            if exc.status == 404:
                return None
            raise
        found = {
            name[len("x-amz-checksum-") :].upper(): value
            for name, value in resp.headers.items()
            if name.startswith("x-amz-checksum-") and name != "x-amz-checksum-type"
        }
        return Head(int(resp.headers.get("content-length", 0)), resp.headers.get("etag", ""), found)

    async def create_multipart(self, key: str, headers: dict[str, str]) -> str:
        """CreateMultipartUpload with `headers` (lowercase names); returns the upload id."""
        resp = await self._request("POST", key, {"uploads": ""}, headers)
        return _text(_xml(resp.data), "UploadId")

    async def list_parts(self, key: str, upload_id: str, marker: int) -> PartsPage:
        """One page of ListParts after part number `marker`."""
        resp = await self._request(
            "GET", key, {"part-number-marker": str(marker), "uploadId": upload_id}
        )
        root = _xml(resp.data)
        parts = [
            ListedPart(
                int(_text(p, "PartNumber")),
                _text(p, "ETag"),
                int(_text(p, "Size")),
                _timestamp(_text(p, "LastModified")),
                _checksums(p),
            )
            for p in _children(root, "Part")
        ]
        return PartsPage(
            parts,
            _text(root, "IsTruncated").lower() == "true",
            int(_text(root, "NextPartNumberMarker") or 0),
        )

    async def complete(
        self,
        key: str,
        upload_id: str,
        parts: list[tuple[int, str, dict[str, str]]],
        headers: dict[str, str],
    ) -> Completion:
        """CompleteMultipartUpload of `(number, quoted etag, {ChecksumX: value})`; its answer."""
        body = "".join(
            f"<Part><ETag>{escape(etag)}</ETag>"
            + "".join(f"<{name}>{escape(value)}</{name}>" for name, value in sums.items())
            + f"<PartNumber>{number}</PartNumber></Part>"
            for number, etag, sums in parts
        )
        xml = f'<CompleteMultipartUpload xmlns="{_NS[1:-1]}">{body}</CompleteMultipartUpload>'
        resp = await self._request("POST", key, {"uploadId": upload_id}, headers, xml.encode())
        root = _xml(resp.data)
        return Completion(_text(root, "ETag"), _checksums(root))

    async def abort(self, key: str, upload_id: str) -> None:
        """AbortMultipartUpload."""
        await self._request("DELETE", key, {"uploadId": upload_id})

    async def delete(self, key: str) -> None:
        """DeleteObject."""
        await self._request("DELETE", key, {})

    def presign(
        self,
        method: str,
        key: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        expires_in: int,
    ) -> str:
        """A URL at the public endpoint that `method`s `key` with exactly `headers` sent."""
        path = self.public.path(key)
        signed = {"host": self.public.host, **{k.lower(): v for k, v in headers.items()}}
        query_string = self._signer.presign(
            self._credentials(), method, path, query, signed, expires_in, _amz_date()
        )
        return f"{self.public.url}{uri_encode(path, keep_slash=True)}?{query_string}"

    def object_url(self, key: str) -> str:
        """The unsigned URL of `key` at the public endpoint."""
        return f"{self.public.url}{uri_encode(self.public.path(key), keep_slash=True)}"


def _amz_date() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


async def _backoff(attempt: int) -> None:
    # botocore's standard mode: a random wait below 2^(attempt - 1) seconds, at most 20 s.
    await asyncio.sleep(random.random() * min(_MAX_BACKOFF_S, 2.0 ** (attempt - 1)))


def _error_of(resp: Answer) -> S3Error:
    """The S3 error of a non-2xx answer (HEAD has no body: its status is the code, as botocore)."""
    code, message = "", ""
    if resp.data:
        try:
            root = ET.fromstring(resp.data)
        except ET.ParseError:
            root = None
        if root is not None:
            code, message = _text(root, "Code"), _text(root, "Message")
    return S3Error(code or str(resp.status), resp.status, message)


def _error_in_ok(method: str, query: Mapping[str, str], resp: Answer) -> S3Error | None:
    """S3 may answer CompleteMultipartUpload 200 and put an `<Error>` in the body."""
    if method != "POST" or "uploadId" not in query:
        return None
    try:
        root = ET.fromstring(resp.data)
    except ET.ParseError:
        return S3Error("InternalError", 500, "unreadable CompleteMultipartUpload answer")
    if _local(root.tag) != "Error":
        return None
    return S3Error(_text(root, "Code") or "InternalError", 500, _text(root, "Message"))


def _xml(data: bytes) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise S3Error("MalformedResponse", 502, "storage sent unreadable XML") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: ET.Element, name: str) -> str:
    for child in el:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _checksums(el: ET.Element) -> dict[str, str]:
    """The `<ChecksumX>` children of `el` by upper-case algorithm name (not `<ChecksumType>`)."""
    found = {}
    for child in el:
        name = _local(child.tag)
        if name.startswith("Checksum") and name != "ChecksumType" and child.text:
            found[name[len("Checksum") :].upper()] = child.text.strip()
    return found


def _timestamp(value: str) -> float:
    if not value:
        return 0.0
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        try:
            return parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            return 0.0
