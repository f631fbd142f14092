"""Exam completeness: per proctor, every upload of one exam and how far its evidence goes.

At the end of an exam a coordinator asks whether every recording is in. This answers it from the
database alone (no storage call): each upload's state and bytes, whether a signed receipt was
issued, and the latest audit of its object. `proctor-backend exams show` and the admin-only
`GET /api/v1/exams/{id}` both print this report.
"""

from __future__ import annotations

from typing import Any

from backend.db import Database
from backend.uploads import iso


def exam_report(db: Database, exam_id: str) -> dict[str, Any]:
    """The report of `exam_id`: `{exam_id, proctors: [{username, uploads: [...]}], totals}`."""
    uploads = db.exam_uploads(exam_id)
    audits = db.latest_audits([u.upload_id for u in uploads])
    proctors: dict[str, list[dict[str, Any]]] = {}
    for rec in uploads:
        receipt = rec.receipt or {}
        audit = audits.get(rec.upload_id)
        proctors.setdefault(rec.username, []).append(
            {
                "upload_id": rec.upload_id,
                "filename": rec.filename,
                "kind": rec.kind,
                "state": rec.status,
                "bytes": rec.size,
                "key": rec.key,
                "created_at": iso(rec.created_at),
                "completed_at": iso(rec.completed_at),
                "receipt": receipt.get("receipt_id"),
                "signed": bool(receipt.get("signed")),
                "audited": None
                if audit is None
                else {"result": audit.result, "at": iso(audit.audited_at), "detail": audit.detail},
            }
        )
    completed = [u for u in uploads if u.status == "completed"]
    return {
        "exam_id": exam_id,
        "proctors": [{"username": name, "uploads": rows} for name, rows in proctors.items()],
        "totals": {
            "uploads": len(uploads),
            "completed": len(completed),
            "in_progress": sum(u.status == "in_progress" for u in uploads),
            "aborted": sum(u.status == "aborted" for u in uploads),
            "bytes_completed": sum(u.size or 0 for u in completed),
            "signed": sum(bool((u.receipt or {}).get("signed")) for u in completed),
            "audited": sum(
                a.result == "audited" for a in (audits.get(u.upload_id) for u in completed) if a
            ),
            "mismatches": sum(
                a.result == "MISMATCH" for a in (audits.get(u.upload_id) for u in completed) if a
            ),
        },
    }
