"""The sequential reader and the part checksums: one pass gives the file's SHA-256 and every part's
checksum (as S3 computes it), it stays within its turn, and it catches a part that changed."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from pathlib import Path

import pytest

from desktop.engine import checksums
from desktop.engine.planner import plan
from desktop.engine.reader import SequentialReader, hash_range
from desktop.errors import DataChangedError, UploaderError
from tests.support.checksums import crc32c, crc64nvme

MIB = 1024 * 1024


def _read(
    path: Path,
    size: int,
    algorithm: str = checksums.CRC64NVME,
    *,
    part_size: int = MIB,
    turn: object = None,
    known: dict[int, str] | None = None,
) -> tuple[SequentialReader, dict[int, str], list[UploaderError]]:
    seen: dict[int, str] = {}
    errors: list[UploaderError] = []

    def on_part(number: int, checksum: str) -> bool:
        seen[number] = checksum
        return (known or {}).get(number, checksum) == checksum

    reader = SequentialReader(
        str(path),
        size,
        plan(size, part_size),
        algorithm,
        turn=turn or (lambda _n: True),  # type: ignore[arg-type]
        on_part=on_part,
        on_error=errors.append,
        name="reader-test",
    )
    return reader, seen, errors


@pytest.mark.parametrize("algorithm", [checksums.CRC64NVME, checksums.CRC32C, checksums.MD5])
def test_one_pass_gives_the_sha256_and_each_parts_checksum(tmp_path: Path, algorithm: str) -> None:
    data = os.urandom(3 * MIB + 5)
    f = tmp_path / "a"
    f.write_bytes(data)
    reader, seen, errors = _read(f, len(data), algorithm)
    assert reader.result() == hashlib.sha256(data).hexdigest()
    assert errors == []
    chunks = [data[i : i + MIB] for i in range(0, len(data), MIB)]
    if algorithm == checksums.MD5:
        expected = [hashlib.md5(c).hexdigest() for c in chunks]
    else:
        wire = crc64nvme if algorithm == checksums.CRC64NVME else crc32c
        expected = [base64.b64decode(wire(c)).hex() for c in chunks]
    assert [seen[n] for n in sorted(seen)] == expected
    assert [hash_range(str(f), p, algorithm, threading.Event()) for p in plan(len(data), MIB)] == (
        expected
    )
    if algorithm != checksums.MD5:
        # The parts' CRCs combine into the whole file's, which storage reports for the object.
        whole = checksums.combine(algorithm, [(c, len(chunks[i])) for i, c in enumerate(expected)])
        assert checksums.to_base64(whole) == (
            crc64nvme(data) if algorithm == checksums.CRC64NVME else crc32c(data)
        )


def test_a_part_that_differs_from_the_one_sent_fails_the_pass(tmp_path: Path) -> None:
    data = os.urandom(2 * MIB)
    f = tmp_path / "a"
    f.write_bytes(data)
    sent = {2: "0" * 16}  # part 2 was sent with other bytes than the file holds now
    reader, _, errors = _read(f, len(data), known=sent)
    with pytest.raises(DataChangedError, match="part 2 differs"):
        reader.result()
    assert len(errors) == 1


def test_short_long_and_missing_files_fail_clearly(tmp_path: Path) -> None:
    data = os.urandom(MIB + 3)
    f = tmp_path / "a"
    f.write_bytes(data)
    for size, words in ((len(data) + 1, "shorter"), (len(data) - 1, "grew")):
        reader, _, errors = _read(f, size)
        with pytest.raises(DataChangedError, match=words):
            reader.result()
        assert [type(e) for e in errors] == [DataChangedError]
    reader, _, _ = _read(tmp_path / "missing", 1)
    with pytest.raises(DataChangedError, match="no longer exists"):
        reader.result()


def test_the_reader_waits_for_its_turn_and_stops_quietly(tmp_path: Path) -> None:
    data = os.urandom(3 * MIB)
    f = tmp_path / "a"
    f.write_bytes(data)
    allowed = threading.Semaphore(1)  # one part now, the others only when a "sender" allows

    def turn(_number: int) -> bool:
        return allowed.acquire(timeout=5)

    reader, seen, _ = _read(f, len(data), turn=turn)
    reader.join(0.3)
    assert sorted(seen) == [1]  # it went no further than its turn
    allowed.release()
    allowed.release()
    assert reader.result() == hashlib.sha256(data).hexdigest()
    stopping, _, stop_errors = _read(f, len(data), turn=lambda _n: False)
    with pytest.raises(DataChangedError, match="stopped"):
        stopping.result()
    stopping.join(5)
    assert [e.title for e in stop_errors] == ["Stopped"]  # told once; an ended run ignores it
