"""Reserved keys, uploads, client tokens and claims (work on one upload, across processes)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from backend.db.driver import RepositoryBase, Row
from backend.db.errors import ConstraintError
from backend.db.records import SignedParts, UploadRecord

_UPLOAD_COLUMNS = tuple(name for name in UploadRecord.__slots__ if name != "seq")
_COLUMN_LIST = ", ".join(_UPLOAD_COLUMNS)
_MARKS = ", ".join("?" for _ in _UPLOAD_COLUMNS)
_RELEASE = "DELETE FROM claims WHERE name = ? AND owner = ?"
# Insert the claim, or take over one older than the last value (its holder died).
_CLAIM = (
    "INSERT INTO claims (name, owner, claimed_at) VALUES (?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
    "claimed_at = excluded.claimed_at WHERE claims.claimed_at < ?"
)
# A key is handed out once, for good: the row stays after its upload ends.
_TAKE_KEY = "INSERT INTO keys (key, user_id, source, created_at) VALUES (?, ?, ?, ?)"
_SIGNED_CHECKSUMS = (
    "SELECT part_number, checksum, length_signed FROM signed_parts WHERE upload_id = ?"
)


class UploadsRepository(RepositoryBase):
    """The upload half of `Database`."""

    # --- claims (work on one upload, across worker processes and instances) --------------------

    def claim(self, name: str, owner: str, now: float, stale_before: float) -> bool:
        """Take the claim `name` for `owner`; False while someone else holds it.

        A claim older than `stale_before` is taken over: its holder died without releasing it.
        One statement (insert, or take over a stale row), so it needs no transaction around it.
        """
        with self._write_one() as tx:
            taken = tx.run(_CLAIM, (name, owner, now, stale_before))
        return taken == 1

    def claim_upload(
        self, upload_id: str, owner: str, now: float, stale_before: float
    ) -> tuple[bool, UploadRecord | None, SignedParts]:
        """`claim` an upload by its id, and read it with its signed parts in the same
        transaction (one round trip on PostgreSQL); the reads are of no use unless it was taken."""
        taken, uploads, signed = self._write_all(
            (_CLAIM + " RETURNING owner", (upload_id, owner, now, stale_before)),
            ("SELECT * FROM uploads WHERE upload_id = ?", (upload_id,)),
            (_SIGNED_CHECKSUMS, (upload_id,)),
        )
        return (
            bool(taken),
            upload_from_row(uploads[0]) if uploads else None,
            SignedParts(_by_part(signed), all(row["length_signed"] for row in signed)),
        )

    def release(self, name: str, owner: str) -> None:
        """Give up the claim `name` if `owner` still holds it."""
        with self._write_one() as tx:
            tx.run(_RELEASE, (name, owner))

    # --- keys and uploads ----------------------------------------------------------------------

    def reserve_key(self, key: str, user_id: int, source: str) -> bool:
        """Claim `key` for good; False if it was ever handed out before."""
        with self._write_one() as tx:
            taken = tx.run(
                _TAKE_KEY + " ON CONFLICT (key) DO NOTHING", (key, user_id, source, time.time())
            )
        return taken == 1

    def release_key(self, key: str) -> None:
        """Give back a reserved key that no upload was created for."""
        with self._write_one() as tx:
            tx.run(
                "DELETE FROM keys WHERE key = ? AND NOT EXISTS "
                "(SELECT 1 FROM uploads u WHERE u.key = keys.key)",
                (key,),
            )

    def insert_upload(self, rec: UploadRecord, *, client_token: str | None = None) -> UploadRecord:
        """Insert an upload row at a key reserved before (and map the client's token to it);
        returns it with its `seq`."""
        (row,), *_ = self._write_all(*self._upload_inserts(rec, client_token))
        return _with_seq(rec, int(row["seq"]))

    def insert_upload_taking_key(
        self, rec: UploadRecord, *, client_token: str | None = None
    ) -> UploadRecord | None:
        """Reserve `rec.key` for good and insert the upload row in one write; None (nothing
        written) if the key was ever handed out before."""
        take = (_TAKE_KEY, (rec.key, rec.user_id, "multipart", time.time()))
        try:
            _, (row,), *_ = self._write_all(take, *self._upload_inserts(rec, client_token))
        except ConstraintError:
            if self._key_held(rec.key):
                return None
            raise
        return _with_seq(rec, int(row["seq"]))

    def _key_held(self, key: str) -> bool:
        with self._read() as tx:
            return tx.one("SELECT 1 AS held FROM keys WHERE key = ?", (key,)) is not None

    @staticmethod
    def _upload_inserts(
        rec: UploadRecord, client_token: str | None
    ) -> list[tuple[str, Sequence[object]]]:
        values = _upload_values(rec)
        statements: list[tuple[str, Sequence[object]]] = [
            (
                f"INSERT INTO uploads ({_COLUMN_LIST}) VALUES ({_MARKS}) RETURNING seq",
                [values[c] for c in _UPLOAD_COLUMNS],
            )
        ]
        if client_token is not None:
            statements.append(
                (
                    "INSERT INTO upload_tokens (user_id, client_token, upload_id) "
                    "VALUES (?, ?, ?) ON CONFLICT (user_id, client_token) "
                    "DO UPDATE SET upload_id = excluded.upload_id",
                    (rec.user_id, client_token, rec.upload_id),
                )
            )
        return statements

    def upload_for_token(self, user_id: int, client_token: str) -> UploadRecord | None:
        """The upload a client token was last used to create, or None."""
        with self._read() as tx:
            row = tx.one(
                "SELECT u.* FROM upload_tokens t JOIN uploads u ON u.upload_id = t.upload_id "
                "WHERE t.user_id = ? AND t.client_token = ?",
                (user_id, client_token),
            )
        return upload_from_row(row) if row else None

    def get_upload(self, upload_id: str) -> UploadRecord | None:
        """The upload with public id `upload_id`, or None."""
        with self._read() as tx:
            row = tx.one("SELECT * FROM uploads WHERE upload_id = ?", (upload_id,))
        return upload_from_row(row) if row else None

    def mark_completed(
        self,
        upload_id: str,
        etag: str,
        completed_at: float,
        receipt: dict[str, Any],
        *,
        size: int | None,
        part_count: int,
        release: tuple[str, str] | None = None,
    ) -> None:
        """Record a completion, its receipt, and the final size and part count.

        `release` is a claim `(name, owner)` given up in the same transaction: the completion's
        last write and the end of its claim cost one commit instead of two.
        """
        update = (
            "UPDATE uploads SET status = 'completed', etag = ?, completed_at = ?, receipt = ?, "
            "size = ?, part_count = ? WHERE upload_id = ? AND status = 'in_progress'",
            (
                etag,
                completed_at,
                json.dumps(receipt),
                _UNKNOWN_SIZE if size is None else size,
                part_count,
                upload_id,
            ),
        )
        if release:
            self._write_all(update, (_RELEASE, release))
        else:
            with self._write_one() as tx:
                tx.run(*update)

    def mark_aborted(self, upload_id: str, now: float) -> None:
        """Record that an in-progress upload is gone."""
        with self._write_one() as tx:
            tx.run(
                "UPDATE uploads SET status = 'aborted', aborted_at = ? "
                "WHERE upload_id = ? AND status = 'in_progress'",
                (now, upload_id),
            )

    def bytes_declared(self, user_id: int, since: float) -> int:
        """The sizes of a user's uploads created at or after `since` and not aborted, summed.

        Uploads whose size is not known yet count nothing.
        """
        with self._read() as tx:
            row = tx.one(
                "SELECT COALESCE(SUM(size), 0) AS total FROM uploads "
                "WHERE user_id = ? AND created_at >= ? AND status <> 'aborted' AND size >= 0",
                (user_id, since),
            )
        return int(row["total"]) if row else 0

    def record_signed_parts(
        self,
        upload_id: str,
        parts: list[tuple[int, str, int | None]],
        *,
        lengths_signed: bool = False,
    ) -> None:
        """Remember `(part_number, checksum, size)` of part URLs just signed (size None while
        the upload's size is not known), so completion and resume know which bytes storage can
        have accepted; `lengths_signed`: each URL was signed with its part's size as its
        Content-Length, so storage refuses any other.

        A part signed again with the same checksum keeps one row, which says "any length" if
        any of its URLs allowed one.
        """
        if not parts:
            return
        now = time.time()
        # One multi-row statement (at most 100 rows of 6 values): atomic by itself, and one
        # round trip on PostgreSQL where a row per statement would be one each.
        rows = ", ".join("(?, ?, ?, ?, ?, ?)" for _ in parts)
        params: list[object] = []
        for n, checksum, size in parts:
            params += (upload_id, n, checksum, size, now, int(lengths_signed))
        with self._write_one() as tx:
            tx.run(
                "INSERT INTO signed_parts "
                "(upload_id, part_number, checksum, size, signed_at, length_signed) "
                f"VALUES {rows} ON CONFLICT (upload_id, part_number, checksum) DO UPDATE "
                "SET length_signed = excluded.length_signed "
                "WHERE excluded.length_signed < signed_parts.length_signed",
                params,
            )

    def signed_checksums(self, upload_id: str) -> dict[int, set[str]]:
        """Every checksum a URL of each part number was signed with."""
        with self._read() as tx:
            return _by_part(tx.all(_SIGNED_CHECKSUMS, (upload_id,)))

    def list_uploads(
        self, *, user_id: int | None, status: str | None, before_seq: int | None, limit: int
    ) -> list[UploadRecord]:
        """Uploads newest first; `user_id` None means everyone's."""
        where: list[str] = []
        args: list[object] = []
        if user_id is not None:
            where.append("user_id = ?")
            args.append(user_id)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if before_seq is not None:
            where.append("seq < ?")
            args.append(before_seq)
        sql = "SELECT * FROM uploads"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit)
        with self._read() as tx:
            rows = tx.all(sql, args)
        return [upload_from_row(r) for r in rows]


# `size` stays NOT NULL in the table (SQLite cannot drop the constraint in place); an upload whose
# size is not known yet (a recording still being written) stores this instead, and the record
# says None.
_UNKNOWN_SIZE = -1


def upload_from_row(row: Row) -> UploadRecord:
    """An `uploads` row as a record."""
    values = {name: row[name] for name in UploadRecord.__slots__}
    values["receipt"] = json.loads(values["receipt"]) if values["receipt"] else None
    if values["size"] == _UNKNOWN_SIZE:
        values["size"] = None
    return UploadRecord(**values)


def _by_part(rows: list[Row]) -> dict[int, set[str]]:
    signed: dict[int, set[str]] = {}
    for row in rows:
        signed.setdefault(int(row["part_number"]), set()).add(str(row["checksum"]))
    return signed


def _upload_values(rec: UploadRecord) -> dict[str, Any]:
    values = {name: getattr(rec, name) for name in UploadRecord.__slots__}
    values["receipt"] = json.dumps(rec.receipt) if rec.receipt is not None else None
    if rec.size is None:
        values["size"] = _UNKNOWN_SIZE
    return values


def _with_seq(rec: UploadRecord, seq: int) -> UploadRecord:
    values = {name: getattr(rec, name) for name in UploadRecord.__slots__}
    values["seq"] = seq
    return UploadRecord(**values)
