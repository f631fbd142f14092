"""Typed request and response bodies: the OpenAPI contract that docs/api.md explains."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from backend.keys import EXAM_ID_PATTERN, validate_exam_id, validate_filename

Kind = Literal["webcam", "screen", "other"]
Status = Literal["in_progress", "completed", "aborted"]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]
# A base64 checksum: CRC32C (8 characters), CRC64NVME (12) or MD5 (24); the upload's algorithm
# decides which length is right, so the service checks it.
Base64Checksum = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{6,43}={0,2}$")]
ChecksumAlgorithm = Literal["CRC64NVME", "CRC32C", "MD5"]
PartNumber = Annotated[int, Field(strict=True, ge=1, le=10000)]


class _Body(BaseModel):
    # Unknown fields are refused so a misspelt field never silently means "not given".
    model_config = ConfigDict(extra="forbid", strict=False)


class LoginRequest(_Body):
    """Credentials."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(_Body):
    """A refresh token to rotate or revoke."""

    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenResponse(BaseModel):
    """A token pair."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class MeResponse(BaseModel):
    """The signed-in user."""

    username: str
    role: Literal["user", "admin"]


class HealthResponse(BaseModel):
    """Liveness."""

    status: Literal["ok"]
    version: str


class ReadinessResponse(BaseModel):
    """Readiness: the database and the storage bucket answer."""

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable"]
    storage: Literal["ok", "unavailable"]
    version: str


class UploadMetadata(_Body):
    """Exam metadata; it places the object under `recordings/{kind}/.../{exam_id}/`."""

    exam_id: str = Field(min_length=1, max_length=128, pattern=EXAM_ID_PATTERN)
    kind: Kind

    @field_validator("exam_id")
    @classmethod
    def _exam_id(cls, value: str) -> str:
        return validate_exam_id(value)


class CreateUploadRequest(_Body):
    """Start a multipart upload."""

    filename: str = Field(min_length=1, max_length=1024)
    # Strict: `true`, `1.5` or `"12"` as a byte count is a client bug, not something to guess at.
    size: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        description=(
            "Exact size in bytes. Leave it out for a recording still being written: the part "
            "size then fits the server's largest recording, part_count is the most parts the "
            "upload may have, and complete gives the final size."
        ),
    )
    content_type: str = Field(
        default="application/octet-stream",
        min_length=1,
        max_length=255,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*([\t\x20]*;[\t\x20]*[A-Za-z0-9!#$&^_.+-]+=[A-Za-z0-9!#$&^_.+\"-]+)*$",
    )
    sha256: Sha256Hex | None = None
    part_size: int | None = Field(
        default=None,
        strict=True,
        ge=5 * 1024 * 1024,
        le=5 * 1024 * 1024 * 1024,
        description="Hint in bytes; raised so that part_count <= 10000.",
    )
    metadata: UploadMetadata
    client_token: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description=(
            "A token the client keeps with its job (e.g. the job id). Sending the same token again "
            "returns the same in-progress upload instead of a new one, so a create whose answer "
            "was lost (crash, dropped connection) never leaves an orphaned upload behind."
        ),
    )

    @field_validator("filename")
    @classmethod
    def _filename(cls, value: str) -> str:
        return validate_filename(value)


class CreateUploadResponse(BaseModel):
    """The new upload."""

    upload_id: str
    key: str
    part_size: int
    part_count: int
    url_ttl_seconds: int
    checksum_algorithm: ChecksumAlgorithm = Field(
        description=(
            "What the client computes per part and sends to sign-parts: base64 CRC64NVME or "
            "CRC32C (required for every part), or MD5 (optional; stores without flexible "
            "checksums)."
        )
    )


class SignPartsRequest(_Body):
    """Ask for part URLs."""

    part_numbers: list[PartNumber] = Field(min_length=1, max_length=100)
    checksums: dict[str, Base64Checksum] | None = Field(
        default=None,
        description=(
            "Base64 checksum per part number ('1': '...') in the upload's checksum_algorithm; "
            "signed into the URL, so storage accepts only those bytes. Required for every part "
            "of a CRC64NVME/CRC32C upload."
        ),
    )


class SignedPart(BaseModel):
    """One presigned part URL."""

    part_number: int
    url: str
    headers: dict[str, str]


class SignPartsResponse(BaseModel):
    """Part URLs and when they stop working."""

    parts: list[SignedPart]
    expires_at: str = Field(description="ISO 8601 UTC.")


class StoredPartModel(BaseModel):
    """A part storage holds."""

    part_number: int
    etag: str = Field(description="Without quotes.")
    size: int
    checksum: str | None = Field(
        default=None,
        description=(
            "The part's base64 CRC: storage's own when it lists one, else the one every URL of "
            "this part was signed with; null when unknown (signed with several, or MD5)."
        ),
    )


class ListPartsResponse(BaseModel):
    """Parts storage holds for an upload."""

    parts: list[StoredPartModel]


class CompletePart(_Body):
    """A part to assemble."""

    part_number: PartNumber
    etag: str = Field(min_length=1, max_length=128, description="Quoted or not.")
    checksum: Base64Checksum | None = Field(
        default=None, description="The part's base64 CRC (required for CRC uploads)."
    )


class CompleteRequest(_Body):
    """Assemble the object."""

    parts: list[CompletePart] = Field(min_length=1, max_length=10000)
    sha256: Sha256Hex | None = None
    size: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        description="The final size: required when the upload was created without one.",
    )
    checksum: Base64Checksum | None = Field(
        default=None,
        description="The whole object's base64 CRC the client combined from its parts' CRCs.",
    )


class Receipt(BaseModel):
    """Proof of a stored object."""

    upload_id: str
    key: str
    size: int
    etag: str = Field(description="S3 multipart ETag, without quotes.")
    sha256: str | None
    completed_at: str = Field(description="ISO 8601 UTC.")
    bucket: str
    metadata: UploadMetadata
    receipt_id: str | None = Field(
        default=None, description="Id of the signed receipt (absent for uploads completed before)."
    )
    signed: str | None = Field(
        default=None,
        description="The signed receipt: a compact JWS (EdDSA), verifiable with the keys at "
        "/receipts/keys (docs/api.md).",
    )

    checksum_algorithm: ChecksumAlgorithm = Field(
        default="MD5", description="What storage checked the parts against."
    )
    checksum: str | None = Field(
        default=None,
        description=(
            "The object's full base64 CRC as storage reports it (HeadObject), equal to the one "
            "the parts' checksums combine to; null for MD5 uploads."
        ),
    )


class PublicJwk(BaseModel):
    """One public key of the receipt-signing JWK Set (RFC 8037: Ed25519)."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str = Field(description="The public key, base64url.")
    kid: str = Field(description="Key id: the RFC 7638 thumbprint of the key.")
    alg: Literal["EdDSA"]
    use: Literal["sig"]


