"""Upload rules: key choice, part sizing, ownership, signing, completion with verification, abort.

The routers call this; it talks to storage only through `Storage` and to SQLite through `Database`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import math
import os
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any

from backend import checksums
from backend.db import Database, SignedParts, UploadRecord
from backend.errors import ApiError, not_found
from backend.keys import candidate_keys, object_key, sanitise_filename
from backend.receipts.issuer import IssuedReceipt, ReceiptFacts, ReceiptIssuer, StorageChecksum
from backend.security import Principal
from backend.settings import Settings
from backend.storage import (
    Checksum,
    ChecksumMismatchError,
    InvalidPartsError,
    NoSuchUploadError,
    ObjectInfo,
    PartToComplete,
    PresignedRequest,
    Storage,
    StorageError,
    StorageUnavailableError,
    StoredPart,
    strip_etag,
)

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB
MAX_PART_SIZE = 5 * 1024 * MIB
MAX_PARTS = 10_000
# How long a request waits for another worker process working on the same upload.
CLAIM_WAIT_S = 30.0


def iso(ts: float | None) -> str | None:
    """Unix time as ISO 8601 UTC with a `Z`, or None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def plan_parts(size: int, hint: int | None, default: int) -> tuple[int, int]:
    """`(part_size, part_count)`: the hint (or default), at least 5 MiB, raised to fit 10,000 parts.

    A 0-byte upload still has one (empty) part: S3 needs at least one to complete.
    """
    part_size = max(hint or default, MIN_PART_SIZE)
    needed = math.ceil(size / MAX_PARTS)
    if needed > part_size:
        part_size = math.ceil(needed / MIB) * MIB  # whole MiB keeps sizes readable
    part_size = min(part_size, MAX_PART_SIZE)
    part_count = max(1, math.ceil(size / part_size))
    return part_size, part_count


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn storage exceptions into API errors (503 unavailable, 404 upload gone, 502 otherwise)."""
    try:
        yield
    except StorageUnavailableError as exc:
        raise ApiError(503, "storage_unavailable", str(exc), headers={"Retry-After": "5"}) from exc
    except NoSuchUploadError as exc:
        raise ApiError(
            404, "upload_not_found", "Storage no longer has this upload; start a new one."
        ) from exc
    except InvalidPartsError as exc:
        raise ApiError(400, "invalid_parts", str(exc)) from exc
    except ChecksumMismatchError as exc:
        raise ApiError(409, "checksum_mismatch", str(exc)) from exc
    except StorageError as exc:
        raise ApiError(502, "storage_error", str(exc)) from exc


class UploadService:
    """Everything `/uploads` does."""

    def __init__(
        self, settings: Settings, db: Database, storage: Storage, receipts: ReceiptIssuer
    ) -> None:
        """Work against `db` and `storage` under `settings`; sign receipts with `receipts`."""
        self._settings = settings
        self._db = db
        self._storage = storage
        self._receipts = receipts
        # The name each request in `_upload_lock` holds, and what its waiters wait for.
        self._holders: dict[str, asyncio.Event] = {}
        self._owner = f"{os.getpid()}:{secrets.token_hex(4)}"
        # A claim outlives no holder: past every storage call's timeouts and retries it is stale.
        self._claim_stale_s = 4 * settings.s3_read_timeout_seconds + 60

    @asynccontextmanager
    async def _upload_lock(self, name: str, *, read_upload: bool = False) -> AsyncIterator[_Claim]:
        """Serialise complete/abort of one upload (or creates with one client token).

        So a double click cannot complete twice, and a completion and an abort cannot interleave.
        Requests of this process (coroutines on its one event loop) wait for the one holding the
        name; the worker processes of `serve --workers N` and other instances see each other
        through a claim row in the database, polled briefly, then `503 busy`. The body may give the
        claim up in its own last write (`_Claim.released`).

        `read_upload`: `name` is an upload id, and the claim comes with that upload and its signed
        checksums as they are now that nobody else can change them, read in the claim's own round
        trip (`_Claim.upload`, `_Claim.signed`).
        """
        while (holder := self._holders.get(name)) is not None:
            await holder.wait()
        self._holders[name] = done = asyncio.Event()
        try:
            deadline = time.monotonic() + CLAIM_WAIT_S
            claim = _Claim(name, self._owner)
            while True:
                now = time.time()
                stale_before = now - self._claim_stale_s
                if read_upload:
                    taken, claim.upload, claim.signed = self._db.claim_upload(
                        name, self._owner, now, stale_before
                    )
                else:
                    taken = self._db.claim(name, self._owner, now, stale_before)
                if taken:
                    break
                if time.monotonic() > deadline:
                    raise ApiError(
                        503,
                        "busy",
                        "Another request is working on this upload; retry shortly.",
                        headers={"Retry-After": "2"},
                    )
                await asyncio.sleep(0.05)
            try:
                yield claim
            finally:
                if not claim.released:
                    self._db.release(name, self._owner)
        finally:
            del self._holders[name]
            done.set()

    # --- create ----------------------------------------------------------------------------

    async def create(
        self,
        user: Principal,
        *,
        filename: str,
        size: int | None,
        content_type: str,
        sha256: str | None,
        part_size_hint: int | None,
        exam_id: str,
        kind: str,
        client_token: str | None = None,
    ) -> UploadRecord:
        """Reserve a fresh key, create the S3 multipart upload, then record it (in that order).

        `size` None: a recording still being written. Its part size fits `open_upload_capacity`
        bytes in 10,000 parts, `part_count` is 10,000 (the most it may have) and `complete` gives
        the final size.

        With `client_token`, idempotent: while the upload it created is in progress, the same
        token returns that upload, so a client that never heard the answer does not orphan it.
        """
        if client_token is None:
            return await self._create_new(
                user, filename, size, content_type, sha256, part_size_hint, exam_id, kind, None
            )
        async with self._upload_lock(f"token:{user.user_id}:{client_token}"):
            rec = self._db.upload_for_token(user.user_id, client_token)
            if rec is not None and rec.status == "in_progress":
                if (rec.size, rec.exam_id, rec.kind) != (size, exam_id, kind):
                    raise ApiError(
                        409, "conflict", "client_token was already used for another file."
                    )
                logger.info("Upload %s: create repeated with its client token", rec.upload_id)
                return rec
            return await self._create_new(
                user, filename, size, content_type, sha256, part_size_hint, exam_id, kind,
                client_token,
            )  # fmt: skip

    async def _create_new(
        self,
        user: Principal,
        filename: str,
        size: int | None,
        content_type: str,
        sha256: str | None,
        part_size_hint: int | None,
        exam_id: str,
        kind: str,
        client_token: str | None,
    ) -> UploadRecord:
        if size is not None and size > self._settings.max_upload_size:
            raise ApiError(
                413,
                "upload_too_large",
                f"size {size} exceeds this server's maximum of "
                f"{self._settings.max_upload_size} bytes.",
            )
        self._check_quota(user, size)
        try:
            clean = sanitise_filename(filename)
        except ValueError as exc:
            raise ApiError(422, "invalid_request", f"filename: {exc}") from None
        if size is None:
            capacity = min(self._settings.open_upload_capacity, self._settings.max_upload_size)
            part_size, _ = plan_parts(capacity, part_size_hint, self._settings.default_part_size)
            part_count = MAX_PARTS
        else:
            part_size, part_count = plan_parts(
                size, part_size_hint, self._settings.default_part_size
            )
        now = time.time()
        base = object_key(
            kind=kind,
            exam_id=exam_id,
            username=user.username,
            filename=clean,
            when=datetime.fromtimestamp(now, UTC),
        )
        algorithm = checksums.algorithm_for(self._settings.integrity)

        # Its key and storage's upload id come with the first free key.
        template = UploadRecord(
            seq=0,
            upload_id="up_" + secrets.token_urlsafe(16),
            s3_upload_id="",
            user_id=user.user_id,
            username=user.username,
            key="",
            filename=clean,
            content_type=content_type,
            size=size,
            part_size=part_size,
            part_count=part_count,
            sha256=sha256.lower() if sha256 else None,
            exam_id=exam_id,
            kind=kind,
            status="in_progress",
            created_at=now,
            completed_at=None,
            aborted_at=None,
            etag=None,
            receipt=None,
            checksum_algorithm=algorithm,
        )
        rec = await self._create_at_free_key(
            base,
            user,
            content_type,
            {"exam-id": exam_id, "kind": kind, "owner": user.username},
            algorithm if checksums.is_crc(algorithm) else None,
            template,
            client_token,
        )
        logger.info(
            "Upload %s created by %s: %s bytes in %s%d parts of %d",
            rec.upload_id,
            user.username,
            "unknown" if size is None else size,
            "up to " if size is None else "",
            part_count,
            part_size,
        )
        return rec

    def _check_quota(self, user: Principal, size: int | None) -> None:
        """413 when `size` would take the user past their quota (checked when an upload starts).

        An upload of unknown size (a recording still being written, a single PUT) is let in only
        while the user is under quota; a recording's size counts once completed.
        """
        quota = self._settings.user_quota_bytes
        if not quota:
            return
        since = time.time() - self._settings.user_quota_days * 86400
        held = self._db.bytes_declared(user.user_id, since)
        if (held + size > quota) if size is not None else (held >= quota):
            raise ApiError(
                413,
                "quota_exceeded",
                f"This upload ({'unknown' if size is None else size} bytes) would exceed your "
                f"quota: {held} of {quota} bytes used in the last "
                f"{self._settings.user_quota_days} days.",
            )

    async def _create_at_free_key(
        self,
        base: str,
        user: Principal,
        content_type: str,
        metadata: dict[str, str],
        checksum_algorithm: str | None,
        template: UploadRecord,
        client_token: str | None,
    ) -> UploadRecord:
        """The upload, recorded: a multipart upload at the first candidate key that neither the
        database nor storage has ever held, `template` inserted with that key and storage's id.

        The first candidate is nearly always free, so the upload is created there first and the
        key taken in the same database write that records the upload: one round trip, where
        reserving the key ahead costs another. Only if that key turns out to be taken (the same
        filename again that day) does the walk reserve each next candidate before creating there.
        """
        metadata_args = (content_type, metadata, checksum_algorithm)
        created = await self._create_if_free(base, *metadata_args, reserved=False)
        if created is not None:
            rec = self._db.insert_upload_taking_key(
                dataclasses.replace(template, key=base, s3_upload_id=created),
                client_token=client_token,
            )
            if rec is not None:
                return rec
            await self._abort_unused(base, created)
        # The first candidate was just tried: the walk goes on from the second.
        for key in self._reserved_candidates(base, user, "multipart", skip=1):
            created = await self._create_if_free(key, *metadata_args, reserved=True)
            if created is not None:
                return self._db.insert_upload(
                    dataclasses.replace(template, key=key, s3_upload_id=created),
                    client_token=client_token,
                )
        raise AssertionError("unreachable: the candidates end with a conflict")  # pragma: no cover

    async def _create_if_free(
        self,
        key: str,
        content_type: str,
        metadata: dict[str, str],
        checksum_algorithm: str | None,
        *,
        reserved: bool,
    ) -> str | None:
        """Storage's id of a multipart upload created at `key`, or None if storage holds an
        object there.

        Asking storage whether the key is free (HEAD) and creating the upload go out together, so
        a create waits for one storage round trip rather than two. An upload created at a key that
        storage turns out to hold is aborted (never completed, it overwrites nothing); on any
        failure nothing is left half-created and a `reserved` key goes back.
        """
        try:
            found, created = await asyncio.gather(
                self._storage.head(key),
                self._storage.create_multipart(key, content_type, metadata, checksum_algorithm),
                return_exceptions=True,
            )
        except BaseException:
            # Cancelled while both were out: the upload, if storage made it, never completes.
            if reserved:
                self._db.release_key(key)
            raise
        if isinstance(created, BaseException):
            if reserved:
                self._db.release_key(key)
            with storage_errors():
                raise created
        if isinstance(found, BaseException):
            await self._abort_unused(key, created)
            if reserved:
                self._db.release_key(key)
            with storage_errors():
                raise found
        if found is None:
            return created
        # Someone put an object here outside this backend: a reserved key stays reserved.
        await self._abort_unused(key, created)
        return None

    async def _abort_unused(self, key: str, s3_upload_id: str) -> None:
        """Abort an upload nothing will use; a failure leaves storage an incomplete upload only."""
        try:
            await self._storage.abort(key, s3_upload_id)
        except StorageError as exc:
            # Storage's lifecycle rules (docs/deployment.md) clear incomplete uploads; the key was
            # never handed out, so no client will ever complete it.
            logger.info("Unused multipart upload at %s not aborted: %s", key, exc)

    def _reserved_candidates(
        self, base: str, user: Principal, source: str, *, skip: int = 0
    ) -> Iterator[str]:
        """The candidate keys for `base` (after the first `skip`) that the database had never
        held, each reserved for `user` as it is yielded; after the last, a 409 conflict."""
        for key in itertools.islice(candidate_keys(base), skip, None):
            if self._db.reserve_key(key, user.user_id, source):
                yield key
        raise ApiError(409, "conflict", "Too many uploads with this filename; rename the file.")

    async def _reserve_key(self, base: str, user: Principal, source: str) -> str:
        """The first candidate neither the database nor storage has ever held."""
        for key in self._reserved_candidates(base, user, source):
            try:
                with storage_errors():
                    exists = await self._storage.head(key) is not None
            except BaseException:
                self._db.release_key(key)
                raise
            if not exists:
                return key
            # Someone put an object here outside this backend: keep the key reserved, try the next.
        raise AssertionError("unreachable: the candidates end with a conflict")  # pragma: no cover

    # --- single PUT (existing clients) -----------------------------------------------------------

    async def presign_single(
        self, user: Principal, *, filename: str, content_type: str, exam_id: str, kind: str
    ) -> tuple[str, PresignedRequest, str, str]:
        """`(key, request, file_url, expires_at)` for one whole-object PUT."""
        try:
            clean = sanitise_filename(filename)
        except ValueError as exc:
            raise ApiError(422, "invalid_request", f"fileName: {exc}") from None
        # It declares no size (up to S3's 5 GiB a PUT): a user already at quota gets no URL, or
        # the compatibility endpoint would be the way around the quota.
        self._check_quota(user, None)
        now = time.time()
        base = object_key(
            kind=kind,
            exam_id=exam_id,
            username=user.username,
            filename=clean,
            when=datetime.fromtimestamp(now, UTC),
        )
        key = await self._reserve_key(base, user, "single")
        ttl = self._settings.url_ttl_seconds
        with storage_errors():
            req = self._storage.presign_put(key, content_type, ttl)
            file_url = self._storage.object_url(key)
        return key, req, file_url, iso(now + ttl) or ""

    # --- per-upload operations -------------------------------------------------------------------

    def get(self, user: Principal, upload_id: str) -> UploadRecord:
        """The caller's upload; anyone else's is the same 404 as a missing one."""
        return self._owned(user, self._db.get_upload(upload_id))

    @staticmethod
    def _owned(user: Principal, rec: UploadRecord | None) -> UploadRecord:
        if rec is None or rec.user_id != user.user_id:
            raise not_found()
        return rec

    def _require_in_progress(self, rec: UploadRecord) -> None:
        if rec.status == "completed":
            raise ApiError(409, "already_completed", "This upload is already completed.")
        if rec.status == "aborted":
            raise ApiError(404, "upload_not_found", "This upload was aborted; start a new one.")

    def _check_part_numbers(self, rec: UploadRecord, numbers: list[int]) -> None:
        bad = sorted({n for n in numbers if not 1 <= n <= rec.part_count})
        if bad:
            raise ApiError(
                422,
                "invalid_request",
                f"part numbers must be between 1 and {rec.part_count}; got {_short(bad)}.",
            )
        if len(set(numbers)) != len(numbers):
            dupes = sorted({n for n in numbers if numbers.count(n) > 1})
            raise ApiError(422, "invalid_request", f"duplicate part numbers: {_short(dupes)}.")

    def sign_parts(
        self, user: Principal, upload_id: str, numbers: list[int], given: dict[str, str] | None
    ) -> tuple[list[tuple[int, PresignedRequest]], str]:
        """Presigned URLs for `numbers` and their expiry (ISO 8601).

        Each part's checksum (required with a CRC algorithm, optional with MD5) is signed into its
        URL, so storage accepts only bytes that have it, and recorded with the part's size.
        """
        rec = self.get(user, upload_id)
        self._require_in_progress(rec)
        self._check_part_numbers(rec, numbers)
        algorithm = algorithm_of(rec)
        wanted: dict[int, str] = {}
        for raw, value in (given or {}).items():
            # isdigit alone accepts `²`, which int() refuses (a 500 before).
            if not (raw.isascii() and raw.isdigit()) or int(raw) not in numbers:
                raise ApiError(
                    422,
                    "invalid_request",
                    f"checksums: {raw!r} is not one of the requested part numbers.",
                )
            try:
                checksums.decode(algorithm, value)
            except ValueError as exc:
                raise ApiError(
                    422, "invalid_request", f"checksums: part {raw}: {exc} ({algorithm})."
                ) from None
            wanted[int(raw)] = value
        if checksums.is_crc(algorithm):
            missing = [n for n in numbers if n not in wanted]
            if missing:
                raise ApiError(
                    422,
                    "invalid_request",
                    f"checksums: this upload needs the {algorithm} of every part to sign; "
                    f"missing for part {_short(missing)}.",
                )
        # A CRC upload of known size signs each part's planned size into its URL too: storage
        # then refuses a part of any other size, and completion need not ask storage for the
        # object's size afterwards (one call fewer per upload).
        sizes = {n: None if rec.size is None else _planned_size(rec, n) for n in numbers}
        lengths_signed = checksums.is_crc(algorithm) and rec.size is not None
        self._db.record_signed_parts(
            rec.upload_id,
            [(n, v, sizes[n]) for n, v in sorted(wanted.items())],
            lengths_signed=lengths_signed,
        )
        ttl = self._settings.url_ttl_seconds
        expires_at = iso(time.time() + ttl) or ""
        with storage_errors():
            signed = [
                (
                    n,
                    self._storage.presign_part(
                        rec.key,
                        rec.s3_upload_id,
                        n,
                        ttl,
                        Checksum(algorithm, wanted[n]) if n in wanted else None,
                        sizes[n] if lengths_signed else None,
                    ),
                )
                for n in numbers
            ]
        return signed, expires_at

    async def list_parts(self, user: Principal, upload_id: str) -> list[StoredPart]:
        """Parts storage holds: the source of truth for a resuming client."""
        rec = self.get(user, upload_id)
        self._require_in_progress(rec)
        try:
            with storage_errors():
                listed = latest_parts(await self._storage.list_parts(rec.key, rec.s3_upload_id))
        except ApiError as exc:
            if exc.code == "upload_not_found":
                self._db.mark_aborted(rec.upload_id, time.time())
            raise
        signed = self._db.signed_checksums(rec.upload_id)
        # Storage's own listing wins where it has one (AWS lists part CRCs); otherwise a part
        # whose URLs were all signed with one checksum can only hold bytes with that checksum. A
        # part signed with several (the file changed between attempts) stays unknown: the client
        # sends it again rather than guess which copy storage kept.
        return [
            p
            if p.checksum is not None or len(signed.get(p.part_number, ())) != 1
            else dataclasses.replace(p, checksum=next(iter(signed[p.part_number])))
            for p in listed
        ]

    async def complete(
        self,
        user: Principal,
        upload_id: str,
        parts: list[PartToComplete],
        sha256: str | None,
        size: int | None = None,
        checksum: str | None = None,
    ) -> dict[str, Any]:
        """Assemble the object after checking every part against storage; idempotent.

        `size` is the final size of an upload created without one (required for it); for any
        other upload it may be given and must equal the declared size.

        With a CRC algorithm, every part's checksum must be one the backend signed for it; the
        whole object's expected CRC is combined from them (and must equal `checksum` when the
        client sends one), storage checks both, and the object's CRC that storage reports must
        equal it before the completion is recorded.
        """
        # Claimed before it is read: one read, of the state no other request can change now.
        async with self._upload_lock(upload_id, read_upload=True) as claim:
            rec, signed = self._owned(user, claim.upload), claim.signed
            if rec.status == "completed" and rec.receipt is not None:
                return rec.receipt
            self._require_in_progress(rec)
            sized_now = rec.size is None  # an open upload states its size only now
            rec = self._final_size(rec, size)
            numbers = [p.part_number for p in parts]
            self._check_part_numbers(rec, numbers)
            missing = sorted(set(range(1, rec.part_count + 1)) - set(numbers))
            if missing:
                raise ApiError(
                    422, "invalid_request", f"parts missing from the list: {_short(missing)}."
                )
            sha = sha256.lower() if sha256 else None
            if sha and rec.sha256 and sha != rec.sha256:
                raise ApiError(
                    409,
                    "sha256_mismatch",
                    "sha256 differs from the one declared when the upload was created.",
                )
            ordered = sorted(parts, key=lambda p: p.part_number)
            expected = self._expected_checksum(rec, ordered, checksum, signed.checksums)
            try:
                etag, stored = await self._assemble(
                    rec, ordered, expected, list_first=sized_now, sizes_signed=signed.lengths_signed
                )
            except ApiError as exc:
                if exc.code == "upload_not_found":
                    recovered = await self._recover_completed(rec, expected)
                    if recovered is None:
                        self._db.mark_aborted(rec.upload_id, time.time())
                        raise
                    etag, stored = recovered
                else:
                    raise
            return self._record_completion(rec, etag, sha or rec.sha256, stored, claim)

    def _final_size(self, rec: UploadRecord, size: int | None) -> UploadRecord:
        """`rec` with its final size and part count (an upload created without a size)."""
        if rec.size is not None:
            if size is not None and size != rec.size:
                raise ApiError(
                    409,
                    "size_mismatch",
                    f"size {size} differs from the {rec.size} bytes declared at creation.",
                )
            return rec
        if size is None:
            raise ApiError(
                422,
                "invalid_request",
                "size is required: this upload was created without one.",
            )
        if size > rec.part_size * MAX_PARTS or size > self._settings.max_upload_size:
            limit = min(rec.part_size * MAX_PARTS, self._settings.max_upload_size)
            raise ApiError(
                413, "upload_too_large", f"size {size} exceeds this upload's maximum of {limit}."
            )
        return dataclasses.replace(
            rec, size=size, part_count=max(1, math.ceil(size / rec.part_size))
        )

    def _expected_checksum(
        self,
        rec: UploadRecord,
        parts: list[PartToComplete],
        claimed: str | None,
        signed: dict[int, set[str]],
    ) -> Checksum | None:
        """The whole object's CRC the parts predict from the checksums `signed` for each part
        (None for MD5 uploads)."""
        algorithm = algorithm_of(rec)
        if not checksums.is_crc(algorithm):
            return None
        lacking = [p.part_number for p in parts if p.checksum is None]
        if lacking:
            raise ApiError(
                422,
                "invalid_request",
                f"parts: this upload needs each part's {algorithm}; missing for part "
                f"{_short(lacking)}.",
            )
        unsigned = [p.part_number for p in parts if p.checksum not in signed.get(p.part_number, ())]
        if unsigned:
            raise ApiError(
                400,
                "invalid_parts",
                f"part {_short(unsigned)}: no URL was signed with that checksum; upload it first.",
            )
        expected = checksums.combine(
            algorithm, [(p.checksum or "", _planned_size(rec, p.part_number)) for p in parts]
        )
        if claimed is not None and claimed != expected:
            raise ApiError(
                409,
                "checksum_mismatch",
                f"checksum {claimed} is not the {algorithm} the parts' checksums combine to.",
            )
        return Checksum(algorithm, expected)

    async def _assemble(
        self,
        rec: UploadRecord,
        parts: list[PartToComplete],
        expected: Checksum | None,
        *,
        list_first: bool,
        sizes_signed: bool,
    ) -> tuple[str, str | None]:
        """Complete in storage, then check the object it reports; its ETag and CRC.

        With a CRC, storage itself refuses (and keeps the upload) a part list whose ETags it does
        not hold (InvalidPart), a part whose bytes lack the CRC named for it or an object whose
        CRC is not `expected` (BadDigest). `expected` is combined from the parts' CRCs at their
        planned sizes, so a part of another size changes it, except the first part's size, which
        CRC combination never uses. That one is settled before storage assembles anything when
        every part URL was signed with its size (`sizes_signed`: storage refused other sizes) or
        the parts were listed first; then the CRC storage names in its answer is the object's, and
        only where it names none does a HEAD after completing ask for it. Otherwise the HEAD
        checks the total size too.
        Listing the parts first (one more call) would add nothing but the error's name, so only
        MD5 uploads do it, and `list_first` ones: an open upload's size is stated only now, and a
        wrong one is then refused as `size_mismatch`, the upload kept, on any store.
        """
        if expected is None or list_first:
            await self._check_listed_parts(rec, parts)
        with storage_errors():
            done = await self._storage.complete(rec.key, rec.s3_upload_id, parts, expected)
        first_size_settled = sizes_signed or list_first
        if expected is not None and first_size_settled and expected.algorithm in done.checksums:
            assert rec.size is not None, "completion gives an open upload its final size first"
            info = ObjectInfo(rec.size, done.etag, done.checksums)
        else:
            with storage_errors():
                found = await self._storage.head(rec.key, checksums=expected is not None)
            if found is None:
                logger.error("Upload %s: no object after completing", rec.upload_id)
                raise ApiError(502, "storage_error", "Storage has no object after completing.")
            info = found
        return done.etag or info.etag, await self._accept_assembled(rec, info, expected)

    async def _accept_assembled(
        self, rec: UploadRecord, info: ObjectInfo, expected: Checksum | None
    ) -> str | None:
        """The CRC of the object storage assembled for `rec`, once it has the declared size and
        the expected CRC.

        Otherwise the object is deleted before the refusal is raised: it sits at the key reserved
        for this upload, was never receipted and never can be, and no wrongly assembled object may
        stay under a recording's name. Its multipart upload is spent, so the upload ends here and
        the client starts a new one. Storage refuses such parts itself where it checks the CRCs it
        was given; this is what still holds where it does not.
        """
        try:
            if info.size != rec.size:
                logger.error(
                    "Upload %s: stored object size %s differs from declared %d",
                    rec.upload_id,
                    info.size,
                    rec.size,
                )
                raise ApiError(
                    409,
                    "size_mismatch",
                    f"the parts hold {info.size} bytes but the upload was declared as "
                    f"{rec.size} bytes; start a new upload.",
                )
            return _check_stored(rec, info, expected)
        except ApiError:
            await self._discard_assembled(rec)
            raise

    async def _discard_assembled(self, rec: UploadRecord) -> None:
        """Delete the refused object at `rec`'s key and end the upload."""
        try:
            with storage_errors():
                await self._storage.delete(rec.key)
        except ApiError:
            logger.error(
                "Upload %s: could not delete the refused object at %s", rec.upload_id, rec.key
            )
        self._db.mark_aborted(rec.upload_id, time.time())

    async def _check_listed_parts(self, rec: UploadRecord, parts: list[PartToComplete]) -> None:
        """Each named part is in storage with its ETag and its planned size.

        At an MD5 completion storage checks neither sizes nor content (only ETags), so the parts
        are compared with its listing before the upload is spent.
        """
        with storage_errors():
            listed = await self._storage.list_parts(rec.key, rec.s3_upload_id)
        # (number, etag) -> size: a re-sent part may be listed once per upload of it (SeaweedFS),
        # and storage assembles the one whose ETag the completion names.
        stored = {(p.part_number, p.etag): p.size for p in listed}
        numbers = {p.part_number for p in listed}
        named = [(p.part_number, p.etag) for p in parts]
        absent = [n for n, _ in named if n not in numbers]
        if absent:
            raise ApiError(
                400, "invalid_parts", f"storage has no part {_short(absent)}; upload it first."
            )
        wrong = [n for n, e in named if (n, strip_etag(e)) not in stored]
        if wrong:
            raise ApiError(
                400,
                "invalid_parts",
                f"ETag of part {_short(wrong)} differs from what storage holds.",
            )
        total = sum(stored[(n, strip_etag(e))] for n, e in named)
        if total != rec.size:
            raise ApiError(
                409,
                "size_mismatch",
                f"the parts hold {total} bytes but the upload was declared as {rec.size} bytes.",
            )
        # Every part holds exactly its planned share even when the total is right: a part larger
        # than the part size would give an object laid out unlike the plan the client verifies.
        misplaced = [n for n, e in named if stored[(n, strip_etag(e))] != _planned_size(rec, n)]
        if misplaced:
            raise ApiError(
                409,
                "size_mismatch",
                f"part {_short(misplaced)} does not hold its planned size "
                f"({rec.part_size} bytes per part, the last one the rest).",
            )

    async def _recover_completed(
        self, rec: UploadRecord, expected: Checksum | None
    ) -> tuple[str, str | None] | None:
        """The ETag (and CRC) of this upload's object if an earlier completion reached storage
        unrecorded.

        Storage forgot the multipart upload; if its object is there with the declared size (and
        the expected CRC), a completion succeeded in storage but the backend never recorded it
        (crash, lost connection).

        Raises:
            ApiError: 400 `invalid_parts` when the upload is still there after all: SeaweedFS
                answers NoSuchUpload to a completion of an upload that holds no part yet.
        """
        with storage_errors():
            info = await self._storage.head(rec.key, checksums=expected is not None)
        if info is not None and info.size == rec.size and "-" in info.etag:
            stored = await self._accept_assembled(rec, info, expected)
            logger.info(
                "Upload %s: found its completed object; recording the completion", rec.upload_id
            )
            return info.etag, stored
        try:
            with storage_errors():
                held = await self._storage.list_parts(rec.key, rec.s3_upload_id)
        except ApiError as exc:
            if exc.code == "upload_not_found":
                return None
            raise
        raise ApiError(
            400,
            "invalid_parts",
            f"storage holds {len(held)} of the named parts' uploads; upload every part first.",
        )

    def _record_completion(
        self,
        rec: UploadRecord,
        etag: str,
        sha256: str | None,
        checksum: str | None,
        claim: _Claim,
    ) -> dict[str, Any]:
        now = time.time()
        completed_at = iso(now) or ""
        receipt: dict[str, Any] = {
            "upload_id": rec.upload_id,
            "key": rec.key,
            "size": rec.size,
            "etag": etag,
            "sha256": sha256,
            "checksum_algorithm": algorithm_of(rec),
            "checksum": checksum,
            "completed_at": completed_at,
            "bucket": self._storage.bucket,
            "metadata": {"exam_id": rec.exam_id, "kind": rec.kind},
        }
        proof = (
            StorageChecksum(algorithm_of(rec), checksum)
            if checksum is not None
            else StorageChecksum("S3-ETAG", etag)
        )
        signed = self._sign_receipt(rec, proof, sha256, completed_at)
        receipt.update({"receipt_id": signed.receipt_id, "signed": signed.jws})
        self._db.mark_completed(
            rec.upload_id,
            etag,
            now,
            receipt,
            size=rec.size,
            part_count=rec.part_count,
            release=(claim.name, claim.owner),
        )
        claim.released = True
        # One line for both events: every log record costs CPU on the burst's hot path.
        logger.info(
            "Upload %s completed: %d bytes, ETag %s; receipt %s signed by key %s",
            rec.upload_id,
            rec.size,
            etag,
            signed.receipt_id,
            signed.kid,
        )
        return receipt

    def _sign_receipt(
        self, rec: UploadRecord, proof: StorageChecksum, sha256: str | None, completed_at: str
    ) -> IssuedReceipt:
        """After a verified completion: the signed receipt stating what storage holds.

        It is stored with the upload, so completing again returns this same receipt.
        """
        assert rec.size is not None, "completion gives an open upload its final size first"
        return self._receipts.issue(
            ReceiptFacts(
                user=rec.username,
                exam_id=rec.exam_id,
                kind=rec.kind,
                bucket=self._storage.bucket,
                key=rec.key,
                size=rec.size,
                # Storage's own checksum of the whole object, which complete compared: its
                # full-object CRC, or (MD5 uploads) the multipart ETag.
                checksum=proof,
                sha256=sha256,
                upload_id=rec.upload_id,
                created_at=iso(rec.created_at) or "",
                completed_at=completed_at,
            )
        )

    async def abort(self, user: Principal, upload_id: str) -> None:
        """Abort the multipart upload; aborting twice is fine, aborting a completed one is not."""
        async with self._upload_lock(upload_id):
            rec = self.get(user, upload_id)
            if rec.status == "aborted":
                return
            if rec.status == "completed":
                raise ApiError(409, "already_completed", "A completed upload cannot be aborted.")
            try:
                with storage_errors():
                    await self._storage.abort(rec.key, rec.s3_upload_id)
            except ApiError as exc:
                if exc.code != "upload_not_found":
                    raise
            self._db.mark_aborted(rec.upload_id, time.time())
            logger.info("Upload %s aborted by %s", rec.upload_id, user.username)

    def list(
        self, user: Principal, *, status: str | None, limit: int, cursor: int | None
    ) -> tuple[list[UploadRecord], int | None]:
        """A page of uploads (an admin's: everyone's) and the cursor of the next page."""
        rows = self._db.list_uploads(
            user_id=None if user.is_admin else user.user_id,
            status=status,
            before_seq=cursor,
            limit=limit + 1,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (rows[-1].seq if more and rows else None)


@dataclasses.dataclass(slots=True)
class _Claim:
    """A claim `UploadService._upload_lock` holds; `released` once the body gave it up itself;
    the upload and its signed checksums when the lock read them."""

    name: str
    owner: str
    released: bool = False
    upload: UploadRecord | None = None
    signed: SignedParts = dataclasses.field(
        default_factory=lambda: SignedParts({}, lengths_signed=False)
    )


def latest_parts(parts: list[StoredPart]) -> list[StoredPart]:
    """One entry per part number, the most recent upload of it, in part-number order.

    S3 keeps only the last upload of a part number; servers that list every upload (SeaweedFS) list
    them oldest first, so on equal timestamps the later entry wins.
    """
    newest: dict[int, tuple[float, int, StoredPart]] = {}
    for index, part in enumerate(parts):
        current = newest.get(part.part_number)
        if current is None or (part.last_modified, index) >= current[:2]:
            newest[part.part_number] = (part.last_modified, index, part)
    return [newest[n][2] for n in sorted(newest)]


def algorithm_of(rec: UploadRecord) -> str:
    """The checksum algorithm storage checks this upload's parts against."""
    return rec.checksum_algorithm or checksums.LEGACY


def _check_stored(rec: UploadRecord, info: ObjectInfo, expected: Checksum | None) -> str | None:
    """The object's full CRC as storage reports it, which must be the expected one.

    Raises:
        ApiError: Storage reports none (it lacks flexible checksums: the deployment needs
            ``--integrity md5``), or another one (the stored bytes are not the ones hashed).
    """
    if expected is None:
        return None
    stored = info.checksums.get(expected.algorithm)
    if stored is None:
        logger.error(
            "Upload %s: storage reports no full-object %s; this store needs --integrity md5",
            rec.upload_id,
            expected.algorithm,
        )
        raise ApiError(
            502,
            "storage_error",
            f"Storage does not report the object's {expected.algorithm}; the backend must run "
            "with --integrity md5 for this store.",
        )
    if stored != expected.value:
        logger.error(
            "Upload %s: storage's %s %s differs from the parts' %s",
            rec.upload_id,
            expected.algorithm,
            stored,
            expected.value,
        )
        raise ApiError(
            409,
            "checksum_mismatch",
            f"The stored object's {expected.algorithm} differs from the one its parts were "
            "signed with.",
        )
    return stored


def _planned_size(rec: UploadRecord, number: int) -> int:
    """Bytes part `number` must hold: the part size, the last part the remainder."""
    assert rec.size is not None, "completion gives an open upload its final size first"
    if number < rec.part_count:
        return rec.part_size
    return rec.size - (rec.part_count - 1) * rec.part_size


def _short(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
