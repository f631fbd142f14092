"""`proctor-backend audit` and `exams show`: the organisation checks its own evidence.

Outside `backend.receipts`, which upload completion uses to sign receipts: these commands read
uploads and exams, so inside that package they closed an import cycle.
"""
# ruff: noqa: T201  (a CLI talks to its user through stdout/stderr)

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime

from backend.db import open_configured
from backend.exams import exam_report
from backend.receipts.audit import MISMATCH, Auditor
from backend.receipts.signing_keys import SigningKeyError, SigningKeys
from backend.settings import Settings
from backend.storage import S3Storage, StorageError

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:/s)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_rate(text: str) -> int:
    """`50M` -> 50 MiB/s in bytes per second; `0` means unlimited (argparse type)."""
    m = _RATE.match(text)
    if m is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate; use e.g. 50M, 500K or 0")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def parse_since(text: str) -> float:
    """An ISO 8601 date or time (UTC unless it says otherwise) as Unix time (argparse type)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; use e.g. 2026-06-01 or 2026-06-01T09:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    """Read every matching object back and compare it with its receipt; exit 1 on any mismatch."""
    db = open_configured(settings)
    try:
        auditor = Auditor(
            db, S3Storage(settings), SigningKeys(settings.data_dir), rate=args.rate or None
        )
        counts = {"audited": 0, MISMATCH: 0}
        for outcome in auditor.run(exam_id=args.exam, since=args.since):
            audit = outcome.audit
            counts[audit.result] += 1
            print(f"{audit.result:<8}  {outcome.upload.upload_id}  {outcome.upload.key}: "
                  f"{audit.detail}", flush=True)  # fmt: skip
    except (StorageError, SigningKeyError) as exc:
        print(f"proctor-backend: audit stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        db.close()
    total = counts["audited"] + counts[MISMATCH]
    print(f"{total} object(s) read: {counts['audited']} audited, {counts[MISMATCH]} MISMATCH.")
    return 1 if counts[MISMATCH] else 0


def cmd_exams_show(settings: Settings, args: argparse.Namespace) -> int:
    """Print per proctor the uploads of one exam (as JSON with --json)."""
    db = open_configured(settings)
    try:
        report = exam_report(db, args.exam_id)
    finally:
        db.close()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    totals = report["totals"]
    print(
        f"Exam {report['exam_id']}: {totals['completed']} of {totals['uploads']} upload(s) "
        f"completed ({totals['in_progress']} in progress, {totals['aborted']} aborted), "
        f"{totals['signed']} signed, {totals['audited']} audited, "
        f"{totals['mismatches']} MISMATCH."
    )
    for proctor in report["proctors"]:
        print(f"\n{proctor['username']}")
        for u in proctor["uploads"]:
            audited = u["audited"]
            audit = f"{audited['result']} {audited['at']}" if audited else "not audited"
            receipt = u["receipt"] or "no receipt"
            size = "?" if u["bytes"] is None else f"{u['bytes']:,}"
            print(f"  {u['state']:<11}  {size:>14}  {u['filename']}  {receipt}  {audit}")
    if not report["proctors"]:
        print("No uploads.")
    return 0
