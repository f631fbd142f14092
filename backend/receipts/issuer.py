"""Signed receipts: a compact JWS (EdDSA over Ed25519) the backend issues for each verified upload.

The format is documented in docs/api.md so that anyone can verify a receipt with the published
JWKS and any JOSE library; nothing here is needed to check one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt

from backend.receipts.signing_keys import SigningKeys

#: The JWS header's `typ`: tells receipts apart from any other token signed with EdDSA.
RECEIPT_TYPE = "proctor-receipt+jwt"
#: Version of the claim set; a verifier refuses versions it does not know.
RECEIPT_FORMAT = 1
ALGORITHM = "EdDSA"


@dataclass(frozen=True, slots=True)
class StorageChecksum:
    """The checksum storage itself reported for the whole object, which complete verified.

    Attributes:
        algorithm: `S3-ETAG` (the multipart ETag: MD5 of the parts' MD5s, `-N`) or
            `CRC64NVME` (storage's full-object checksum, base64).
        value: The checksum as storage gave it.
    """

    algorithm: str
    value: str


@dataclass(frozen=True, slots=True)
class ReceiptFacts:
    """What a receipt states about one completed upload.

    Attributes:
        user: The owner's user name.
        exam_id: The exam.
        kind: `webcam`, `screen` or `other`.
        bucket: The bucket holding the object.
        key: The object key.
        size: Bytes, as storage reported them.
        checksum: Storage's checksum of the whole object.
        sha256: The client's SHA-256 of its file (hex), if it declared one.
        upload_id: The backend's upload id.
        created_at: ISO 8601 UTC time the upload was created.
        completed_at: ISO 8601 UTC time the completion was verified.
    """

    user: str
    exam_id: str
    kind: str
    bucket: str
    key: str
    size: int
    checksum: StorageChecksum
    sha256: str | None
    upload_id: str
    created_at: str
    completed_at: str


@dataclass(frozen=True, slots=True)
class IssuedReceipt:
    """A receipt as issued.

    Attributes:
        receipt_id: Its id (the `jti` claim).
        kid: Id of the key that signed it.
        jws: The compact JWS.
    """

    receipt_id: str
    kid: str
    jws: str


def claims_of(facts: ReceiptFacts, *, receipt_id: str, issuer: str) -> dict[str, Any]:
    """The receipt's claim set (docs/api.md, "Signed receipts")."""
    return {
        "format": RECEIPT_FORMAT,
        "jti": receipt_id,
        "iss": issuer,
        "sub": facts.user,
        "iat": int(datetime.fromisoformat(facts.completed_at).timestamp()),
        "exam_id": facts.exam_id,
        "kind": facts.kind,
        "bucket": facts.bucket,
        "key": facts.key,
        "size": facts.size,
        "checksum": {"algorithm": facts.checksum.algorithm, "value": facts.checksum.value},
        "sha256": facts.sha256,
        "upload_id": facts.upload_id,
        "created_at": facts.created_at,
        "completed_at": facts.completed_at,
    }


class ReceiptIssuer:
    """Signs receipts with the current key of a `SigningKeys`."""

    def __init__(self, keys: SigningKeys, issuer: str) -> None:
        """Sign with `keys`, naming `issuer` in every receipt."""
        self._keys = keys
        self.issuer = issuer

    def issue(self, facts: ReceiptFacts) -> IssuedReceipt:
        """A fresh signed receipt for `facts`."""
        receipt_id = "rc_" + secrets.token_urlsafe(16)
        key = self._keys.current
        jws = jwt.encode(
            claims_of(facts, receipt_id=receipt_id, issuer=self.issuer),
            key.private_key,
            algorithm=ALGORITHM,
            headers={"kid": key.kid, "typ": RECEIPT_TYPE},
        )
        return IssuedReceipt(receipt_id=receipt_id, kid=key.kid, jws=jws)
