"""Upload while recording: what is left when the recorder stops, and how long until the receipt.

A real muxer (FFmpeg's Matroska muxer through PyAV, in its own process: `tests.support.recorder`)
writes a recording at a steady rate, with the rewrite pattern real recorders have (its SeekHead
and duration rewritten near the start at the end, the Cues appended). Our engine, in this
process, follows it against the running backend and SeaweedFS with the backend's own open-upload
part size (21 MiB for its 200 GiB capacity). Measured:

- bytes and parts sent after the recorder stopped (the tail, plus the parts the muxer rewrote):
  every part PUT that storage accepted is timed by a counting wrapper around the engine's sender;
- stop-to-receipt: from the recorder process exiting (its file closed) to the verified receipt;
- the same final file uploaded after the recording ended (the old way), add-to-receipt, as the
  comparison.

The object is checked against the file (SHA-256) after each.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.datafiles import human
from benchmarks.stack import Stack

logger = logging.getLogger(__name__)

#: The goals of issue 13 (on loopback, 2 GiB).
GOAL_PARTS_AFTER_STOP = 2
GOAL_STOP_TO_RECEIPT_S = 5.0


def measure(stack: Stack, data_dir: Path, size: int, rate: int) -> dict[str, Any]:
    """Record `size` bytes at `rate` bytes/s while following it; then upload it after the end."""
    from desktop.api.client import ApiClient
    from desktop.auth.credentials import MemoryCredentialStore
    from desktop.auth.session import AuthSession
    from desktop.engine.config import TransferConfig
    from desktop.engine.events import BaseListener
    from desktop.engine.queue import UploadQueue
    from desktop.engine.receipt import Receipt
    from desktop.engine.store import QueueStore
    from desktop.engine.transfer import PartResult, PartSender
    from tests.support.recorder import RecorderProcess

    assert stack.backend is not None
    backend = stack.backend
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "follow-recording.mkv"
    path.unlink(missing_ok=True)

    # (monotonic time, offset, bytes) of every part storage accepted
    stored: list[tuple[float, int, int]] = []
    stored_lock = threading.Lock()
    original = PartSender.put_part

    def counting_put(self: PartSender, **kwargs: Any) -> PartResult:
        result = original(self, **kwargs)
        with stored_lock:
            stored.append((time.monotonic(), int(kwargs["offset"]), result.size))
        return result

    class Receipts(BaseListener):
        def __init__(self) -> None:
            self.got: list[tuple[float, Receipt]] = []
            self.cond = threading.Condition()

        def on_receipt(self, *, receipt: Receipt) -> None:
            with self.cond:
                self.got.append((time.monotonic(), receipt))
                self.cond.notify_all()

        def wait(self, count: int, timeout: float) -> tuple[float, Receipt]:
            with self.cond:
                if not self.cond.wait_for(lambda: len(self.got) >= count, timeout):
                    raise RuntimeError("no receipt in time")
                return self.got[count - 1]

    session = AuthSession(
        store=MemoryCredentialStore(), api_factory=lambda url: ApiClient(url, pool_size=16)
    )
    session.sign_in(backend.url, backend.username, backend.password, remember=False)
    store = QueueStore(stack.workdir / "follow-queue.sqlite3")
    receipts = Receipts()
    config = TransferConfig(files=1, parts=8)
    q = UploadQueue(api=session.api(), store=store, config=config, listeners=[receipts])
    PartSender.put_part = counting_put  # type: ignore[method-assign]
    try:
        q.start()
        seconds = size / rate
        logger.info("follow: recording %s at %s/s (%.0f s)", human(size), human(rate), seconds)
        with RecorderProcess(path, "mkv", seconds=seconds, rate=rate) as recorder:
            while not path.exists():
                time.sleep(0.01)
            started = time.monotonic()
            q.add(path, exam_id="BENCH-1", kind="webcam", follow=True, settle=30)
            recorder.wait(timeout=seconds * 3 + 120)
            stopped = time.monotonic()
        at, follow_receipt = receipts.wait(1, timeout=600)
        final = path.stat().st_size
        with stored_lock:
            during = [(o, n) for t, o, n in stored if t < stopped]
            after = [(o, n) for t, o, n in stored if t >= stopped]
        sent_before = {o for o, _ in during}
        part_size = max((n for _, _, n in stored), default=1)
        sha = _sha256(path)
        followed = {
            "recording_bytes": final,
            "recording_s": round(stopped - started, 2),
            "write_rate_mb_per_s": round(final / (stopped - started) / 1e6, 1),
            "part_size": part_size,
            "parts": max(1, -(-final // part_size)),
            "parts_sent_while_recording": len(during),
            "parts_sent_after_stop": len(after),
            # Sent while recording, then again after the stop: the muxer rewrote them.
            "rewritten_parts_resent": sum(1 for o, _ in after if o in sent_before),
            "bytes_sent_after_stop": sum(n for _, n in after),
            "stop_to_receipt_s": round(at - stopped, 2),
            "receipt_sha256_matches_file": follow_receipt.sha256 == sha,
        }
        logger.info("follow: %s", followed)

        # The old way: the same file, uploaded once it has ended.
        with stored_lock:
            stored.clear()
        added = time.monotonic()
        q.add(path, exam_id="BENCH-1", kind="webcam")
        at_end, after_receipt = receipts.wait(2, timeout=600)
        after_end = {
            "add_to_receipt_s": round(at_end - added, 2),
            "mb_per_s": round(final / (at_end - added) / 1e6, 1),
            "receipt_sha256_matches_file": after_receipt.sha256 == sha,
        }
        logger.info("upload after the end: %s", after_end)
    finally:
        PartSender.put_part = original  # type: ignore[method-assign]
        q.shutdown()
        store.close()
        session.close()
        path.unlink(missing_ok=True)
    new_after_stop = followed["parts_sent_after_stop"] - followed["rewritten_parts_resent"]
    return {
        "method": "PyAV Matroska muxer in its own process at a steady rate; our engine "
        "following it in-process against the backend and SeaweedFS on 127.0.0.1",
        "followed": followed,
        "uploaded_after_end": after_end,
        "goal_met": (
            new_after_stop <= GOAL_PARTS_AFTER_STOP
            and followed["stop_to_receipt_s"] <= GOAL_STOP_TO_RECEIPT_S
            and followed["receipt_sha256_matches_file"]
        ),
        "speedup_stop_to_receipt": round(
            after_end["add_to_receipt_s"] / max(followed["stop_to_receipt_s"], 0.01), 1
        ),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
