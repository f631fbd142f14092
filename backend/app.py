"""The app factory: settings -> database -> storage -> services -> routers."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from backend import __version__
from backend.admission import ArrivalOrder
from backend.db import open_configured
from backend.deps import Services
from backend.errors import BodySizeLimit, install_error_handlers
from backend.log import AccessLog
from backend.receipts.issuer import ReceiptIssuer
from backend.receipts.signing_keys import SigningKeys
from backend.routers import auth, exams, files, health, receipts, uploads
from backend.security import LoginThrottle, PasswordGate, TokenService, load_or_create_secret
from backend.settings import ENV_PREFIX, Settings, SettingsError
from backend.storage import S3Storage, Storage
from backend.uploads import UploadService

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
MAX_BODY_SIZE = 2 * 1024 * 1024


def prepare_data(settings: Settings) -> None:
    """Create the database schema, the JWT secret and the receipt key once, before workers start.

    Workers that each did it at once would race: the secret file could be read half-written, and
    switching a new database to WAL needs a moment alone with it.
    """
    db = open_configured(settings)
    try:
        db.prune_tokens(time.time())
    finally:
        db.close()
    jwt_secret(settings)
    SigningKeys(settings.data_dir)


def jwt_secret(settings: Settings) -> str:
    """The JWT secret; on a shared database it must be configured, the same for every instance.

    An instance that generated its own would reject the tokens the others issued (sign in on one
    instance, refresh on another: 401).

    Raises:
        SettingsError: A shared database and no configured secret.
    """
    if settings.shared_database and not settings.jwt_secret:
        raise SettingsError(
            f"{ENV_PREFIX}JWT_SECRET must be set when instances share a PostgreSQL database "
            "(the same value on each; see docs/deployment.md)"
        )
    return load_or_create_secret(settings.data_dir, settings.jwt_secret)


def build_services(settings: Settings, storage: Storage | None = None) -> Services:
    """Open the database, load the JWT secret and wire the services."""
    secret = jwt_secret(settings)
    db = open_configured(settings)
    db.prune_tokens(time.time())
    storage = storage or S3Storage(settings)
    signing_keys = SigningKeys(settings.data_dir)
    return Services(
        settings=settings,
        db=db,
        storage=storage,
        tokens=TokenService(
            db,
            secret,
            access_ttl=settings.access_token_ttl_seconds,
            refresh_ttl=settings.refresh_token_ttl_seconds,
        ),
        throttle=LoginThrottle(
            db,
            per_user_address=settings.login_max_failures,
            per_user=settings.login_max_failures_per_user,
            per_address=settings.login_max_failures_per_address,
            window=settings.login_failure_window_seconds,
            remember_s=settings.refresh_token_ttl_seconds,
        ),
        passwords=PasswordGate(settings.password_hash_concurrency),
        uploads=UploadService(
            settings, db, storage, ReceiptIssuer(signing_keys, settings.receipt_issuer)
        ),
        signing_keys=signing_keys,
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While serving, hear session changes (PostgreSQL) and checkpoint off the event loop
    (SQLite); at shutdown, stop, and close storage's kept-alive connections while their event loop
    still runs."""
    services: Services = app.state.services
    listener = None
    # On PostgreSQL each process remembers active sessions while it hears every instance's
    # changes. SQLite has no notifications, so no cache there: each request asks the database,
    # and `proctor-backend user disable` (another process) still ends tokens at once.
    if services.settings.shared_database:
        from backend.db.session_listener import SessionListener

        listener = SessionListener(services.settings.database, services.db.sessions)
        listener.start()
    try:
        with services.db.serving():
            yield
    finally:
        if listener is not None:
            listener.stop()
        await services.storage.aclose()


def create_app(settings: Settings, storage: Storage | None = None) -> FastAPI:
    """A ready ASGI app; `storage` defaults to S3 per `settings` (tests may pass their own)."""
    services = build_services(settings, storage)
    app = FastAPI(
        title="Proctor Uploader backend",
        version=__version__,
        description="Sign-in and presigned S3 multipart uploads of exam recordings (docs/api.md).",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    # Innermost: a body is counted against the limit before a request queues for its turn.
    app.add_middleware(
        ArrivalOrder,
        prefix=f"{API_PREFIX}/uploads",
        in_service=settings.upload_requests_in_service,
    )
    # The largest legitimate body, a completion of 10,000 parts, is under 1 MiB.
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_SIZE)
    app.add_middleware(AccessLog)
    # /health at the root too, for load balancers that probe there (kept out of the schema).
    app.add_api_route("/health", health.health, methods=["GET"], include_in_schema=False)
    for router in (
        health.router,
        auth.router,
        uploads.router,
        files.router,
        receipts.router,
        exams.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    _match_uploads_first(app)
    return app


def _match_uploads_first(app: FastAPI) -> None:
    """Try the upload routes first when matching a request, keeping the schema's order.

    The router tries its routes in order, and trying an included router costs its every route:
    an upload request used to be tried against the docs, health and sign-in routes first, ~5 % of
    its CPU. No path of one router matches another's (each has its own), so the order changes
    which is tried first, never which answers. The OpenAPI schema is built first, in the order
    above (FastAPI keeps it once built), so /openapi.json and the docs read as before.
    """
    app.openapi()
    routes = app.router.routes
    included = next(r for r in routes if getattr(r, "original_router", None) is uploads.router)
    routes.remove(included)
    routes.insert(0, included)
