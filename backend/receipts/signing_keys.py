"""The backend's Ed25519 receipt-signing keys: created once, rotated on request, all published.

They live in one file, `receipt-keys.json` in the data folder (0600, it holds private keys). The
newest key signs; every older one stays in the file and in the published JWKS, so receipts issued
before a rotation still verify. The file appears whole or not at all: the first one is written
aside and hard-linked into place (processes starting at once all end up with the same key), a
rotation writes aside and renames over it. A running server notices a rotation by the file's
change of identity and reloads it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

logger = logging.getLogger(__name__)

KEYS_FILE = "receipt-keys.json"
_FORMAT = 1
_LOCK_WAIT_S = 10.0
_LOCK_STALE_S = 60.0


class SigningKeyError(RuntimeError):
    """The key file is unreadable or malformed; the message names the file."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One Ed25519 key pair.

    Attributes:
        kid: Key id: the RFC 7638 thumbprint of the public key (base64url SHA-256).
        created_at: Unix time the key was made.
        private_key: The private key (never leaves the backend).
    """

    kid: str
    created_at: float
    private_key: Ed25519PrivateKey

    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK (RFC 8037), with `kid`, `alg` and `use`."""
        return {
            **_public_members(self.private_key),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _public_members(private_key: Ed25519PrivateKey) -> dict[str, str]:
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}


def thumbprint(private_key: Ed25519PrivateKey) -> str:
    """RFC 7638 JWK thumbprint: anyone holding the public key can recompute the key id."""
    canonical = json.dumps(_public_members(private_key), separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def new_key(now: float | None = None) -> SigningKey:
    """A freshly generated key pair."""
    private_key = Ed25519PrivateKey.generate()
    return SigningKey(thumbprint(private_key), time.time() if now is None else now, private_key)


class SigningKeys:
    """The key file of one data folder: the current signing key and every public key.

    Thread-safe enough for its use: reads replace the whole loaded tuple at once.
    """

    def __init__(self, data_dir: Path) -> None:
        """Load the keys in `data_dir`, creating the first one if there is none.

        Raises:
            SigningKeyError: The file exists but cannot be read as a key file.
        """
        self.path = data_dir / KEYS_FILE
        data_dir.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self._create_first()
        self._identity: tuple[int, int, int] | None = None
        self._keys: tuple[SigningKey, ...] = ()
        self._reload_if_changed()

    @property
    def current(self) -> SigningKey:
        """The key that signs new receipts (the newest)."""
        self._reload_if_changed()
        return self._keys[-1]

    def all(self) -> tuple[SigningKey, ...]:
        """Every key, oldest first."""
        self._reload_if_changed()
        return self._keys

    def jwks(self) -> dict[str, Any]:
        """The public keys as a JWK Set (RFC 7517), newest first."""
        return {"keys": [k.public_jwk() for k in reversed(self.all())]}

    def rotate(self) -> SigningKey:
        """Make a new key the signing key; the old ones stay published. Returns the new key.

        Raises:
            SigningKeyError: Another rotation holds the lock for longer than a rotation takes.
        """
        key = new_key()
        with self._rotation_lock():
            # Read under the lock: two rotations at once must not each drop the other's key (a
            # dropped key would leave every receipt it signed unverifiable).
            self._identity = None
            self._write(self.path, [*self.all(), key], replace=True)
            self._reload_if_changed()
        logger.info("Receipt signing key rotated: %s signs from now on", key.kid)
        return key

    @contextmanager
    def _rotation_lock(self) -> Iterator[None]:
        """Exclusive across processes: a lock file created only if absent (works on any OS)."""
        lock = self.path.with_name(self.path.name + ".lock")
        deadline = time.monotonic() + _LOCK_WAIT_S
        while True:
            try:
                os.close(os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                break
            except FileExistsError:
                with suppress(OSError):
                    # A holder that died leaves its lock behind; a rotation takes milliseconds.
                    if time.time() - lock.stat().st_mtime > _LOCK_STALE_S:
                        lock.unlink()
                        continue
                if time.monotonic() > deadline:
                    raise SigningKeyError(
                        f"Another key rotation is under way ({lock} exists); try again shortly."
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)

    # --- file --------------------------------------------------------------------------------

    def _create_first(self) -> None:
        key = new_key()
        if self._write(self.path, [key], replace=False):
            logger.info("Generated the receipt signing key %s in %s", key.kid, self.path)

    def _reload_if_changed(self) -> None:
        try:
            st = self.path.stat()
        except OSError as exc:
            raise SigningKeyError(f"The receipt key file {self.path} is gone ({exc}).") from exc
        identity = (st.st_ino, st.st_mtime_ns, st.st_size)
        if identity == self._identity:
            return
        if st.st_mode & 0o077:
            logger.warning(
                "Receipt key file %s is readable by others; tightening to 0600", self.path
            )
            self.path.chmod(0o600)
        self._keys = _parse(self.path)
        self._identity = identity

    @staticmethod
    def _write(path: Path, keys: list[SigningKey], *, replace: bool) -> bool:
        """Write `keys` aside, then link (first key) or rename (rotation) into place.

        Returns False when another process created the first key meanwhile (its key is kept).
        """
        body = {
            "format": _FORMAT,
            "keys": [
                {
                    "kid": k.kid,
                    "created_at": k.created_at,
                    "private_key": k.private_key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    ).decode("ascii"),
                }
                for k in keys
            ],
        }
        aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                json.dump(body, f, indent=2)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            if replace:
                os.replace(aside, path)
                return True
            try:
                os.link(aside, path)  # atomic, and fails if another process got there first
            except FileExistsError:
                return False
            return True
        finally:
            aside.unlink(missing_ok=True)


def _parse(path: Path) -> tuple[SigningKey, ...]:
    try:
        body = json.loads(path.read_text(encoding="ascii"))
        keys = []
        for item in body["keys"]:
            private_key = serialization.load_pem_private_key(
                item["private_key"].encode("ascii"), password=None
            )
            if not isinstance(private_key, Ed25519PrivateKey):
                raise TypeError("not an Ed25519 key")
            kid = thumbprint(private_key)
            if kid != item["kid"]:
                raise ValueError(f"key id {item['kid']!r} does not match its key")
            keys.append(SigningKey(kid, float(item["created_at"]), private_key))
    except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise SigningKeyError(f"The receipt key file {path} cannot be read: {exc}") from exc
    if not keys:
        raise SigningKeyError(f"The receipt key file {path} holds no key.")
    # File order is rotation order: the last key is the newest.
    return tuple(keys)
