"""The rows the repository hands out, as frozen values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class User:
    """A row of `users` (the password hash stays in the database layer's callers that need it).

    Attributes:
        id: Row id.
        username: Lower-case login name.
        password_hash: argon2 hash.
        role: `user` or `admin`.
        disabled: A disabled user cannot sign in or use tokens.
        created_at: Unix time.
    """

    id: int
    username: str
    password_hash: str
    role: str
    disabled: bool
    created_at: float


@dataclass(frozen=True, slots=True)
class UploadRecord:
    """A row of `uploads`.

    Attributes:
        seq: Insertion order (the list cursor).
        upload_id: Public id.
        s3_upload_id: Storage's multipart upload id (never leaves the backend).
        user_id: Owner.
        username: Owner's name at creation.
        key: Object key.
        filename: Sanitised filename.
        content_type: Declared content type.
        size: Declared size in bytes; None until an upload created without one (a recording
            still being written) completes.
        part_size: Bytes per part (the last may be smaller).
        part_count: Number of parts (for a size not known yet: the most it may have).
        sha256: Client-declared SHA-256 (hex), if any.
        exam_id: Exam metadata.
        kind: `webcam`, `screen` or `other`.
        status: `in_progress`, `completed` or `aborted`.
        created_at: Unix time.
        completed_at: Unix time or None.
        aborted_at: Unix time or None.
        etag: Multipart ETag (no quotes) once completed.
        receipt: The receipt once completed.
        checksum_algorithm: What storage checks the parts against (`CRC64NVME`, `CRC32C`,
            `MD5`); None for uploads created before it was recorded (they used MD5).
    """

    seq: int
    upload_id: str
    s3_upload_id: str
    user_id: int
    username: str
    key: str
    filename: str
    content_type: str
    size: int | None
    part_size: int
    part_count: int
    sha256: str | None
    exam_id: str
    kind: str
    status: str
    created_at: float
    completed_at: float | None
    aborted_at: float | None
    etag: str | None
    receipt: dict[str, Any] | None
    checksum_algorithm: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A row of `audits`: one reading of a stored object, compared with its receipt.

    Attributes:
        upload_id: The upload whose object was read.
        audited_at: Unix time of the audit.
        result: `audited` (it matches its receipt) or `MISMATCH`.
        size: Bytes read (None when the object was missing).
        sha256: SHA-256 of the bytes read (None when the object was missing).
        detail: What matched, or what differed, in words.
    """

    upload_id: str
    audited_at: float
    result: str
    size: int | None
    sha256: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class SignedParts:
    """What the part URLs of one upload were signed with.

    Attributes:
        checksums: Every checksum a URL of each part number was signed with.
        lengths_signed: Every one of those URLs was signed with its part's planned size as its
            Content-Length, so storage held no part of another size (vacuously true for none).
    """

    checksums: dict[int, set[str]]
    lengths_signed: bool