class ReceiptKeySet(BaseModel):
    """Every public key that signs or signed receipts, newest (the current signer) first."""

    keys: list[PublicJwk]


class UploadInfo(BaseModel):
    """One upload as listed."""

    upload_id: str
    key: str
    filename: str
    size: int | None = Field(description="None while a recording is still being sent.")
    content_type: str
    part_size: int
    part_count: int
    status: Status
    owner: str
    metadata: UploadMetadata
    sha256: str | None
    created_at: str
    completed_at: str | None
    aborted_at: str | None
    etag: str | None


class UploadList(BaseModel):
    """A page of uploads, newest first."""

    uploads: list[UploadInfo]
    next_cursor: str | None


class PresignedUrlRequest(BaseModel):
    """The single-PUT request of existing clients (camelCase, as they send it)."""

    model_config = ConfigDict(extra="forbid")

    fileName: str = Field(min_length=1, max_length=1024)
    contentType: str = Field(
        default="application/octet-stream",
        min_length=1,
        max_length=255,
        # Visible ASCII only: it is signed into the URL and sent as a header.
        pattern=r"^[!-.0-~]+/[!-~]+$",
    )
    examId: str = Field(default="unassigned", max_length=128, pattern=EXAM_ID_PATTERN)
    kind: Kind = "other"

    @field_validator("fileName")
    @classmethod
    def _filename(cls, value: str) -> str:
        return validate_filename(value)

    @field_validator("examId")
    @classmethod
    def _exam_id(cls, value: str) -> str:
        # The pattern cannot say "no `..`"; without this, `A..B` reached the key builder (500).
        return validate_exam_id(value)


class PresignedUrlResponse(BaseModel):
    """Where to PUT the whole file."""

    uploadUrl: str
    fileUrl: str
    key: str
    headers: dict[str, str]
    expiresAt: str


class ExamAudit(BaseModel):
    """The latest audit of an upload's stored object."""

    result: Literal["audited", "MISMATCH"]
    at: str = Field(description="ISO 8601 UTC.")
    detail: str


class ExamUpload(BaseModel):
    """One upload of the exam."""

    upload_id: str
    filename: str
    kind: Kind
    state: Status
    bytes: int | None = Field(description="Null while a growing recording's size is unknown.")
    key: str
    created_at: str
    completed_at: str | None
    receipt: str | None = Field(description="Id of the signed receipt, once completed.")
    signed: bool
    audited: ExamAudit | None = Field(description="The latest audit; null before any.")


class ExamProctor(BaseModel):
    """One proctor's uploads of the exam, oldest first."""

    username: str
    uploads: list[ExamUpload]


class ExamTotals(BaseModel):
    """Counts over the whole exam."""

    uploads: int
    completed: int
    in_progress: int
    aborted: int
    bytes_completed: int
    signed: int
    audited: int
    mismatches: int


class ExamReport(BaseModel):
    """Per proctor, every upload of one exam: is every recording in, signed and audited?"""

    exam_id: str
    proctors: list[ExamProctor]
    totals: ExamTotals
