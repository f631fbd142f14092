"""Liveness and readiness."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend import __version__
from backend.deps import ServicesDep
from backend.models import HealthResponse, ReadinessResponse
from backend.storage import StorageError

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> HealthResponse:
    """The process answers (it does not touch storage: use /health/ready for that)."""
    return HealthResponse(status="ok", version=__version__)


@router.get(
    "/health/ready",
    response_model=ReadinessResponse,
    responses={503: {"model": ReadinessResponse, "description": "Database or storage unavailable"}},
)
def ready(services: ServicesDep) -> JSONResponse:
    """The database and the storage bucket both answer."""
    try:
        services.db.ping()
        database: Literal["ok", "unavailable"] = "ok"
    except Exception:
        logger.warning("Readiness: database unavailable", exc_info=True)
        database = "unavailable"
    try:
        services.storage.check()
        storage: Literal["ok", "unavailable"] = "ok"
    except StorageError as exc:
        logger.warning("Readiness: storage unavailable: %s", exc)
        storage = "unavailable"
    ok = database == "ok" and storage == "ok"
    body = ReadinessResponse(
        status="ok" if ok else "unavailable",
        database=database,
        storage=storage,
        version=__version__,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
