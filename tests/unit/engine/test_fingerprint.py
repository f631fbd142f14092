"""Fingerprints notice size, mtime and content changes, and missing or odd files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop.engine.fingerprint import SAMPLE_BYTES, compute, verify
from desktop.errors import DataChangedError


def test_same_file_same_fingerprint(tmp_path: Path) -> None:
    f = tmp_path / "a.mp4"
    f.write_bytes(os.urandom(5 * SAMPLE_BYTES))
    assert compute(f) == compute(f)
    assert verify(f, compute(f)) == compute(f)


@pytest.mark.parametrize("size", [0, 1, SAMPLE_BYTES, 3 * SAMPLE_BYTES + 7, 10 * SAMPLE_BYTES])
def test_sizes(tmp_path: Path, size: int) -> None:
    f = tmp_path / "a.mp4"
    f.write_bytes(b"x" * size)
    assert compute(f).size == size


def test_a_rewrite_that_keeps_size_and_mtime_is_caught_by_the_sample(tmp_path: Path) -> None:
    f = tmp_path / "a.mp4"
    data = bytearray(os.urandom(10 * SAMPLE_BYTES))
    f.write_bytes(data)
    before = compute(f)
    st = f.stat()
    data[len(data) // 2] ^= 0xFF  # the middle sample
    f.write_bytes(data)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(DataChangedError, match="its content changed"):
        verify(f, before)


def test_size_and_mtime_changes(tmp_path: Path) -> None:
    f = tmp_path / "a.mp4"
    f.write_bytes(b"a" * 100)
    before = compute(f)
    f.write_bytes(b"a" * 101)
    with pytest.raises(DataChangedError, match="size changed from 100 to 101"):
        verify(f, before)
    f.write_bytes(b"b" * 100)
    os.utime(f, ns=(1, before.mtime_ns + 1))
    with pytest.raises(DataChangedError, match="was modified"):
        verify(f, before)


def test_missing_folder_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(DataChangedError, match="no longer exists"):
        compute(tmp_path / "gone.mp4")
    with pytest.raises(DataChangedError, match="not a regular file"):
        compute(tmp_path)
    with pytest.raises(DataChangedError, match="cannot be read"):
        compute(tmp_path / ("x" * 300))  # name too long
