"""Follower on real growing files with an in-memory sink that stores, like a PUT, whatever the
file holds at the moment a part is sent."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from desktop.engine.checksums import PartHasher
from desktop.engine.follow import Follower
from desktop.engine.growth import GrowthWatcher
from desktop.engine.planner import PartRange
from desktop.engine.store import PartRecord
from desktop.engine.transfer import CancelledError
from desktop.errors import DataChangedError

PART = 64 * 1024


class MemorySink:
    """Stores part bytes by number; a part sent again replaces the old copy (as S3 does)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stored: dict[int, bytes] = {}
        self.sends: list[int] = []
        self.lock = threading.Lock()
        self.on_send: list[object] = []

    def part_hash(self) -> PartHasher:
        return hashlib.md5()

    def release_thread(self) -> None:
        pass

    def send_part(
        self, part: PartRange, *, cancelled: threading.Event, checksum: str | None = None
    ) -> PartRecord:
        if cancelled.is_set():
            raise CancelledError
        with self.path.open("rb") as f:
            f.seek(part.offset)
            data = f.read(part.length)
        assert len(data) == part.length
        digest = hashlib.md5(data).hexdigest()
        if checksum is not None and checksum != digest:
            # Storage refuses bytes other than the ones the URL was signed for (BadDigest), and
            # the queue's sink, finding the file's bytes changed, says so.
            raise DataChangedError(f"part {part.number} changed under the signed checksum")
        with self.lock:
            self.stored[part.number] = data
            self.sends.append(part.number)
        return PartRecord(part.number, part.length, digest, digest)

    def object(self) -> bytes:
        return b"".join(self.stored[n] for n in sorted(self.stored))


def _grow(path: Path, *, chunks: int, rewrite_head: bool, close: threading.Event) -> None:
    """Append 16 KiB chunks, then (like a muxer) rewrite bytes near the start."""
    with path.open("r+b") as f:
        f.seek(0, os.SEEK_END)
        for _ in range(chunks):
            f.write(os.urandom(16 * 1024))
            f.flush()
            time.sleep(0.01)
        if rewrite_head:
            f.seek(40)
            f.write(b"REWRITTEN")
    close.set()


def _follower(path: Path, sink: MemorySink, watcher: GrowthWatcher, **kw: object) -> Follower:
    return Follower(
        path=str(path),
        part_size=PART,
        sink=sink,
        watcher=watcher,
        cancelled=kw.pop("cancelled", threading.Event()),  # type: ignore[arg-type]
        poll=0.02,
        **kw,  # type: ignore[arg-type]
    )


def test_parts_leave_while_it_grows_and_a_rewritten_part_is_sent_again(tmp_path: Path) -> None:
    path = tmp_path / "rec.mkv"
    path.write_bytes(b"")
    sink = MemorySink(path)
    done = threading.Event()
    sent_before_end: list[int] = []
    writer = threading.Thread(
        target=_grow, args=(path,), kwargs={"chunks": 60, "rewrite_head": True, "close": done}
    )
    with GrowthWatcher(str(path), settle=0.5, margin=16 * 1024, poll=0.02) as watcher:
        writer.start()
        follower = _follower(
            path,
            sink,
            watcher,
            on_progress=lambda sent, _: None if done.is_set() else sent_before_end.append(sent),
        )
        outcome = follower.run()
    writer.join()
    final = path.read_bytes()
    assert sink.object() == final
    assert outcome.sha256 == hashlib.sha256(final).hexdigest()
    assert outcome.size == len(final) == 60 * 16 * 1024
    assert max(sent_before_end) >= 3 * PART, "parts left while the file grew"
    assert outcome.resent == [1]
    assert sink.sends.count(1) == 2
    assert set(outcome.sent_early) | set(outcome.resent) | set(outcome.sent_at_end) == set(
        range(1, 16)
    )


def test_a_resumed_follow_keeps_what_was_stored_and_sends_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "rec.mp4"
    data = os.urandom(5 * PART + 100)
    path.write_bytes(data)
    sink = MemorySink(path)
    earlier = {
        n: PartRecord(n, PART, d, d)
        for n in (1, 2)
        for d in [hashlib.md5(data[(n - 1) * PART : n * PART]).hexdigest()]
    }
    sink.stored = {n: data[(n - 1) * PART : n * PART] for n in earlier}
    with GrowthWatcher(str(path), settle=0.2, margin=0, poll=0.02) as watcher:
        outcome = _follower(path, sink, watcher, sent=earlier).run()
    assert sink.object() == data
    assert {1, 2} <= set(outcome.sent_early)
    assert sorted(sink.sends) == [3, 4, 5, 6]


def test_a_file_changed_after_it_ended_never_completes(tmp_path: Path) -> None:
    path = tmp_path / "rec.webm"
    path.write_bytes(os.urandom(3 * PART + 100))

    class ChangingSink(MemorySink):
        def send_part(
            self, part: PartRange, *, cancelled: threading.Event, checksum: str | None = None
        ) -> PartRecord:
            if part.number == 4:  # the tail, sent after the end: edited after it was hashed
                with self.path.open("r+b") as f:
                    f.seek(part.offset)
                    f.write(b"edited")
            return super().send_part(part, cancelled=cancelled, checksum=checksum)

    with (
        GrowthWatcher(str(path), settle=0.2, margin=0, poll=0.02) as watcher,
        pytest.raises(DataChangedError, match="changed"),
    ):
        _follower(path, ChangingSink(path), watcher).run()


def test_cancelling_stops_following(tmp_path: Path) -> None:
    path = tmp_path / "rec.mkv"
    path.write_bytes(os.urandom(100))
    cancelled = threading.Event()
    threading.Timer(0.2, cancelled.set).start()
    with (
        GrowthWatcher(str(path), settle=30, margin=0, poll=0.02) as watcher,
        pytest.raises(CancelledError),
    ):
        _follower(path, MemorySink(path), watcher, cancelled=cancelled).run()
