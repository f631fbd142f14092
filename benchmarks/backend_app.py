"""An import-string app factory for uvicorn's multi-worker mode (`--workers N --factory`).

Each worker process builds the backend exactly as `proctor-backend serve` does, from the
`PROCTOR_BACKEND_*` environment.
"""

from __future__ import annotations

from fastapi import FastAPI

from backend.app import create_app
from backend.log import setup_logging
from backend.settings import Settings


def create() -> FastAPI:
    """The backend app for one uvicorn worker."""
    settings = Settings.from_env()
    setup_logging(settings.log_level)
    return create_app(settings)
