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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from desktop.errors import QT_TRANSLATE_NOOP

RECEIPT_TYPE = "proctor-receipt+jwt"

# Every reason a verdict can give, in English with {placeholders}: the one home of these texts.
# The CLI prints them as they are; the app looks each up in its catalogue (context "verdicts") and
# fills in the same values, so a Korean proctor reads the reason in Korean.
NOT_SIGNED = QT_TRANSLATE_NOOP(
    "verdicts", "not signed by the server (completed before it signed receipts)"
)
NOT_JWS = QT_TRANSLATE_NOOP("verdicts", "the signed receipt is not a JWS ({detail})")
NOT_RECEIPT = QT_TRANSLATE_NOOP("verdicts", "the signed receipt is not an EdDSA proctor receipt")
UNKNOWN_KEY = QT_TRANSLATE_NOOP(
    "verdicts", "signed by key {kid}, which is not among the trusted keys"
)
BAD_SIGNATURE = QT_TRANSLATE_NOOP("verdicts", "the signature does not hold under key {kid}")
INVALID = QT_TRANSLATE_NOOP("verdicts", "the signed receipt is invalid ({detail})")
UNKNOWN_FORMAT = QT_TRANSLATE_NOOP("verdicts", "unknown receipt format {format}")
CLAIM_DIFFERS = QT_TRANSLATE_NOOP(
    "verdicts", "{name} is {here} here but {signed} in the signed receipt"
)
FILE_SIZE_DIFFERS = QT_TRANSLATE_NOOP(
    "verdicts", "{path} has {size} bytes, the signed receipt {signed}"
)
FILE_UNREADABLE = QT_TRANSLATE_NOOP("verdicts", "{path} cannot be read ({detail})")
NO_SHA256 = QT_TRANSLATE_NOOP(
    "verdicts", "the signed receipt carries no SHA-256 to compare the file with"
)
FILE_HASH_DIFFERS = QT_TRANSLATE_NOOP(
    "verdicts", "{path} has SHA-256 {sha256}…, the signed receipt {signed}…"
)
HOLDS = QT_TRANSLATE_NOOP("verdicts", "signature and claims hold (signed by {issuer}, key {kid})")
HOLDS_WITH_FILE = QT_TRANSLATE_NOOP(
    "verdicts", "signature, claims and file hold (signed by {issuer}, key {kid})"
)
# All of the above, for the test that each has a translation.
REASONS = (
    NOT_SIGNED, NOT_JWS, NOT_RECEIPT, UNKNOWN_KEY, BAD_SIGNATURE, INVALID, UNKNOWN_FORMAT,
    CLAIM_DIFFERS, FILE_SIZE_DIFFERS, FILE_UNREADABLE, NO_SHA256, FILE_HASH_DIFFERS, HOLDS,
    HOLDS_WITH_FILE,
)  # fmt: skip

KNOWN_FORMATS = (1,)
_REQUIRED = ("jti", "iss", "sub", "iat", "format", "upload_id", "key", "size", "checksum")
#: Local receipt fields that the signed claims must repeat exactly.
_MATCHED = ("upload_id", "key", "size", "sha256", "exam_id", "kind")


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one receipt holds, and why (one line for a person).

    Attributes:
        ok: The signature is valid under a trusted key and every check passed.
        template: One of `REASONS`: what was checked, or the first thing that failed.
        values: The template's placeholders, already written out as text.
        kid: The signing key's id when the header could be read.
    """

    ok: bool
    template: str
    values: Mapping[str, str] = field(default_factory=dict)
    kid: str | None = None

    @property
    def reason(self) -> str:
        """The reason in English (the CLI's words; the app translates `template` instead)."""
        return self.template.format(**self.values)


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
        return Verdict(False, NOT_SIGNED)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        return Verdict(False, NOT_JWS, {"detail": str(exc)})
    kid = header.get("kid")
    if header.get("alg") != "EdDSA" or header.get("typ") != RECEIPT_TYPE:
        return Verdict(False, NOT_RECEIPT, kid=kid)
    key = _find(keys, kid)
    if key is None:
        return Verdict(False, UNKNOWN_KEY, {"kid": repr(kid)}, kid)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            # A receipt never expires; the issuing clock may run ahead of this one.
            options={"require": list(_REQUIRED), "verify_iat": False},
        )
    except jwt.InvalidSignatureError:
        return Verdict(False, BAD_SIGNATURE, {"kid": str(kid)}, kid)
    except jwt.PyJWTError as exc:
        return Verdict(False, INVALID, {"detail": str(exc)}, kid)
    if claims["format"] not in KNOWN_FORMATS:
        return Verdict(False, UNKNOWN_FORMAT, {"format": repr(claims["format"])}, kid)
    for name in _MATCHED:
        if name in receipt and receipt[name] != claims.get(name):
            values = {"name": name, "here": repr(receipt[name]), "signed": repr(claims.get(name))}
            return Verdict(False, CLAIM_DIFFERS, values, kid)
    if file is not None:
        problem = _check_file(file, claims)
        if problem:
            return Verdict(False, *problem, kid=kid)
    template = HOLDS_WITH_FILE if file is not None else HOLDS
    return Verdict(True, template, {"issuer": str(claims["iss"]), "kid": str(kid)}, kid)


def _find(keys: jwt.PyJWKSet, kid: object) -> jwt.PyJWK | None:
    if not isinstance(kid, str):
        return None
    for key in keys.keys:
        if key.key_id == kid:
            return key
    return None


def _check_file(path: Path, claims: Mapping[str, Any]) -> tuple[str, dict[str, str]] | None:
    """The first way the file differs from the signed claims, as (template, values)."""
    try:
        size = path.stat().st_size
        if size != claims["size"]:
            values = {"path": str(path), "size": f"{size:,}", "signed": f"{claims['size']:,}"}
            return FILE_SIZE_DIFFERS, values
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as exc:
        return FILE_UNREADABLE, {"path": str(path), "detail": str(exc.strerror or exc)}
    if claims.get("sha256") is None:
        return NO_SHA256, {}
    if digest != claims["sha256"]:
        values = {"path": str(path), "sha256": digest[:16], "signed": claims["sha256"][:16]}
        return FILE_HASH_DIFFERS, values
    return None
