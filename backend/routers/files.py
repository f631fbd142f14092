"""Single-PUT presigned URLs for small files and existing clients."""

from __future__ import annotations

from fastapi import APIRouter

from backend.deps import ServicesDep, UserDep
from backend.models import PresignedUrlRequest, PresignedUrlResponse

router = APIRouter(tags=["files"])


@router.post(
    "/files/presigned-url",
    responses={
        401: {"description": "Missing or invalid access token"},
        413: {"description": "The user is at their quota"},
        503: {"description": "Storage unavailable"},
    },
)
async def presigned_url(
    body: PresignedUrlRequest, user: UserDep, services: ServicesDep
) -> PresignedUrlResponse:
    """A URL that accepts the whole file by one PUT (S3 caps a single PUT at 5 GiB).

    Send the returned `headers` (the Content-Type is part of the signature).
    """
    key, req, file_url, expires_at = await services.uploads.presign_single(
        user,
        filename=body.fileName,
        content_type=body.contentType,
        exam_id=body.examId,
        kind=body.kind,
    )
    return PresignedUrlResponse(
        uploadUrl=req.url, fileUrl=file_url, key=key, headers=req.headers, expiresAt=expires_at
    )
