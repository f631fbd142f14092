"""Work on one upload is serialised across worker processes by a claim row in SQLite.

Each worker process of `serve --workers N` has its own `UploadService`; two of them on one database
stand in for two workers here (the HTTP tests of `serve --workers 2` are in test_workers.py).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from backend import uploads as uploads_mod
from backend.db import open_configured, open_database
from backend.receipts.issuer import ReceiptIssuer
from backend.receipts.signing_keys import SigningKeys
from backend.uploads import UploadService
from tests.backend.helpers import Client, error_code
from tests.support.backend_server import RunningBackend


def test_a_claim_keeps_other_holders_out_until_released_or_stale(tmp_path: Path) -> None:
    first, second = open_database(tmp_path / "b.sqlite3"), open_database(tmp_path / "b.sqlite3")
    try:
        assert first.claim("up_1", "worker-a", 100.0, stale_before=0.0)
        assert not second.claim("up_1", "worker-b", 101.0, stale_before=0.0)
        assert second.claim("up_2", "worker-b", 101.0, stale_before=0.0)  # other uploads: free
        second.release("up_1", "worker-b")  # not its claim: nothing happens
        assert not second.claim("up_1", "worker-b", 102.0, stale_before=0.0)
        first.release("up_1", "worker-a")
        assert second.claim("up_1", "worker-b", 103.0, stale_before=0.0)
        # A holder that died never releases: once stale, its claim is taken over.
        assert not first.claim("up_1", "worker-a", 200.0, stale_before=50.0)
        assert first.claim("up_1", "worker-a", 300.0, stale_before=150.0)
    finally:
        first.close()
        second.close()


@pytest.mark.integration
def test_complete_waits_for_another_worker_then_answers_busy(
    moto_backend: RunningBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = Client(moto_backend, "alice")
    data = b"0123456789"
    upload = alice.create(len(data))
    parts = alice.put_parts(upload, data)
    other_db = open_configured(moto_backend.settings)
    other_worker = UploadService(
        moto_backend.settings,
        other_db,
        moto_backend.services.storage,
        ReceiptIssuer(SigningKeys(moto_backend.settings.data_dir), "proctor-backend"),
    )
    monkeypatch.setattr(uploads_mod, "CLAIM_WAIT_S", 0.3)
    try:

        async def while_the_other_worker_holds_it() -> None:
            async with other_worker._upload_lock(upload["upload_id"]):
                path = f"/uploads/{upload['upload_id']}"
                busy = await asyncio.to_thread(alice.post, f"{path}/complete", {"parts": parts})
                assert busy.status_code == 503
                assert error_code(busy) == "busy"
                assert busy.headers["Retry-After"] == "2"
                aborted = await asyncio.to_thread(alice.delete, path)
                assert aborted.status_code == 503

        asyncio.run(while_the_other_worker_holds_it())
        # Released: the completion goes through.
        done = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts})
        assert done.status_code == 200, done.text
        assert done.json()["size"] == len(data)
        # The completion gave its claim up in the write that recorded it: nobody holds it now.
        assert other_db.claim(upload["upload_id"], "worker-x", time.time(), stale_before=0.0)
    finally:
        other_db.close()
