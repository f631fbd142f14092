"""Passwords (argon2id), JWTs (HS256), refresh-token rotation and family revocation, throttling."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend.db import Database, User
from backend.errors import ApiError, unauthorized

logger = logging.getLogger(__name__)

JWT_ALGORITHM = "HS256"
_SECRET_FILE = "jwt-secret"
_hasher = PasswordHasher()  # argon2id, memory-hard (64 MiB, t=3, p=4)
# Verified when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 8
# Verified access tokens remembered per process: one per signed-in workstation of a large exam
# centre, ~0.5 KiB each.
VERIFIED_TOKENS_KEPT = 10_000


def hash_password(password: str) -> str:
    """The argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if `password` matches `password_hash`."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str) -> None:
    """Raise ValueError unless `password` is acceptable for a new account."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise ValueError("password must be at most 1024 characters")


def load_or_create_secret(data_dir: Path, configured: str) -> str:
    """The JWT secret: `configured` if given, else one generated once in `data_dir` (0600).

    The file appears whole or not at all (written aside, then hard-linked into place), so processes
    starting at once on one data folder all end up with the same secret and none reads it half
    written.
    """
    if configured:
        return configured
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / _SECRET_FILE
    if path.exists():
        return _read_secret(path)
    secret = secrets.token_urlsafe(48)
    aside = data_dir / f".{_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secret + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(aside, path)  # atomic, and fails if another process got there first
        except FileExistsError:
            return _read_secret(path)
    finally:
        aside.unlink(missing_ok=True)
    logger.info("Generated a new JWT secret in %s", path)
    return secret


def _read_secret(path: Path) -> str:
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < 32:
        raise RuntimeError(f"{path} holds a JWT secret shorter than 32 characters")
    if path.stat().st_mode & 0o077:
        logger.warning("JWT secret file %s is readable by others; tightening to 0600", path)
        path.chmod(0o600)
    return secret


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What login and refresh return.

    Attributes:
        access_token: Short-lived bearer token.
        refresh_token: Long-lived, single-use token.
        expires_in: Seconds until the access token expires.
    """

    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request.

    Attributes:
        user_id: Row id.
        username: Login name.
        role: `user` or `admin`.
    """

    user_id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        """Admins see everyone's uploads in listings."""
        return self.role == "admin"


