"""Sign-in, token rotation, sign-out, and who am I."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response

from backend.deps import ServicesDep, UserDep
from backend.errors import ApiError
from backend.keys import validate_username
from backend.models import LoginRequest, MeResponse, RefreshRequest, TokenResponse
from backend.security import authenticate_password

logger = logging.getLogger(__name__)

router = APIRouter(tags=["auth"])

_ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "Bad credentials or token"}}


@router.post(
    "/auth/login",
    responses={
        **_ERRORS,
        429: {"description": "Too many failed sign-ins"},
        503: {"description": "Too many sign-ins being checked at once; retry after Retry-After"},
    },
)
def login(body: LoginRequest, request: Request, services: ServicesDep) -> TokenResponse:
    """Exchange a username and password for a token pair."""
    address = request.client.host if request.client else "unknown"
    try:
        username = validate_username(body.username)
    except ValueError:
        username = body.username.strip().lower()[:64]
    # A hash slot first: a sign-in refused for lack of one (503) is not counted as a failure.
    with services.passwords.slot():
        # Counted as a failure before the (slow) verification, so parallel guesses see each other.
        attempt = services.throttle.begin(username, address)
        # Before the account is read: the new session is remembered as this account's only if
        # no session changed meanwhile (the account may have been disabled since).
        read_at = services.db.sessions.mark()
        user = authenticate_password(services.db, username, body.password)
    if user is None:
        logger.info("Failed sign-in for %r from %s", username, address)
        raise ApiError(
            401,
            "invalid_credentials",
            "Wrong username or password, or the account is disabled.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    services.throttle.succeeded(attempt)
    pair = services.tokens.issue(user, read_at=read_at)
    logger.info("User %s signed in from %s", user.username, address)
    return TokenResponse(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post("/auth/refresh", responses=_ERRORS)
def refresh(body: RefreshRequest, services: ServicesDep) -> TokenResponse:
    """Rotate a refresh token: the old one stops working; presenting it again revokes them all."""
    pair = services.tokens.rotate(body.refresh_token)
    return TokenResponse(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post("/auth/logout", status_code=204, responses=_ERRORS)
def logout(body: RefreshRequest, services: ServicesDep) -> Response:
    """Revoke the refresh token (and every token rotated from the same sign-in)."""
    services.tokens.revoke(body.refresh_token)
    return Response(status_code=204)


@router.get("/me", responses=_ERRORS)
async def me(user: UserDep) -> MeResponse:
    """The signed-in user."""
    return MeResponse(username=user.username, role="admin" if user.is_admin else "user")
