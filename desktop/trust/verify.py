"""Check signed receipts offline: the backend's signature, the claims, and optionally the file.

A receipt holds (docs/api.md, "Signed receipts") a compact JWS the backend signed with Ed25519. It
is checked here with PyJWT against a JWK Set the caller trusts (the keys pinned at sign-in, or a
set the organisation handed out), then its claims are compared with the local receipt, and with
`file` the recording itself is hashed again and compared with the signed SHA-256 and size.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

RECEIPT_TYPE = "proctor-receipt+jwt"
KNOWN_FORMATS = (1,)
_REQUIRED = ("jti", "iss", "sub", "iat", "format", "upload_id", "key", "size", "checksum")
#: Local receipt fields that the signed claims must repeat exactly.
_MATCHED = ("upload_id", "key", "size", "sha256", "exam_id", "kind")


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one receipt holds, and why (one line for a person).

    Attributes:
        ok: The signature is valid under a trusted key and every check passed.
        reason: What was checked, or the first thing that failed.
        kid: The signing key's id when the header could be read.
    """

    ok: bool
    reason: str
    kid: str | None = None


class KeySetError(ValueError):
    """The given key set is not a usable JWK Set."""


def load_key_set(jwks: Mapping[str, Any]) -> jwt.PyJWKSet:
    """A PyJWT key set from a JWK Set dict.

    Raises:
        KeySetError: It holds no usable EdDSA key.
    """
    try:
        return jwt.PyJWKSet.from_dict(dict(jwks))
    except (jwt.PyJWKSetError, jwt.PyJWKError, KeyError, TypeError) as exc:
        raise KeySetError(f"not a usable JWK Set ({exc})") from exc


def read_key_set(path: Path) -> jwt.PyJWKSet:
    """Load a JWK Set from a JSON file.

    Raises:
        KeySetError: Unreadable, not JSON, or no usable key.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeySetError(f"{path} cannot be read as JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise KeySetError(f"{path} is not a JWK Set")
    return load_key_set(data)


def verify_signed(
    receipt: Mapping[str, Any], keys: jwt.PyJWKSet, *, file: Path | None = None
) -> Verdict:
    """Check one receipt (a dict as exported by `receipts --json`) against `keys`."""
    token = receipt.get("signed")
    if not isinstance(token, str) or not token:
        return Verdict(False, "not signed by the server (completed before it signed receipts)")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        return Verdict(False, f"the signed receipt is not a JWS ({exc})")
    kid = header.get("kid")
    if header.get("alg") != "EdDSA" or header.get("typ") != RECEIPT_TYPE:
        return Verdict(False, "the signed receipt is not an EdDSA proctor receipt", kid)
    key = _find(keys, kid)
    if key is None:
        return Verdict(False, f"signed by key {kid!r}, which is not among the trusted keys", kid)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            # A receipt never expires; the issuing clock may run ahead of this one.
            options={"require": list(_REQUIRED), "verify_iat": False},
        )
    except jwt.InvalidSignatureError:
        return Verdict(False, f"the signature does not hold under key {kid}", kid)
    except jwt.PyJWTError as exc:
        return Verdict(False, f"the signed receipt is invalid ({exc})", kid)
    if claims["format"] not in KNOWN_FORMATS:
        return Verdict(False, f"unknown receipt format {claims['format']!r}", kid)
    for name in _MATCHED:
        if name in receipt and receipt[name] != claims.get(name):
            return Verdict(
                False,
                f"{name} is {receipt[name]!r} here but {claims.get(name)!r} in the signed receipt",
                kid,
            )
    if file is not None:
        problem = _check_file(file, claims)
        if problem:
            return Verdict(False, problem, kid)
    what = "signature, claims and file" if file is not None else "signature and claims"
    return Verdict(True, f"{what} hold (signed by {claims['iss']}, key {kid})", kid)


def _find(keys: jwt.PyJWKSet, kid: object) -> jwt.PyJWK | None:
    if not isinstance(kid, str):
        return None
    for key in keys.keys:
        if key.key_id == kid:
            return key
    return None


def _check_file(path: Path, claims: Mapping[str, Any]) -> str | None:
    try:
        size = path.stat().st_size
        if size != claims["size"]:
            return f"{path} has {size:,} bytes, the signed receipt {claims['size']:,}"
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc})"
    if claims.get("sha256") is None:
        return "the signed receipt carries no SHA-256 to compare the file with"
    if digest != claims["sha256"]:
        return f"{path} has SHA-256 {digest[:16]}…, the signed receipt {claims['sha256'][:16]}…"
    return None
