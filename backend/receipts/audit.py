"""The audit: read stored objects back, hash them, and compare them with their signed receipts.

A receipt says what storage held when the upload completed. Whether it still holds exactly that is
a separate question, which only reading the bytes answers: an object replaced or damaged behind
the backend's back (another tool, an operator, a bucket policy gone wrong) keeps its key and looks
fine in every listing. `proctor-backend audit` reads each object once, a bounded chunk at a time
(memory stays flat whatever the object's size) and no faster than a given rate (so an audit does
not starve the uploads sharing the storage link), and appends `audited` or `MISMATCH` to the
upload's audit history.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt

from backend import checksums
from backend.db import AuditRecord, Database, UploadRecord
from backend.receipts.issuer import ALGORITHM
from backend.receipts.signing_keys import SigningKeys
from backend.storage import Storage

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
AUDITED = "audited"
MISMATCH = "MISMATCH"


@dataclass(frozen=True, slots=True)
class AuditOutcome:
    """One object audited.

    Attributes:
        upload: The upload whose object was read.
        audit: What was recorded.
    """

    upload: UploadRecord
    audit: AuditRecord


class Pacer:
    """Keeps a byte stream at or under `rate` bytes per second (None: unlimited)."""

    def __init__(
        self,
        rate: int | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Pace to `rate` bytes per second."""
        self._rate = rate
        self._clock = clock
        self._sleep = sleep
        self._start = clock()
        self._sent = 0

    def took(self, n: int) -> None:
        """`n` more bytes went by: wait until the average is back under the rate."""
        if not self._rate:
            return
        self._sent += n
        ahead = self._sent / self._rate - (self._clock() - self._start)
        if ahead > 0:
            self._sleep(ahead)


class Auditor:
    """Reads completed uploads' objects and records how they compare with their receipts."""

    def __init__(
        self,
        db: Database,
        storage: Storage,
        keys: SigningKeys,
        *,
        rate: int | None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        """Audit `storage` against the receipts in `db`, signed with `keys`, at most `rate` B/s."""
        self._db = db
        self._storage = storage
        self._keys = keys
        self._pacer = Pacer(rate)
        self._chunk_size = chunk_size

    def run(self, *, exam_id: str | None, since: float | None) -> Iterator[AuditOutcome]:
        """Audit every completed upload (of `exam_id`, completed since `since`), oldest first.

        Each result is recorded before it is yielded, so an interrupted audit keeps what it did.

        Raises:
            StorageError: Storage failed or became unreachable (the current object is not recorded).
        """
        after = 0
        while True:
            page = self._db.completed_uploads(
                exam_id=exam_id, since=since, after_seq=after, limit=100
            )
            if not page:
                return
            for rec in page:
                audit = self.audit_one(rec)
                self._db.record_audit(audit)
                yield AuditOutcome(rec, audit)
            after = page[-1].seq

    def audit_one(self, rec: UploadRecord) -> AuditRecord:
        """Read `rec`'s object and compare it with its receipt (nothing is recorded here)."""
        now = time.time()
        expected, problem = self._receipt_claims(rec)
        if problem:
            return AuditRecord(rec.upload_id, now, MISMATCH, None, None, problem)
        stream = self._storage.read(rec.key, self._chunk_size)
        if stream is None:
            return AuditRecord(
                rec.upload_id, now, MISMATCH, None, None, "the object is gone from storage"
            )
        digest = hashlib.sha256()
        checksum = expected.get("checksum") or {}
        algorithm = str(checksum.get("algorithm", ""))
        # A CRC receipt names storage's full-object CRC: the bytes read back must still have it.
        crc = checksums.Running(algorithm) if checksums.is_crc(algorithm) else None
        size = 0
        for chunk in stream.chunks:
            digest.update(chunk)
            if crc is not None:
                crc.update(chunk)
            size += len(chunk)
            self._pacer.took(len(chunk))
        sha = digest.hexdigest()
        now = time.time()
        differences = []
        if size != expected["size"]:
            differences.append(f"storage holds {size} bytes, the receipt says {expected['size']}")
        reference = expected.get("sha256")
        if reference and sha != reference:
            differences.append(f"SHA-256 {sha[:16]}… differs from the receipt's {reference[:16]}…")
        if crc is not None and crc.value() != checksum.get("value"):
            differences.append(
                f"the {algorithm} of the bytes read is {crc.value()}, the receipt's "
                f"{checksum.get('value')}"
            )
        if algorithm == "S3-ETAG" and stream.etag != checksum.get("value"):
            differences.append(
                f"storage's ETag is {stream.etag}, the receipt's {checksum['value']}"
            )
        if differences:
            logger.warning("Audit of %s (%s): MISMATCH: %s", rec.upload_id, rec.key, differences)
            return AuditRecord(rec.upload_id, now, MISMATCH, size, sha, "; ".join(differences))
        detail = (
            "size and SHA-256 match the signed receipt"
            if reference
            else "size and storage checksum match the signed receipt (it carries no SHA-256)"
        )
        return AuditRecord(rec.upload_id, now, AUDITED, size, sha, detail)

    def _receipt_claims(self, rec: UploadRecord) -> tuple[dict[str, Any], str]:
        """What the receipt states: the signed claims (checked with our own keys), else why not."""
        receipt = rec.receipt or {}
        token = receipt.get("signed")
        if not token:
            # Completed before receipts were signed: the stored receipt is all there is.
            return {"size": rec.size, "sha256": receipt.get("sha256") or rec.sha256}, ""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = next((k for k in self._keys.all() if k.kid == kid), None)
            if key is None:
                return {}, f"its receipt is signed by key {kid!r}, which this backend does not hold"
            claims: dict[str, Any] = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=[ALGORITHM],
                options={"verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            return {}, f"its signed receipt does not verify ({exc})"
        if claims.get("upload_id") != rec.upload_id or claims.get("key") != rec.key:
            return {}, "its signed receipt is for another upload"
        return claims, ""
