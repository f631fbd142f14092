"""`proctor-uploader receipts` lists what docs/cli.md promises: time, exam, size, key, SHA-256,
ETag and whether the server signed the receipt."""

from __future__ import annotations

import pytest

from desktop.cli.main import main
from desktop.config import AppPaths
from desktop.engine.receipt import Receipt
from desktop.engine.store import QueueStore


def test_each_receipt_is_one_line_with_its_exam_and_etag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = AppPaths.default(create=True)
    store = QueueStore(paths.state_db)
    try:
        store.add_receipt(
            Receipt(
                job_id="j1",
                path="/recordings/webcam.mp4",
                key="recordings/webcam/2026/12/06/BIO-101/kim/webcam.mp4",
                size=3 * 1024 * 1024,
                sha256="ab" * 32,
                etag='"9b2cf535f27731c974343645a3985328-3"',
                completed_at="2026-12-06T18:29:21Z",
                exam_id="BIO-101",
                kind="webcam",
                upload_id="up_1",
            )
        )
    finally:
        store.close()
    assert main(["receipts"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.split() == [
        "2026-12-06T18:29:21Z",
        "BIO-101",
        "3.0",
        "MiB",
        "recordings/webcam/2026/12/06/BIO-101/kim/webcam.mp4",
        "sha256=" + "ab" * 32,
        'etag="9b2cf535f27731c974343645a3985328-3"',
        "unsigned",
    ]