class TokenService:
    """Issues and checks access and refresh tokens."""

    def __init__(self, db: Database, secret: str, *, access_ttl: int, refresh_ttl: int) -> None:
        """Sign with `secret`; lifetimes in seconds."""
        self._db = db
        self._secret = secret
        self._access_ttl = access_ttl
        self._refresh_ttl = refresh_ttl
        # Access tokens already verified, by their exact text: a workstation sends the same token
        # with every request for its lifetime, and checking its signature and claims again cost
        # ~0.1 ms each time. Only the signature and the claims' shape are remembered; expiry is
        # checked on every use and the session (revocation, disabled user) is checked on every
        # request (`Database.active_session_user`).
        self._verified: dict[str, dict[str, Any]] = {}
        self._verified_lock = threading.Lock()

    def issue(
        self, user: User, family_id: str | None = None, *, read_at: int | None = None
    ) -> TokenPair:
        """A fresh access token and a refresh token in `family_id` (a new family when None).

        `read_at` is the database's `sessions.mark()` from before `user` was read: given, the
        session is remembered as active (it was just created or checked), so the first request
        with the new access token needs no session query.
        """
        now = time.time()
        family_id = family_id or uuid.uuid4().hex
        jti = uuid.uuid4().hex
        # `fam` ties the access token to its sign-in, so logout or a detected refresh-token
        # reuse ends it at once instead of when it expires.
        access = self._encode(
            {
                "sub": user.username,
                "uid": user.id,
                "role": user.role,
                "typ": "access",
                "fam": family_id,
            },
            now,
            self._access_ttl,
        )
        refresh = self._encode(
            {"sub": user.username, "uid": user.id, "typ": "refresh", "jti": jti, "fam": family_id},
            now,
            self._refresh_ttl,
        )
        self._db.add_refresh_token(
            jti=jti,
            family_id=family_id,
            user_id=user.id,
            issued_at=now,
            expires_at=now + self._refresh_ttl,
        )
        if read_at is not None:
            self._db.sessions.put(family_id, user, read_at)
        return TokenPair(access, refresh, self._access_ttl)

    def _encode(self, claims: dict[str, Any], now: float, ttl: int) -> str:
        payload = {**claims, "iat": int(now), "exp": int(now) + ttl}
        return jwt.encode(payload, self._secret, algorithm=JWT_ALGORITHM)

    def _decode(self, token: str, typ: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[JWT_ALGORITHM],
                options={"require": ["exp", "iat", "sub", "uid", "typ"]},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized(f"The {typ} token has expired.") from None
        except jwt.PyJWTError:
            raise unauthorized(f"The {typ} token is not valid.") from None
        if claims.get("typ") != typ or not isinstance(claims.get("uid"), int):
            raise unauthorized(f"The {typ} token is not valid.")
        return claims

    def _access_claims(self, token: str) -> dict[str, Any]:
        """The claims of a valid, unexpired access token, verified once per token text."""
        claims = self._verified.get(token)
        if claims is None:
            claims = self._decode(token, "access")
            with self._verified_lock:
                if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                    # Bounded: the oldest entry goes (dicts keep insertion order).
                    self._verified.pop(next(iter(self._verified)), None)
                self._verified[token] = claims
        elif claims["exp"] <= time.time():
            self._verified.pop(token, None)
            raise unauthorized("The access token has expired.")
        return claims

    def authenticate(self, token: str) -> Principal:
        """The principal of a valid access token of an enabled user; 401 otherwise."""
        claims = self._access_claims(token)
        family = claims.get("fam")
        if isinstance(family, str):
            # The common case in one query; the checks below find out which rule failed.
            user = self._db.active_session_user(family, claims["uid"])
            if user is not None and not user.disabled and user.username == claims["sub"]:
                return Principal(user.id, user.username, user.role)
        if family is not None and (
            not isinstance(family, str) or not self._db.family_active(family)
        ):
            raise unauthorized("This sign-in has ended (signed out or revoked); sign in again.")
        user = self._db.get_user_by_id(claims["uid"])
        if user is None or user.disabled or user.username != claims["sub"]:
            raise unauthorized("The account of this token is disabled or no longer exists.")
        return Principal(user.id, user.username, user.role)

    def rotate(self, refresh_token: str) -> TokenPair:
        """Exchange a refresh token for a new pair; reusing a rotated token revokes its family."""
        claims = self._decode(refresh_token, "refresh")
        read_at = self._db.sessions.mark()
        jti, family = claims.get("jti"), claims.get("fam")
        if not isinstance(jti, str) or not isinstance(family, str):
            raise unauthorized("The refresh token is not valid.")
        outcome = self._db.use_refresh_token(jti, family, time.time())
        if outcome == "reused":
            logger.warning(
                "Refresh token reuse for user %s: revoked its whole token family", claims["sub"]
            )
            raise unauthorized("This refresh token was already used; the session has been revoked.")
        if outcome != "ok":
            raise unauthorized(f"The refresh token is not valid ({outcome}).")
        user = self._db.get_user_by_id(claims["uid"])
        if user is None or user.disabled:
            self._db.revoke_family(family, "user disabled", time.time())
            raise unauthorized("The account of this token is disabled or no longer exists.")
        return self.issue(user, family, read_at=read_at)

    def revoke(self, refresh_token: str) -> None:
        """Revoke the family of a refresh token; expired or unknown tokens are already harmless."""
        try:
            claims = jwt.decode(
                refresh_token,
                self._secret,
                algorithms=[JWT_ALGORITHM],
                options={"verify_exp": False},
            )
        except jwt.PyJWTError:
            raise unauthorized("The refresh token is not valid.") from None
        family = claims.get("fam")
        if claims.get("typ") != "refresh" or not isinstance(family, str):
            raise unauthorized("The refresh token is not valid.")
        self._db.revoke_family(family, "logout", time.time())


@dataclass(frozen=True, slots=True)
class Attempt:
    """A sign-in attempt, already counted as a failure until `LoginThrottle.succeeded` says not.

    Attributes:
        username: The name tried.
        address: The client address it came from.
        row_ids: Its rows in `login_failures` (one per scope).
    """

    username: str
    address: str
    row_ids: list[int]


class PasswordGate:
    """Bounds how many password hashes run at once in this process.

    Each argon2 hash holds 64 MiB for ~0.2 s. Unbounded, 48 parallel wrong sign-ins took one
    process from 95 MB to 2 GiB; with a few slots memory stays flat and the rest are told when
    to retry.
    """

    def __init__(self, slots: int, wait_s: float = 2.0) -> None:
        """Allow `slots` hashes at once; a sign-in waits up to `wait_s` for one."""
        self._slots = threading.BoundedSemaphore(slots)
        self._wait_s = wait_s

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for one hash, or raise 503 (with Retry-After) when none frees up in time."""
        if not self._slots.acquire(timeout=self._wait_s):
            raise ApiError(
                503,
                "busy",
                "The server is checking many sign-ins right now; retry in a moment.",
                headers={"Retry-After": "2"},
            )
        try:
            yield
        finally:
            self._slots.release()


class LoginThrottle:
    """Counts failed logins per user and address, per address, and per user from strangers.

    A user's own workstations (addresses it signed in from within the window of its sessions)
    are judged only by their own count, so guesses from elsewhere cannot lock the user out; other
    addresses also share the user's count, so guessing from many addresses is bounded too.

    The counts live in the database, so every worker process and every instance shares them,
    and an attempt is counted before its password is verified: guesses verified in parallel
    cannot get more than the limit between them.
    """

    def __init__(
        self,
        db: Database,
        *,
        per_user_address: int,
        per_user: int,
        per_address: int,
        window: int,
        remember_s: int,
    ) -> None:
        """Allow that many failures within `window` seconds; addresses count as the user's own
        for `remember_s` seconds after a successful sign-in from them."""
        self._db = db
        self._per_user_address = per_user_address
        self._per_user = per_user
        self._per_address = per_address
        self._window = window
        self._remember_s = remember_s

    def begin(self, username: str, address: str) -> Attempt:
        """Count an attempt in its scopes, or raise 429 when one is over its limit."""
        now = time.time()
        limits = {
            f"pair:{username}@{address}": self._per_user_address,
            f"addr:{address}": self._per_address,
        }
        if not self._db.known_address(username, address, since=now - self._remember_s):
            limits[f"user:{username}"] = self._per_user
        row_ids, over = self._db.begin_attempt(limits, now, now - self._window)
        if over is not None:
            oldest = over[1]
            retry_after = max(1, int((oldest or now) + self._window - now) + 1)
            raise ApiError(
                429,
                "too_many_attempts",
                f"Too many failed sign-ins; try again in {retry_after} seconds.",
                headers={"Retry-After": str(retry_after)},
            )
        return Attempt(username, address, row_ids)

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt was right: it is not a failure, this address's count for the user starts
        over, and the address is the user's own from now on. The user's count from strangers and
        the address's own count stay: one valid sign-in must not reset an attacker's budget."""
        self._db.forget_failures(attempt.row_ids)
        self._db.clear_failures(f"pair:{attempt.username}@{attempt.address}")
        self._db.remember_address(attempt.username, attempt.address, time.time())


def authenticate_password(db: Database, username: str, password: str) -> User | None:
    """The enabled user whose password matches, else None (always spending one argon2 verify)."""
    user = db.get_user(username)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or user.disabled:
        return None
    return user
