"""What a source file looked like: size, modification time and a sampled hash of its head, middle
and tail.

Checked when a job resumes and again just before completing, so a file that was rewritten in between
is never uploaded as a mix of old and new parts. The sample keeps the check cheap (3 x 64 KiB reads
for any size) while still catching an in-place rewrite that restored the mtime.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from desktop.engine import sourcefile
from desktop.errors import DataChangedError

SAMPLE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Identity of a file's content, cheaply.

    Attributes:
        size: Bytes.
        mtime_ns: Modification time in nanoseconds.
        sample: Hex SHA-256 of up to three 64 KiB samples (head, middle, tail) and the size.
    """

    size: int
    mtime_ns: int
    sample: str

    def describe_change(self, other: Fingerprint) -> str | None:
        """A human sentence saying how `other` differs from this one, or None when they match."""
        if other.size != self.size:
            return f"its size changed from {self.size:,} to {other.size:,} bytes"
        if other.mtime_ns != self.mtime_ns:
            return "it was modified"
        if other.sample != self.sample:
            return "its content changed"
        return None


def _sample_offsets(size: int) -> list[int]:
    if size <= 3 * SAMPLE_BYTES:
        return [0]
    return [0, size // 2 - SAMPLE_BYTES // 2, size - SAMPLE_BYTES]


def compute(path: Path | str) -> Fingerprint:
    """Fingerprint the file at `path`.

    Raises:
        DataChangedError: The file is missing, not a regular file, or unreadable.
        FileInUseError: Another program holds the file (retryable).
    """
    f = sourcefile.open_for_reading(path)
    try:
        st = os.fstat(f.fileno())
        if not _is_regular(st.st_mode):
            raise DataChangedError(f"{path} is not a regular file.", title="Not a file")
        digest = hashlib.sha256(str(st.st_size).encode())
        offsets = _sample_offsets(st.st_size)
        length = st.st_size if len(offsets) == 1 else SAMPLE_BYTES
        for offset in offsets:
            f.seek(offset)
            digest.update(f.read(length) or b"")
        return Fingerprint(size=st.st_size, mtime_ns=st.st_mtime_ns, sample=digest.hexdigest())
    except OSError as exc:
        raise sourcefile.read_error(path, exc) from None
    finally:
        f.close()


def _is_regular(mode: int) -> bool:
    return stat.S_ISREG(mode)


def verify(path: Path | str, expected: Fingerprint) -> Fingerprint:
    """Recompute the fingerprint and compare it with `expected`.

    Raises:
        DataChangedError: The file is gone, unreadable, or differs from `expected`.
    """
    current = compute(path)
    change = expected.describe_change(current)
    if change is not None:
        raise DataChangedError(
            f"The recording {path} changed after it was queued ({change}), so it was not uploaded "
            "as a mix of old and new data. If the new version is the one to keep, retry the upload "
            "to send it whole."
        )
    return current
