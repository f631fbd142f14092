"""Smaller engine pieces: progress smoothing, retry waits, S3 error mapping, reconcile, receipts
and the engine lock."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import threading
from pathlib import Path

import pytest

from desktop.api.models import RemotePart
from desktop.engine import checksums
from desktop.engine.events import ProgressMeter
from desktop.engine.instance import AlreadyRunningError, EngineLock
from desktop.engine.planner import plan
from desktop.engine.receipt import Receipt
from desktop.engine.receipts import export, to_csv, to_json
from desktop.engine.retry import Backoff, call_with_retry
from desktop.engine.runs import reconcile
from desktop.engine.store import PartRecord
from desktop.engine.transfer import IntegrityError, StorageError, classify_response, redact_url
from desktop.errors import (
    AuthError,
    ClockSkewError,
    DataChangedError,
    NetworkError,
    UploadExpiredError,
    UploadNotFoundError,
)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_progress_meter_smooths_and_throttles() -> None:
    clock = Clock()
    meter = ProgressMeter(1000, tau=1.0, min_interval=0.25, clock=clock)
    assert meter.add(100) is True  # first sample is always due
    assert meter.add(10) is False  # same instant: throttled
    clock.t = 1.0
    assert meter.add(90) is True
    first = meter.speed
    assert first == pytest.approx(100.0)  # 100 bytes in the last second
    clock.t = 2.0
    meter.add(500)  # a burst moves the average only part of the way
    assert first < meter.speed < 500
    assert meter.eta == pytest.approx((1000 - 700) / meter.speed)
    meter.add(-100)  # a retry rewinds
    assert meter.bytes_done == 600
    meter.idle()
    assert meter.speed == 0.0
    assert meter.eta is None
    meter.reset(5000)
    assert meter.bytes_done == 1000


def test_backoff_grows_caps_and_respects_retry_after() -> None:
    b = Backoff(base=1.0, cap=60.0, rng=random.Random(1))
    assert [b.ceiling(n) for n in (1, 2, 3, 10)] == [1.0, 2.0, 4.0, 60.0]
    for attempt in range(1, 12):
        assert b.ceiling(attempt) / 2 <= b.delay(attempt) <= b.ceiling(attempt)
    assert b.delay(1, retry_after=30) == 30
    assert b.delay(1, retry_after=600) == 60


def test_call_with_retry_retries_only_retryable_errors() -> None:
    calls: list[int] = []
    stop = threading.Event()

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise NetworkError()
        return "ok"

    seen: list[int] = []
    fast = Backoff(base=0.001, cap=0.002)
    assert call_with_retry(flaky, backoff=fast, stop=stop, on_retry=lambda e, n, w: seen.append(n))
    assert seen == [1, 2]
    with pytest.raises(AuthError):
        call_with_retry(lambda: (_ for _ in ()).throw(AuthError()), backoff=fast, stop=stop)
    with pytest.raises(DataChangedError):
        call_with_retry(lambda: (_ for _ in ()).throw(DataChangedError()), backoff=fast, stop=stop)
    with pytest.raises(NetworkError):
        call_with_retry(
            lambda: (_ for _ in ()).throw(NetworkError()), backoff=fast, stop=stop, max_attempts=2
        )
    stop.set()
    with pytest.raises(NetworkError):
        call_with_retry(lambda: (_ for _ in ()).throw(NetworkError()), backoff=fast, stop=stop)


def _xml(code: str, message: str = "m") -> bytes:
    return f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()


@pytest.mark.parametrize(
    ("status", "body", "kind", "retryable"),
    [
        (403, _xml("AccessDenied", "Request has expired"), UploadExpiredError, True),
        (403, _xml("SignatureDoesNotMatch"), UploadExpiredError, True),
        (403, _xml("RequestTimeTooSkewed"), ClockSkewError, False),
        (404, _xml("NoSuchUpload"), UploadNotFoundError, False),
        (400, _xml("BadDigest"), IntegrityError, True),
        (503, _xml("SlowDown"), StorageError, True),
        (500, _xml("InternalError"), StorageError, True),
        (400, _xml("RequestTimeout"), StorageError, True),
        (403, _xml("AccessDenied", "Access Denied"), StorageError, False),
        (502, b"<html>bad gateway</html>", StorageError, True),
        (200, b"", StorageError, True),  # never a final verdict from a non-error status
    ],
)
def test_storage_errors_are_classified(
    status: int, body: bytes, kind: type[Exception], retryable: bool
) -> None:
    err = classify_response(status, body, retry_after=2.0)
    assert type(err) is kind
    assert err.retryable is retryable


def test_redact_url_drops_the_query() -> None:
    url = "https://s3.example/b/k?X-Amz-Signature=abc&X-Amz-Credential=key"
    assert redact_url(url) == "https://s3.example/b/k"


def test_reconcile_keeps_agreed_parts_and_reports_unknown_ones() -> None:
    parts = plan(12, 5)
    local = {1: PartRecord(1, 5, "e1", "e1"), 2: PartRecord(2, 5, "e2", "e2")}
    remote = [
        RemotePart(1, "E1", 5),  # agrees (ETags compare case-insensitively)
        RemotePart(2, "zz", 5),  # storage holds something else: not trusted
        RemotePart(3, "e3", 2),  # stored but never committed locally
        RemotePart(4, "e4", 5),  # not in the plan
        RemotePart(3, "e3", 9),  # wrong size for the plan: ignored
    ]
    agreed, unknown = reconcile(parts, local, remote)
    assert list(agreed) == [1]
    assert [(u.part_number, u.etag) for u in unknown] == [(2, "zz"), (3, "e3")]


def test_reconcile_trusts_no_part_whose_known_checksum_differs() -> None:
    """Same number and ETag are not enough when the backend knows the part holds other bytes
    (e.g. re-sent after the record was written): such a part is checked again, never agreed."""
    parts = plan(10, 5)
    crc = "00112233aabbccdd"
    local = {1: PartRecord(1, 5, "e1", crc), 2: PartRecord(2, 5, "e2", crc)}
    remote = [
        RemotePart(1, "e1", 5, checksum=checksums.to_base64(crc)),  # the same checksum: agreed
        RemotePart(2, "e2", 5, checksum=checksums.to_base64("ffffffffffffffff")),
    ]
    agreed, unknown = reconcile(parts, local, remote)
    assert list(agreed) == [1]
    assert [u.part_number for u in unknown] == [2]


def _receipt(path: str = "/r/a.mp4") -> Receipt:
    return Receipt("j", path, "k", 1, "s" * 64, "e-1", "2026-01-01T00:00:00Z", "E", "webcam", "u")


def test_receipts_export_csv_and_json(tmp_path: Path) -> None:
    items = [_receipt(), _receipt("=cmd|' /C calc'!A0")]
    rows = list(csv.DictReader(io.StringIO(to_csv(items))))
    assert rows[0]["sha256"] == "s" * 64
    assert rows[1]["path"].startswith("'=")  # no spreadsheet formula
    assert json.loads(to_json(items))[0]["upload_id"] == "u"
    target = export(items, tmp_path / "out" / "r.json", fmt="json")
    assert json.loads(target.read_text())[1]["path"] == "=cmd|' /C calc'!A0"
    assert list((tmp_path / "out").iterdir()) == [target]  # no temporary file left behind
    with pytest.raises(ValueError, match="csv or json"):
        export(items, tmp_path / "x", fmt="xml")


def test_receipts_export_to_an_unwritable_place_is_clear(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    from desktop.errors import StateStoreError

    with pytest.raises(StateStoreError, match="could not be written"):
        export([_receipt()], blocker / "r.csv", fmt="csv")


def test_engine_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    first = EngineLock(tmp_path)
    first.acquire()
    with pytest.raises(AlreadyRunningError), EngineLock(tmp_path):
        pass
    first.release()
    first.release()
    with EngineLock(tmp_path):
        assert (tmp_path / "engine.lock").read_text() == str(os.getpid())
