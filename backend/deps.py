"""Request dependencies: the service objects and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.db import Database
from backend.errors import unauthorized
from backend.receipts.signing_keys import SigningKeys
from backend.security import LoginThrottle, PasswordGate, Principal, TokenService
from backend.settings import Settings
from backend.storage import Storage
from backend.uploads import UploadService


@dataclass(frozen=True, slots=True)
class Services:
    """What the routers work with; built once by `create_app`.

    Attributes:
        settings: The frozen settings.
        db: SQLite access.
        storage: The storage adapter.
        tokens: Token issuing and checking.
        throttle: Failed-login counting.
        passwords: Bounds the password hashes running at once.
        uploads: Upload rules.
        signing_keys: The receipt-signing keys (their public halves are published).
    """

    settings: Settings
    db: Database
    storage: Storage
    tokens: TokenService
    throttle: LoginThrottle
    passwords: PasswordGate
    uploads: UploadService
    signing_keys: SigningKeys


# The two dependencies below are coroutines on purpose: FastAPI runs a plain `def` dependency on
# the thread pool, a hop that cost ~10 % of the backend's CPU per request under a burst. Neither
# blocks: token checks are CPU-only plus two indexed SQLite reads.


async def get_services(request: Request) -> Services:
    """The app's services."""
    services: Services = request.app.state.services
    return services


_bearer = HTTPBearer(
    auto_error=False, description="Access token from /auth/login or /auth/refresh."
)


async def current_user(
    services: Annotated[Services, Depends(get_services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of a request carrying a valid access token; 401 otherwise."""
    if credentials is None or not credentials.credentials:
        raise unauthorized("Sign in first: send 'Authorization: Bearer <access token>'.")
    return services.tokens.authenticate(credentials.credentials)


ServicesDep = Annotated[Services, Depends(get_services)]
UserDep = Annotated[Principal, Depends(current_user)]
