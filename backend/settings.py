"""One frozen settings object, read from `PROCTOR_BACKEND_<NAME>` env vars and CLI overrides."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from backend.checksums import INTEGRITY_CHOICES, Integrity

ENV_PREFIX = "PROCTOR_BACKEND_"
MIB = 1024 * 1024
GIB = 1024 * MIB
TIB = 1024 * GIB

AddressingStyle = Literal["path", "virtual", "auto"]


class SettingsError(ValueError):
    """A setting has a value the service cannot run with; the message names the env var."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from its environment.

    Attributes:
        host: Address `serve` binds.
        port: Port `serve` binds.
        bucket: S3 bucket that receives the recordings.
        region: S3 region used for signing.
        s3_endpoint_url: Endpoint the backend's own S3 calls use; empty means AWS.
        s3_public_endpoint_url: Endpoint the presigned URLs point at (clients reach storage there);
            empty means the same as `s3_endpoint_url`.
        s3_addressing_style: `path`, `virtual` or `auto` (botocore's choice).
        data_dir: Holds the database and the generated JWT secret.
        db: SQLite database path; empty means `data_dir/backend.sqlite3`.
        database_url: `postgresql://USER[:PASSWORD]@HOST:PORT/DB` to share one PostgreSQL
            between several instances; empty means the SQLite file (`db`). Several instances also
            need one `jwt_secret` and one `receipt-keys.json` between them (docs/deployment.md).
        database_pool_size: Connections each process keeps to PostgreSQL at most.
        jwt_secret: HS256 secret; empty means generate once into `data_dir/jwt-secret` (0600).
        url_ttl_seconds: Lifetime of presigned URLs.
        access_token_ttl_seconds: Lifetime of access tokens.
        refresh_token_ttl_seconds: Lifetime of refresh tokens (and of their family).
        max_upload_size: Largest declared upload size in bytes (200 GiB: hours of screen
            recording, far from S3's 5 TiB, so one mistaken or hostile declaration stays bounded).
        user_quota_bytes: Most bytes one user's uploads may declare within `user_quota_days`
            (in progress or completed); 0 means no quota.
        user_quota_days: The window the quota counts in (recordings are usually purged after
            about a month).
        default_part_size: Part size when the client gives no hint.
        open_upload_capacity: The largest recording an upload created without a size (a
            recording still being written) can hold: its part size is chosen so that this many
            bytes fit in 10,000 parts (200 GiB: 21 MiB parts). Smaller means smaller parts, so
            less is left to send when a recording ends.
        login_max_failures: Failed logins of one user from one client address within the window
            before that address gets 429 for that user.
        login_max_failures_per_user: Failed logins of one user, from every address it has not
            signed in from before, within the window before those addresses get 429; the
            addresses the user signed in from keep working, so strangers cannot lock it out.
        login_max_failures_per_address: Failed logins from one client address within the window
            before 429 (higher than the per-user limit: many proctors may share one NAT address).
        upload_requests_in_service: Requests on the upload routes one process serves at once;
            later ones wait in the order they arrived (`backend.admission`). Raise it when storage
            is far away (each of these requests waits for storage's answers).
        password_hash_concurrency: Password hashes (64 MiB of argon2 each) one process computes
            at once; sign-ins beyond it wait briefly, then get 503 with Retry-After.
        login_failure_window_seconds: The window those failures count in.
        s3_connect_timeout_seconds: Connect timeout of the backend's own S3 calls.
        s3_read_timeout_seconds: Read timeout of the backend's own S3 calls (completing a large
            upload can take a while).
        log_level: Root log level of `serve`.
        receipt_issuer: The `iss` of every signed receipt: who vouches for it (e.g. the
            organisation's URL).
        workers: Worker processes `serve` runs (one per CPU core is a good start); they share the
            listening socket, the database, the JWT secret and the login throttle.
        integrity: What storage checks every part against: `crc64nvme` (default) or `crc32c`
            (S3 flexible checksums: signed into each part URL, combined into a full-object
            checksum that is compared at completion), or `md5` for stores without flexible
            checksums (signed Content-MD5 per part, multipart ETag per object).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    bucket: str = "proctor-recordings"
    region: str = "us-east-1"
    s3_endpoint_url: str = ""
    s3_public_endpoint_url: str = ""
    s3_addressing_style: AddressingStyle = "path"
    data_dir: Path = field(default_factory=lambda: Path("./proctor-backend-data"))
    db: str = ""
    database_url: str = field(default="", repr=False)
    database_pool_size: int = 10
    jwt_secret: str = field(default="", repr=False)
    url_ttl_seconds: int = 900
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    max_upload_size: int = 200 * GIB
    user_quota_bytes: int = 0
    user_quota_days: int = 30
    default_part_size: int = 16 * MIB
    open_upload_capacity: int = 200 * GIB
    login_max_failures: int = 5
    login_max_failures_per_user: int = 50
    login_max_failures_per_address: int = 50
    login_failure_window_seconds: int = 300
    password_hash_concurrency: int = 2
    upload_requests_in_service: int = 32
    s3_connect_timeout_seconds: int = 5
    s3_read_timeout_seconds: int = 120
    log_level: str = "INFO"
    receipt_issuer: str = "proctor-backend"
    workers: int = 1
    integrity: Integrity = "crc64nvme"

    def __post_init__(self) -> None:
        if self.s3_addressing_style not in get_args(AddressingStyle):
            raise SettingsError(
                f"{ENV_PREFIX}S3_ADDRESSING_STYLE must be path, virtual or auto, "
                f"not {self.s3_addressing_style!r}"
            )
        if self.integrity not in INTEGRITY_CHOICES:
            raise SettingsError(
                f"{ENV_PREFIX}INTEGRITY must be one of {', '.join(INTEGRITY_CHOICES)}, "
                f"not {self.integrity!r}"
            )
        positive = (
            "url_ttl_seconds",
            "access_token_ttl_seconds",
            "refresh_token_ttl_seconds",
            "max_upload_size",
            "open_upload_capacity",
            "login_max_failures",
            "login_max_failures_per_user",
            "user_quota_days",
            "password_hash_concurrency",
            "upload_requests_in_service",
            "login_max_failures_per_address",
            "login_failure_window_seconds",
            "s3_connect_timeout_seconds",
            "s3_read_timeout_seconds",
            "workers",
            "database_pool_size",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be positive")
        # S3 presigned URLs cannot live longer than 7 days (SigV4 limit).
        if self.url_ttl_seconds > 7 * 24 * 3600:
            raise SettingsError(f"{ENV_PREFIX}URL_TTL_SECONDS must be at most 604800 (7 days)")
        if not 5 * MIB <= self.default_part_size <= 5 * GIB:
            raise SettingsError(f"{ENV_PREFIX}DEFAULT_PART_SIZE must be between 5 MiB and 5 GiB")
        if self.user_quota_bytes < 0:
            raise SettingsError(f"{ENV_PREFIX}USER_QUOTA_BYTES must be 0 (no quota) or positive")
        if self.database_url and not self.database_url.startswith(
            ("postgresql://", "postgres://", "sqlite:///")
        ):
            raise SettingsError(
                f"{ENV_PREFIX}DATABASE_URL must start with postgresql:// (or sqlite:///)"
            )
        if not self.bucket:
            raise SettingsError(f"{ENV_PREFIX}BUCKET must not be empty")
        if not self.receipt_issuer:
            raise SettingsError(f"{ENV_PREFIX}RECEIPT_ISSUER must not be empty")

    @property
    def db_path(self) -> Path:
        """The SQLite file: `db` when set, else inside `data_dir`."""
        return Path(self.db) if self.db else self.data_dir / "backend.sqlite3"

    @property
    def database(self) -> str:
        """What `backend.db.open_database` opens: the database URL, else the SQLite file."""
        return self.database_url or str(self.db_path)

    @property
    def shared_database(self) -> bool:
        """True for a database server that other instances may share (PostgreSQL)."""
        return self.database.startswith(("postgresql://", "postgres://"))

    @property
    def presign_endpoint_url(self) -> str:
        """The endpoint presigned URLs point at."""
        return self.s3_public_endpoint_url or self.s3_endpoint_url

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_env(self) -> dict[str, str]:
        """These settings as `PROCTOR_BACKEND_<NAME>` variables (`from_env` reads them back).

        The JWT secret is left out: it stays in the environment or file it came from.
        """
        return {
            ENV_PREFIX + f.name.upper(): str(getattr(self, f.name))
            for f in fields(self)
            if f.name != "jwt_secret"
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from `PROCTOR_BACKEND_<NAME>` variables, then apply non-None overrides.

        Raises:
            SettingsError: A variable does not parse or a value is out of range.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"])
        return cls(**values)


def _parse(name: str, type_name: object, raw: str) -> Any:
    if type_name in ("int", int):
        try:
            return int(raw.strip())
        except ValueError:
            raise SettingsError(
                f"{ENV_PREFIX}{name.upper()} must be an integer, not {raw!r}"
            ) from None
    if type_name in ("Path", Path):
        return Path(raw)
    return raw.strip() if name != "jwt_secret" else raw
