"""The receipt: the proctor's proof that a recording arrived intact, and its one definition.

Every shape a receipt takes is derived from the dataclass below: the CSV and JSON exports
(:mod:`desktop.engine.receipts`), the append-only receipt file (:mod:`desktop.engine.receipt_log`),
the queue database's ``receipts`` table (:mod:`desktop.engine.store`), the History's rows and the
dict the signature check compares against the signed claims. Adding a field therefore means adding
it here, plus a migration of the ``receipts`` table; the tests fail if a representation misses it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from desktop.api.models import UploadReceipt

__all__ = ["FIELDS", "Receipt", "from_dict", "from_row", "to_dict", "to_row"]


@dataclass(frozen=True, slots=True)
class Receipt:
    """The proctor's proof that a recording arrived intact.

    Attributes:
        job_id: The engine job that produced it.
        path: The source file.
        key: Where the object lives in storage.
        size: Bytes stored (equal to the file's size, checked).
        sha256: SHA-256 of the file, hex.
        etag: The object's ETag as storage returned it (equal to the one computed locally, checked).
        completed_at: ISO 8601 UTC time of completion.
        exam_id: The exam the recording belongs to.
        kind: ``webcam``, ``screen`` or ``other``.
        upload_id: The backend's upload id.
        signed: The backend's signed receipt (a compact JWS, docs/api.md), or ``""`` when the
            server signed none.
    """

    job_id: str
    path: str
    key: str
    size: int
    sha256: str
    etag: str
    completed_at: str
    exam_id: str
    kind: str
    upload_id: str
    signed: str = ""

    @classmethod
    def completed(
        cls,
        answer: UploadReceipt,
        *,
        job_id: str,
        path: str,
        exam_id: str,
        kind: str,
        upload_id: str,
        sha256: str,
    ) -> Receipt:
        """The receipt of a job the backend has just completed with `answer`.

        `sha256` is the one hashed here from the bytes storage accepted, never the one the backend
        echoes back.
        """
        return cls(
            job_id=job_id,
            path=path,
            key=answer.key,
            size=answer.size,
            sha256=sha256,
            etag=answer.etag,
            completed_at=answer.completed_at or datetime.now(UTC).isoformat(),
            exam_id=exam_id,
            kind=kind,
            upload_id=upload_id,
            signed=answer.signed or "",
        )


#: The receipt's fields in order: the CSV columns, the JSON keys, the database's columns.
FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Receipt))

_INTS = frozenset(f.name for f in dataclasses.fields(Receipt) if f.type in (int, "int"))
_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in dataclasses.fields(Receipt) if f.default is not dataclasses.MISSING
}


def to_dict(receipt: Receipt) -> dict[str, Any]:
    """The receipt as a dict keyed by field name, in field order (what the exports write)."""
    return dataclasses.asdict(receipt)


def from_dict(raw: Mapping[str, Any]) -> Receipt | None:
    """The receipt `raw` describes, or None when a field is missing or of the wrong type.

    A field with a default (``signed``, which older receipts lack) may be missing or null.
    """
    values: dict[str, Any] = {}
    for name in FIELDS:
        value = raw.get(name)
        if value is None and name in _DEFAULTS:
            value = _DEFAULTS[name]
        wanted = int if name in _INTS else str
        # bool is an int in Python, but never a size.
        if not isinstance(value, wanted) or isinstance(value, bool):
            return None
        values[name] = value
    return Receipt(**values)


def to_row(receipt: Receipt) -> tuple[Any, ...]:
    """The receipt's values in :data:`FIELDS` order (a database row)."""
    return dataclasses.astuple(receipt)


def from_row(row: tuple[Any, ...]) -> Receipt:
    """The receipt of a database row read in :data:`FIELDS` order."""
    values: dict[str, Any] = {
        name: int(v) if name in _INTS else str(v) for name, v in zip(FIELDS, row, strict=True)
    }
    return Receipt(**values)
