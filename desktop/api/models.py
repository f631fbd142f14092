"""Values the backend returns, parsed from its JSON (issue 2's contract; ``docs/api.md``).

Every model is a frozen, slotted dataclass with a ``from_json`` classmethod that checks the shape
and types of the payload. A payload that does not match raises :class:`desktop.errors.BackendError`
with code ``"invalid_response"``, so a proxy's HTML error page or a different server never turns
into a ``KeyError`` deep in the engine. Fields the backend adds later are ignored (the contract
allows additions, never renames).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop.errors import BackendError

__all__ = [
    "CreatedUpload",
    "RemotePart",
    "SignedPart",
    "SignedParts",
    "TokenPair",
    "UploadPage",
    "UploadReceipt",
    "UploadSummary",
    "User",
]


def _invalid(what: str, detail: str) -> BackendError:
    return BackendError(
        f"The server sent an unexpected answer ({what}: {detail}). Check that the server address "
        "is right and that the server is up to date.",
        code="invalid_response",
        title="Unexpected server response",
    )


def _obj(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _invalid(what, "not a JSON object")
    return data


def _str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise _invalid(what, f"{key!r} missing or not text")
    return value


def _opt_str(data: Mapping[str, Any], key: str, what: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(what, f"{key!r} is not text")
    return value


def _int(data: Mapping[str, Any], key: str, what: str, *, minimum: int = 0) -> int:
    value = data.get(key)
    # bool is an int subclass; a boolean where a count belongs is a broken payload.
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _invalid(what, f"{key!r} missing or not an integer >= {minimum}")
    return value


def _opt_int(data: Mapping[str, Any], key: str, what: str) -> int | None:
    if data.get(key) is None:
        return None
    return _int(data, key, what)


def _list(data: Mapping[str, Any], key: str, what: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise _invalid(what, f"{key!r} missing or not a list")
    return value


@dataclass(frozen=True, slots=True)
class TokenPair:
    """The answer of login and refresh.

    Tokens are kept out of ``repr`` so they never reach a log by accident.

    Attributes:
        access_token: Short-lived bearer token, kept in memory only.
        refresh_token: Long-lived, rotating token; the only secret that may go to the keyring.
        expires_in: Lifetime of the access token in seconds.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int

    @classmethod
    def from_json(cls, data: object) -> TokenPair:
        """Parse ``{access_token, refresh_token, token_type, expires_in}``."""
        what = "sign-in answer"
        obj = _obj(data, what)
        return cls(
            access_token=_str(obj, "access_token", what),
            refresh_token=_str(obj, "refresh_token", what),
            expires_in=_int(obj, "expires_in", what),
        )


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in account (``GET /me``).

    Attributes:
        username: The account name.
        role: ``"user"`` or ``"admin"`` (kept as text: the backend may add roles).
    """

    username: str
    role: str

    @classmethod
    def from_json(cls, data: object) -> User:
        """Parse ``{username, role}``."""
        what = "account answer"
        obj = _obj(data, what)
        return cls(username=_str(obj, "username", what), role=_str(obj, "role", what))


@dataclass(frozen=True, slots=True)
class CreatedUpload:
    """A multipart upload the backend created (``POST /uploads``).

    Attributes:
        upload_id: The backend's id for this upload (not S3's UploadId).
        key: The object key the backend chose.
        part_size: Bytes per part; every part but the last has exactly this size.
        part_count: Number of parts (0 or 1 for an empty file, as the backend decides).
        url_ttl_seconds: How long a signed part URL stays valid.
        checksum_algorithm: The part checksum to compute and have signed: ``CRC64NVME``,
            ``CRC32C`` or ``MD5`` (a backend that does not say uses MD5).
    """

    upload_id: str
    key: str
    part_size: int
    part_count: int
    url_ttl_seconds: int
    checksum_algorithm: str = "MD5"

    @classmethod
    def from_json(cls, data: object) -> CreatedUpload:
        """Parse ``{upload_id, key, part_size, part_count, url_ttl_seconds}``."""
        what = "new upload"
        obj = _obj(data, what)
        return cls(
            upload_id=_str(obj, "upload_id", what),
            key=_str(obj, "key", what),
            part_size=_int(obj, "part_size", what, minimum=1),
            part_count=_int(obj, "part_count", what),
            url_ttl_seconds=_int(obj, "url_ttl_seconds", what),
            checksum_algorithm=_opt_str(obj, "checksum_algorithm", what) or "MD5",
        )


@dataclass(frozen=True, slots=True)
class SignedPart:
    """One presigned part URL. The URL is a secret until it expires: never log it.

    Attributes:
        part_number: 1-based part number.
        url: The presigned PUT URL (left out of ``repr``).
        headers: Headers the PUT must carry exactly (e.g. a bound checksum).
    """

    part_number: int
    url: str = field(repr=False)
    headers: dict[str, str]

    @classmethod
    def from_json(cls, data: object) -> SignedPart:
        """Parse ``{part_number, url, headers}``; ``headers`` may be absent."""
        what = "signed part"
        obj = _obj(data, what)
        raw_headers = obj.get("headers") or {}
        if not isinstance(raw_headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in raw_headers.items()
        ):
            raise _invalid(what, "'headers' is not a map of text to text")
        return cls(
            part_number=_int(obj, "part_number", what, minimum=1),
            url=_str(obj, "url", what),
            headers=dict(raw_headers),
        )


@dataclass(frozen=True, slots=True)
class SignedParts:
    """A batch of signed part URLs.

    Attributes:
        parts: The signed parts, in the order the backend returned them.
        expires_at: ISO 8601 time when the URLs stop working.
    """

    parts: list[SignedPart]
    expires_at: str

    @classmethod
    def from_json(cls, data: object) -> SignedParts:
        """Parse ``{parts: [...], expires_at}``."""
        what = "signed parts"
        obj = _obj(data, what)
        return cls(
            parts=[SignedPart.from_json(p) for p in _list(obj, "parts", what)],
            expires_at=_str(obj, "expires_at", what),
        )


@dataclass(frozen=True, slots=True)
class RemotePart:
    """A part storage already holds (``GET /uploads/{id}/parts``, from S3 ListParts).

    Attributes:
        part_number: 1-based part number.
        etag: The part's ETag without surrounding quotes (the MD5 of the part for plain uploads).
        size: Bytes stored for this part.
        checksum: The base64 checksum the part holds, when known (storage lists it, or every URL
            of the part was signed with it); None otherwise.
    """

    part_number: int
    etag: str
    size: int
    checksum: str | None = None

    @classmethod
    def from_json(cls, data: object) -> RemotePart:
        """Parse ``{part_number, etag, size}``, stripping quotes from the ETag."""
        what = "stored part"
        obj = _obj(data, what)
        return cls(
            part_number=_int(obj, "part_number", what, minimum=1),
            etag=_str(obj, "etag", what).strip('"'),
            size=_int(obj, "size", what),
            checksum=_opt_str(obj, "checksum", what),
        )


@dataclass(frozen=True, slots=True)
class UploadReceipt:
    """The backend's receipt for a completed upload.

    Attributes:
        upload_id: The backend's upload id.
        key: Where the object lives.
        size: The stored object's size, which the backend checked against the declared size.
        etag: The object's ETag without quotes (``<md5-of-md5s>-<parts>`` for multipart objects).
        sha256: The SHA-256 the client declared, if any.
        completed_at: ISO 8601 UTC time of completion.
        receipt_id: Id of the signed receipt, when the server signs receipts.
        signed: The signed receipt (a compact JWS), when the server signs receipts.
        checksum_algorithm: What storage checked the parts against (``MD5`` when not said).
        checksum: The object's full base64 CRC as storage reports it (None for MD5 uploads).
    """

    upload_id: str
    key: str
    size: int
    etag: str
    sha256: str | None
    completed_at: str
    receipt_id: str | None = None
    signed: str | None = None
    checksum_algorithm: str = "MD5"
    checksum: str | None = None

    @classmethod
    def from_json(cls, data: object) -> UploadReceipt:
        """Parse ``{upload_id, key, size, etag, sha256, completed_at[, receipt_id, signed]}``."""
        what = "upload receipt"
        obj = _obj(data, what)
        return cls(
            upload_id=_str(obj, "upload_id", what),
            key=_str(obj, "key", what),
            size=_int(obj, "size", what),
            etag=_str(obj, "etag", what).strip('"'),
            sha256=_opt_str(obj, "sha256", what),
            completed_at=_str(obj, "completed_at", what),
            receipt_id=_opt_str(obj, "receipt_id", what),
            signed=_opt_str(obj, "signed", what),
            checksum_algorithm=_opt_str(obj, "checksum_algorithm", what) or "MD5",
            checksum=_opt_str(obj, "checksum", what),
        )


@dataclass(frozen=True, slots=True)
class UploadSummary:
    """One row of ``GET /uploads``.

    Attributes:
        upload_id: The backend's upload id.
        key: The object key.
        filename: The file name the client declared.
        size: Declared size in bytes.
        status: ``in_progress``, ``completed`` or ``aborted``.
        created_at: ISO 8601 creation time.
        completed_at: ISO 8601 completion time, when completed.
        username: The owner (the backend's ``owner``; useful in an admin's listing).
        exam_id: The exam the recording belongs to, when the backend returns metadata.
        kind: ``webcam``, ``screen`` or ``other``, when returned.
        etag: The object's ETag, when completed.
        sha256: The declared SHA-256, when given.
        content_type: The declared MIME type, when returned.
        part_size: Bytes per part, when returned.
        part_count: Number of parts, when returned.
        aborted_at: ISO 8601 time of the abort, when aborted.
    """

    upload_id: str
    key: str
    filename: str
    size: int
    status: str
    created_at: str
    completed_at: str | None = None
    username: str | None = None
    exam_id: str | None = None
    kind: str | None = None
    etag: str | None = None
    sha256: str | None = None
    content_type: str | None = None
    part_size: int | None = None
    part_count: int | None = None
    aborted_at: str | None = None

    @classmethod
    def from_json(cls, data: object) -> UploadSummary:
        """Parse one listed upload; optional fields may be missing or null."""
        what = "upload list"
        obj = _obj(data, what)
        metadata = obj.get("metadata")
        meta: Mapping[str, Any] = metadata if isinstance(metadata, Mapping) else {}
        exam_id = obj.get("exam_id", meta.get("exam_id"))
        kind = obj.get("kind", meta.get("kind"))
        etag = _opt_str(obj, "etag", what)
        owner = obj.get("owner", obj.get("username"))
        return cls(
            upload_id=_str(obj, "upload_id", what),
            key=_str(obj, "key", what),
            filename=_str(obj, "filename", what),
            size=_int(obj, "size", what),
            status=_str(obj, "status", what),
            created_at=_str(obj, "created_at", what),
            completed_at=_opt_str(obj, "completed_at", what),
            username=owner if isinstance(owner, str) else None,
            exam_id=exam_id if isinstance(exam_id, str) else None,
            kind=kind if isinstance(kind, str) else None,
            etag=etag.strip('"') if etag is not None else None,
            sha256=_opt_str(obj, "sha256", what),
            content_type=_opt_str(obj, "content_type", what),
            part_size=_opt_int(obj, "part_size", what),
            part_count=_opt_int(obj, "part_count", what),
            aborted_at=_opt_str(obj, "aborted_at", what),
        )


@dataclass(frozen=True, slots=True)
class UploadPage:
    """One page of ``GET /uploads``.

    Attributes:
        items: The uploads on this page.
        next_cursor: Pass it as ``cursor`` to get the next page; None on the last page.
    """

    items: list[UploadSummary]
    next_cursor: str | None

    @classmethod
    def from_json(cls, data: object) -> UploadPage:
        """Parse ``{uploads: [...], next_cursor}`` (``items`` is accepted too)."""
        what = "upload list"
        obj = _obj(data, what)
        key = "uploads" if "uploads" in obj else "items"
        return cls(
            items=[UploadSummary.from_json(i) for i in _list(obj, key, what)],
            next_cursor=_opt_str(obj, "next_cursor", what),
        )
