"""Multipart uploads: create, sign parts, list parts, complete, abort, list."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from backend.db import UploadRecord
from backend.deps import ServicesDep, UserDep
from backend.errors import ApiError
from backend.lean_route import LeanRoute
from backend.models import (
    CompleteRequest,
    CreateUploadRequest,
    CreateUploadResponse,
    ListPartsResponse,
    Receipt,
    SignedPart,
    SignPartsRequest,
    SignPartsResponse,
    Status,
    StoredPartModel,
    UploadInfo,
    UploadList,
)
from backend.storage import PartToComplete
from backend.uploads import algorithm_of, iso

# The hot routes of an upload (create, sign, complete) skip FastAPI's dependency solving.
router = APIRouter(tags=["uploads"], route_class=LeanRoute)

_COMMON: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid access token"},
    404: {"description": "No such upload (or not yours), or storage no longer has it"},
    502: {"description": "Storage failed"},
    503: {"description": "Storage unavailable"},
}


def _json(model: BaseModel, status_code: int = 200) -> Response:
    """`model` as the response body, serialised once.

    A route that returns the model itself has FastAPI validate it again against the route's
    `response_model` before serialising it, and for a plain `def` route it does that on the
    thread pool: a second hop per request. Our models were validated when built; the route still
    declares `response_model`, so the OpenAPI schema is unchanged.
    """
    return Response(model.model_dump_json(), status_code, media_type="application/json")


@router.post(
    "/uploads",
    status_code=201,
    response_model=CreateUploadResponse,
    responses={**_COMMON, 413: {"description": "Larger than the server allows"}},
)
async def create_upload(
    body: CreateUploadRequest, user: UserDep, services: ServicesDep
) -> Response:
    """Choose the key and create the S3 multipart upload."""
    rec = await services.uploads.create(
        user,
        filename=body.filename,
        size=body.size,
        content_type=body.content_type,
        sha256=body.sha256,
        part_size_hint=body.part_size,
        exam_id=body.metadata.exam_id,
        kind=body.metadata.kind,
        client_token=body.client_token,
    )
    created = CreateUploadResponse(
        upload_id=rec.upload_id,
        key=rec.key,
        part_size=rec.part_size,
        part_count=rec.part_count,
        url_ttl_seconds=services.settings.url_ttl_seconds,
        checksum_algorithm=algorithm_of(rec),  # type: ignore[arg-type]
    )
    return _json(created, 201)


# Every route here is a coroutine: a plain `def` route pays a thread-pool hop per request (and
# waits for one of its 40 threads in a burst). Storage calls are awaited on the event loop;
# SQLite and PostgreSQL calls are short and run on it directly.


@router.get("/uploads", responses=_COMMON)
async def list_uploads(
    user: UserDep,
    services: ServicesDep,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> UploadList:
    """The caller's uploads, newest first (an admin sees everyone's)."""
    rows, next_seq = services.uploads.list(
        user, status=status, limit=limit, cursor=_decode_cursor(cursor)
    )
    return UploadList(
        uploads=[_info(r) for r in rows],
        next_cursor=_encode_cursor(next_seq) if next_seq is not None else None,
    )


@router.get("/uploads/{upload_id}", responses=_COMMON)
async def get_upload(upload_id: str, user: UserDep, services: ServicesDep) -> UploadInfo:
    """One of the caller's uploads."""
    return _info(services.uploads.get(user, upload_id))


@router.post("/uploads/{upload_id}/parts", response_model=SignPartsResponse, responses=_COMMON)
async def sign_parts(
    upload_id: str, body: SignPartsRequest, user: UserDep, services: ServicesDep
) -> Response:
    """Presigned PUT URLs for up to 100 parts."""
    signed, expires_at = services.uploads.sign_parts(
        user, upload_id, body.part_numbers, body.checksums
    )
    return _json(
        SignPartsResponse(
            parts=[SignedPart(part_number=n, url=r.url, headers=r.headers) for n, r in signed],
            expires_at=expires_at,
        )
    )


@router.get("/uploads/{upload_id}/parts", responses=_COMMON)
async def list_parts(upload_id: str, user: UserDep, services: ServicesDep) -> ListPartsResponse:
    """The parts storage holds (S3 ListParts): what a resuming client still has to send."""
    parts = await services.uploads.list_parts(user, upload_id)
    return ListPartsResponse(
        parts=[
            StoredPartModel(
                part_number=p.part_number, etag=p.etag, size=p.size, checksum=p.checksum
            )
            for p in parts
        ]
    )


@router.post(
    "/uploads/{upload_id}/complete",
    response_model=Receipt,
    responses={**_COMMON, 409: {"description": "Size or SHA-256 mismatch"}},
)
async def complete(
    upload_id: str, body: CompleteRequest, user: UserDep, services: ServicesDep
) -> Response:
    """Assemble the object; completing again returns the same receipt."""
    receipt = await services.uploads.complete(
        user,
        upload_id,
        [PartToComplete(p.part_number, p.etag, p.checksum) for p in body.parts],
        body.sha256,
        body.size,
        body.checksum,
    )
    return _json(Receipt.model_validate(receipt))


@router.delete("/uploads/{upload_id}", status_code=204, responses=_COMMON)
async def abort(upload_id: str, user: UserDep, services: ServicesDep) -> Response:
    """Abort the multipart upload; storage frees its parts."""
    await services.uploads.abort(user, upload_id)
    return Response(status_code=204)


def _info(rec: UploadRecord) -> UploadInfo:
    return UploadInfo(
        upload_id=rec.upload_id,
        key=rec.key,
        filename=rec.filename,
        size=rec.size,
        content_type=rec.content_type,
        part_size=rec.part_size,
        part_count=rec.part_count,
        status=rec.status,  # type: ignore[arg-type]
        owner=rec.username,
        metadata={"exam_id": rec.exam_id, "kind": rec.kind},  # type: ignore[arg-type]
        sha256=rec.sha256,
        created_at=iso(rec.created_at) or "",
        completed_at=iso(rec.completed_at),
        aborted_at=iso(rec.aborted_at),
        etag=rec.etag,
    )


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        digits = raw[1:]
        # A sequence number fits a signed 64-bit column; a longer one overflowed the query (500).
        if raw.startswith("s") and digits.isascii() and digits.isdigit() and len(digits) <= 18:
            return int(digits)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError(422, "invalid_request", "cursor is not one this server returned.")
