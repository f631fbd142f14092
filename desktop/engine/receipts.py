"""Receipts out: the proctor's proof that each recording arrived, as CSV or JSON.

Files are written to a temporary name in the same folder and renamed into place, so an export that
fails half-way (disk full) never leaves a truncated file that looks complete.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from desktop.engine import receipt
from desktop.engine.receipt import Receipt
from desktop.errors import StateStoreError

#: Column order of the CSV export (and key order of the JSON export): the receipt's fields.
FIELDS = receipt.FIELDS


def to_csv(receipts: Sequence[Receipt]) -> str:
    """The receipts as CSV text with a header row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in receipts:
        writer.writerow(_guard_formulas(receipt.to_dict(r)))
    return out.getvalue()


def _guard_formulas(row: dict[str, object]) -> dict[str, object]:
    # A file name like "=HYPERLINK(...)" would run as a formula when the CSV is opened in a
    # spreadsheet (CSV injection); a leading apostrophe keeps it text.
    return {
        k: ("'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
        for k, v in row.items()
    }


def to_json(receipts: Sequence[Receipt]) -> str:
    """The receipts as a pretty-printed JSON array."""
    return json.dumps([receipt.to_dict(r) for r in receipts], indent=2, ensure_ascii=False) + "\n"


def export(receipts: Sequence[Receipt], path: Path, *, fmt: str, bom: bool = False) -> Path:
    """Write the receipts to `path` as ``csv`` or ``json``, atomically.

    The app's History export and the CLI's ``receipts --csv`` write the same file; `bom` starts it
    with a UTF-8 byte order mark, so spreadsheet apps (which the app's users open it in) read
    Hangul file names correctly.

    Raises:
        ValueError: Unknown format.
        StateStoreError: The file cannot be written (a clear message names the path).
    """
    if fmt not in ("csv", "json"):
        raise ValueError("format must be csv or json")
    text = to_csv(receipts) if fmt == "csv" else to_json(receipts)
    target = Path(path).expanduser()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".receipts-", dir=target.parent)
        try:
            encoding = "utf-8-sig" if bom else "utf-8"
            with os.fdopen(fd, "w", encoding=encoding, newline="") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise StateStoreError(
            f"The receipts could not be written to {target} ({exc.strerror or exc}).",
            title="Export failed",
        ) from exc
    return target
