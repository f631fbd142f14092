"""The receipt has one definition; every shape it takes carries every field, field for field.

The sample receipt is built from the dataclass's own fields, each with a value of its own, so a
field added to :class:`desktop.engine.receipt.Receipt` that some representation does not carry
makes the round trip through that representation fail here.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from desktop.api.models import UploadReceipt
from desktop.engine import receipts as export
from desktop.engine.receipt import FIELDS, Receipt, from_dict, to_dict
from desktop.engine.receipt_log import ReceiptLog
from desktop.engine.store import QueueStore
from desktop.trust import verify

_TYPES = {f.name: f.type for f in dataclasses.fields(Receipt)}


def _sample() -> Receipt:
    """A receipt whose every field holds a distinct value that is not its default."""
    values: dict[str, Any] = {
        name: 1_000_003 + i if _TYPES[name] in (int, "int") else f"{name} 값 {i}"
        for i, name in enumerate(FIELDS)
    }
    return Receipt(**values)


def _typed(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row's text back into the field types."""
    return {k: int(v) if _TYPES[k] in (int, "int") else v for k, v in row.items()}


def test_the_sample_sets_every_field_away_from_its_default() -> None:
    sample = _sample()
    for f in dataclasses.fields(Receipt):
        assert getattr(sample, f.name) not in (f.default, "", 0), f.name


def test_json_export_round_trips_every_field() -> None:
    sample = _sample()
    rows = json.loads(export.to_json([sample]))
    assert list(rows[0]) == list(FIELDS)
    assert [from_dict(r) for r in rows] == [sample]


def test_csv_export_round_trips_every_field() -> None:
    sample = _sample()
    reader = csv.DictReader(io.StringIO(export.to_csv([sample])))
    assert reader.fieldnames == list(FIELDS)
    assert [from_dict(_typed(r)) for r in reader] == [sample]


def test_exported_file_round_trips_every_field(tmp_path: Path) -> None:
    sample = _sample()
    written = export.export([sample], tmp_path / "r.json", fmt="json")
    assert [from_dict(r) for r in json.loads(written.read_text("utf-8"))] == [sample]
    written = export.export([sample], tmp_path / "r.csv", fmt="csv", bom=True)
    with written.open(encoding="utf-8-sig", newline="") as f:
        assert [from_dict(_typed(r)) for r in csv.DictReader(f)] == [sample]


def test_receipt_log_round_trips_every_field(tmp_path: Path) -> None:
    sample = _sample()
    log = ReceiptLog(tmp_path / "receipts.jsonl")
    log.append([sample])
    line = json.loads(log.path.read_text("utf-8"))
    assert set(line) == set(FIELDS)
    assert ReceiptLog(log.path).read() == [sample]


def test_store_has_a_column_per_field_and_round_trips_it(tmp_path: Path) -> None:
    sample = _sample()
    path = tmp_path / "queue.sqlite3"
    store = QueueStore(path)
    store.add_receipt(sample)
    store.close()
    # A field added to the receipt without a migration adding its column fails here.
    with sqlite3.connect(path) as raw:
        columns = {row[1] for row in raw.execute("PRAGMA table_info(receipts)")}
    raw.close()
    assert set(FIELDS) <= columns
    reopened = QueueStore(path)
    try:
        assert reopened.receipts() == [sample]
    finally:
        reopened.close()


def test_backend_answer_and_job_make_every_field() -> None:
    sample = _sample()
    # The backend's JSON answer to completing an upload (docs/api.md), parsed as the client does.
    answer = UploadReceipt.from_json(
        {
            "upload_id": sample.upload_id,
            "key": sample.key,
            "size": sample.size,
            "etag": f'"{sample.etag}"',
            "sha256": "what the client declared",
            "completed_at": sample.completed_at,
            "signed": sample.signed,
        }
    )
    made = Receipt.completed(
        answer,
        job_id=sample.job_id,
        path=sample.path,
        exam_id=sample.exam_id,
        kind=sample.kind,
        upload_id=sample.upload_id,
        sha256=sample.sha256,
    )
    assert made == sample


def test_unsigned_answer_makes_an_unsigned_receipt() -> None:
    answer = UploadReceipt.from_json(
        {"upload_id": "u", "key": "k", "size": 1, "etag": "e", "sha256": None, "completed_at": "t"}
    )
    made = Receipt.completed(
        answer, job_id="j", path="p", exam_id="x", kind="other", upload_id="u", sha256="s"
    )
    assert made.signed == ""


def test_signed_claims_are_matched_against_receipt_fields() -> None:
    # The signature check compares these receipt fields with the signed claims; each must be one.
    assert set(verify._MATCHED) <= set(FIELDS)
    assert set(verify._MATCHED) <= set(to_dict(_sample()))


@pytest.mark.parametrize(
    "change",
    [
        {"size": "12"},
        {"size": True},
        {"key": 5},
        {"kind": None},
    ],
)
def test_from_dict_refuses_a_field_of_the_wrong_type(change: dict[str, Any]) -> None:
    assert from_dict({**to_dict(_sample()), **change}) is None


def test_from_dict_refuses_a_missing_field_but_not_a_missing_default() -> None:
    raw = to_dict(_sample())
    without_key = {k: v for k, v in raw.items() if k != "key"}
    assert from_dict(without_key) is None
    older = {k: v for k, v in raw.items() if k != "signed"}
    parsed = from_dict(older)
    assert parsed is not None
    assert parsed.signed == ""
