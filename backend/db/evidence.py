"""Audits of stored objects, and the uploads of one exam (what a coordinator checks at the end)."""

from __future__ import annotations

from collections.abc import Sequence

from backend.db.driver import RepositoryBase, Row
from backend.db.records import AuditRecord, UploadRecord
from backend.db.uploads import upload_from_row


class EvidenceRepository(RepositoryBase):
    """The audit and exam half of `Database`."""

    def record_audit(self, audit: AuditRecord) -> None:
        """Append one audit result (earlier ones stay: the history is the evidence)."""
        with self._write_one() as tx:
            tx.run(
                "INSERT INTO audits (upload_id, audited_at, result, size, sha256, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (audit.upload_id, audit.audited_at, audit.result, audit.size, audit.sha256,
                 audit.detail),
            )  # fmt: skip

    def latest_audits(self, upload_ids: Sequence[str]) -> dict[str, AuditRecord]:
        """The newest audit of each of `upload_ids` that was ever audited."""
        found: dict[str, AuditRecord] = {}
        # Bounded IN lists: both databases take them, and no statement grows without limit.
        for start in range(0, len(upload_ids), 500):
            batch = list(upload_ids[start : start + 500])
            marks = ", ".join("?" for _ in batch)
            with self._read() as tx:
                rows = tx.all(
                    f"SELECT * FROM audits WHERE upload_id IN ({marks}) ORDER BY audited_at, id",
                    batch,
                )
            for row in rows:
                found[row["upload_id"]] = _audit(row)
        return found

    def completed_uploads(
        self, *, exam_id: str | None, since: float | None, after_seq: int, limit: int
    ) -> list[UploadRecord]:
        """Completed uploads oldest first from `after_seq` (a page of what an audit reads)."""
        where = ["status = 'completed'", "seq > ?"]
        args: list[object] = [after_seq]
        if exam_id is not None:
            where.append("exam_id = ?")
            args.append(exam_id)
        if since is not None:
            where.append("completed_at >= ?")
            args.append(since)
        args.append(limit)
        with self._read() as tx:
            rows = tx.all(
                f"SELECT * FROM uploads WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?", args
            )
        return [upload_from_row(r) for r in rows]

    def exam_uploads(self, exam_id: str, *, user_id: int | None = None) -> list[UploadRecord]:
        """Every upload of `exam_id` (only `user_id`'s when given), by proctor then age."""
        sql = "SELECT * FROM uploads WHERE exam_id = ?"
        args: list[object] = [exam_id]
        if user_id is not None:
            sql += " AND user_id = ?"
            args.append(user_id)
        with self._read() as tx:
            rows = tx.all(sql + " ORDER BY username, seq", args)
        return [upload_from_row(r) for r in rows]


def _audit(row: Row) -> AuditRecord:
    return AuditRecord(**{name: row[name] for name in AuditRecord.__slots__})
