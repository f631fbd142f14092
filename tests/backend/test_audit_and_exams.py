"""The audit reads objects back and catches one changed behind the backend's back; an exam's
completeness report is for admins only."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from backend.cli import main
from backend.db import UploadRecord, open_database
from backend.receipts.audit import Auditor, Pacer
from backend.receipts.signing_keys import SigningKeys
from backend.storage import S3Storage
from tests.backend.conftest import add_test_users
from tests.backend.helpers import Client, database_flags, error_code
from tests.support.backend_server import RunningBackend, backend_settings
from tests.support.storage import S3Endpoint, make_bucket, s3_client


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", io.StringIO(""))
        code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _complete(client: Client, data: bytes, exam: str, **extra: Any) -> dict[str, Any]:
    body = {"metadata": {"exam_id": exam, "kind": "webcam"}, **extra}
    upload = client.create(len(data), **body)
    parts = client.put_parts(upload, data)
    resp = client.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts})
    assert resp.status_code == 200, resp.text
    receipt: dict[str, Any] = resp.json()
    return receipt


@pytest.mark.integration
def test_the_audit_finds_an_object_changed_in_storage_behind_the_backends_back(
    backend: RunningBackend,
    s3: S3Endpoint,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)
    alice, bob = Client(backend, "alice"), Client(backend, "bob")
    with_sha = b"a" * 3000
    declared = _complete(alice, with_sha, "EXAM-1", sha256=hashlib.sha256(with_sha).hexdigest())
    undeclared = _complete(alice, b"b" * 2000, "EXAM-1")
    other_exam = _complete(bob, b"c" * 1000, "EXAM-2")
    settings = backend.settings
    db_flags = database_flags(backend)
    flags = [*db_flags, "--bucket", settings.bucket,
             "--s3-endpoint-url", settings.s3_endpoint_url]  # fmt: skip

    code, out, err = _run(["audit", "--exam", "EXAM-1", *flags], capsys)
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith(
        f"audited   {declared['upload_id']}  {declared['key']}: size and SHA"
    )
    assert lines[1].startswith(f"audited   {undeclared['upload_id']}")
    assert lines[-1] == "2 object(s) read: 2 audited, 0 MISMATCH."

    # Same sizes, other bytes, written straight into the bucket.
    client = s3_client(s3)
    client.put_object(Bucket=settings.bucket, Key=declared["key"], Body=b"A" + with_sha[1:])
    client.put_object(Bucket=settings.bucket, Key=undeclared["key"], Body=b"B" * 2000)

    code, out, _ = _run(["audit", "--exam", "EXAM-1", "--rate", "0", *flags], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"MISMATCH  {declared['upload_id']}")
    assert "differs from the receipt's" in lines[0]
    assert lines[1].startswith(f"MISMATCH  {undeclared['upload_id']}")
    assert "the CRC64NVME of the bytes read is" in lines[1]
    assert lines[-1] == "2 object(s) read: 0 audited, 2 MISMATCH."

    # Bob's exam was never touched, and nothing completed after tomorrow is read.
    code, out, _ = _run(["audit", *flags], capsys)
    assert f"audited   {other_exam['upload_id']}" in out
    code, out, _ = _run(["audit", "--since", "2999-01-01", *flags], capsys)
    assert (code, out.splitlines()[-1]) == (0, "0 object(s) read: 0 audited, 0 MISMATCH.")

    # The history is kept, the latest result is what the exam report shows.
    audits = backend.services.db.latest_audits([declared["upload_id"]])
    assert audits[declared["upload_id"]].result == "MISMATCH"
    code, out, _ = _run(["exams", "show", "EXAM-1", "--json", *db_flags], capsys)
    report = json.loads(out)
    (proctor,) = report["proctors"]
    assert proctor["username"] == "alice"
    assert [u["audited"]["result"] for u in proctor["uploads"]] == ["MISMATCH", "MISMATCH"]
    assert report["totals"]["mismatches"] == 2

    # An object deleted from storage is a mismatch too.
    client.delete_object(Bucket=settings.bucket, Key=other_exam["key"])
    code, out, _ = _run(["audit", "--exam", "EXAM-2", *flags], capsys)
    assert code == 1
    assert "the object is gone from storage" in out


@pytest.mark.integration
def test_only_an_admin_sees_an_exams_uploads(
    moto_backend: RunningBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    add_test_users(moto_backend, "carol", role="admin")
    alice, bob = Client(moto_backend, "alice"), Client(moto_backend, "bob")
    done = _complete(alice, b"x" * 100, "FINAL-9")
    pending = bob.create(50, metadata={"exam_id": "FINAL-9", "kind": "screen"})

    for proctor in (alice, bob):
        resp = proctor.get("/exams/FINAL-9")
        assert resp.status_code == 403
        assert error_code(resp) == "forbidden"
        assert "alice" not in resp.text
        assert "bob" not in resp.text
        assert done["upload_id"] not in resp.text
    assert (
        alice.session.get(
            moto_backend.api + "/exams/FINAL-9", headers={"Authorization": ""}
        ).status_code
        == 401
    )
    # A proctor's own listing never shows another proctor's upload.
    listed = alice.get("/uploads").json()["uploads"]
    assert pending["upload_id"] not in {u["upload_id"] for u in listed}

    carol = Client(moto_backend, "carol")
    resp = carol.get("/exams/FINAL-9")
    assert resp.status_code == 200, resp.text
    report = resp.json()
    by_name = {p["username"]: p["uploads"] for p in report["proctors"]}
    assert set(by_name) == {"alice", "bob"}
    (a,) = by_name["alice"]
    assert (a["state"], a["bytes"], a["receipt"], a["signed"], a["audited"]) == (
        "completed",
        100,
        done["receipt_id"],
        True,
        None,
    )
    (b,) = by_name["bob"]
    assert (b["state"], b["bytes"], b["receipt"], b["signed"]) == ("in_progress", 50, None, False)
    assert report["totals"] == {
        "uploads": 2, "completed": 1, "in_progress": 1, "aborted": 0, "bytes_completed": 100,
        "signed": 1, "audited": 0, "mismatches": 0,
    }  # fmt: skip
    assert carol.get("/exams/NO-SUCH-EXAM").json()["proctors"] == []
    assert carol.get("/exams/bad!id").status_code == 422

    code, out, _ = _run(["exams", "show", "FINAL-9", *database_flags(moto_backend)], capsys)
    assert code == 0
    assert out.splitlines()[0] == (
        "Exam FINAL-9: 1 of 2 upload(s) completed (1 in progress, 0 aborted), 1 signed, "
        "0 audited, 0 MISMATCH."
    )
    assert "alice" in out
    assert "bob" in out


def test_the_pacer_holds_the_average_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(4 * 1024 * 1024, clock=lambda: now[0], sleep=sleep)
    for _ in range(10):
        pacer.took(1024 * 1024)
    assert now[0] == pytest.approx(10 / 4)
    unlimited = Pacer(None, clock=lambda: now[0], sleep=sleep)
    before = len(slept)
    unlimited.took(10**12)
    assert len(slept) == before


@pytest.mark.integration
@pytest.mark.seaweedfs
def test_the_audit_reads_in_bounded_chunks_whatever_the_object_size(
    seaweedfs_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    """Memory stays flat: a 48 MiB object is hashed with at most a few MiB allocated at once.

    SeaweedFS runs in its own process, so what is traced here is the audit's reading alone.
    """
    data = os.urandom(48 * 1024 * 1024)
    bucket = make_bucket(seaweedfs_endpoint)
    key = "recordings/other/big.bin"
    s3_client(seaweedfs_endpoint).put_object(Bucket=bucket, Key=key, Body=data)
    settings = backend_settings(seaweedfs_endpoint, bucket=bucket, data_dir=tmp_path)
    storage = S3Storage(settings, session=seaweedfs_endpoint.session())
    rec = UploadRecord(
        seq=1, upload_id="up_big", s3_upload_id="s", user_id=1, username="alice", key=key,
        filename="big.bin", content_type="application/octet-stream", size=len(data),
        part_size=len(data), part_count=1, sha256=hashlib.sha256(data).hexdigest(),
        exam_id="E", kind="other", status="completed", created_at=0.0, completed_at=1.0,
        aborted_at=None, etag=None, receipt=None,
    )  # fmt: skip
    del data
    db = open_database(tmp_path / "db.sqlite3")
    try:
        auditor = Auditor(db, storage, SigningKeys(tmp_path), rate=None)
        tracemalloc.start()
        try:
            audit = auditor.audit_one(rec)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert audit.result == "audited", audit.detail
        assert peak < 8 * 1024 * 1024, peak
        # The same object one byte short of its receipt is a mismatch, not a crash.
        short = auditor.audit_one(dataclasses.replace(rec, size=48 * 1024 * 1024 - 1))
        assert short.result == "MISMATCH"
        assert "the receipt says" in short.detail
    finally:
        db.close()
