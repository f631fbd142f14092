"""Cut a file into part ranges the way S3 multipart uploads need them.

S3 rules: parts are numbered 1..10,000; every part except the last is at least 5 MiB; a part is at
most 5 GiB. The backend chooses the part size (our value is only a hint), so the plan is made from
the size it returns. An empty file is one empty part: S3 accepts a lone zero-byte part, and every
file then takes the same path.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024
GIB = 1024 * MIB
MIN_PART_SIZE = 5 * MIB
MAX_PART_SIZE = 5 * GIB
MAX_PARTS = 10_000


@dataclass(frozen=True, slots=True)
class PartRange:
    """One part of a file.

    Attributes:
        number: 1-based part number.
        offset: First byte in the file.
        length: Bytes in the part (0 only for the single part of an empty file).
    """

    number: int
    offset: int
    length: int

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.offset + self.length


def part_count(size: int, part_size: int) -> int:
    """How many parts a file of `size` bytes has with parts of `part_size` (at least one)."""
    if size < 0 or part_size <= 0:
        raise ValueError("size must be >= 0 and part_size > 0")
    return max(1, -(-size // part_size))


def plan(size: int, part_size: int) -> list[PartRange]:
    """The parts of a file of `size` bytes, contiguous, in order, covering every byte exactly once.

    Raises:
        ValueError: Negative size, non-positive part size, or more than 10,000 parts.
    """
    count = part_count(size, part_size)
    if count > MAX_PARTS:
        raise ValueError(
            f"{size} bytes in parts of {part_size} needs {count} parts (max {MAX_PARTS})"
        )
    return [
        PartRange(number=i + 1, offset=i * part_size, length=min(part_size, size - i * part_size))
        for i in range(count)
    ]


def choose_part_size(size: int, preferred: int) -> int:
    """The part size to ask the backend for: `preferred`, within S3's limits, raised to fit 10,000
    parts.

    Rounded up to a whole MiB so parts stay page-aligned for the kernel's file-to-socket copy.
    """
    part_size = max(MIN_PART_SIZE, min(preferred, MAX_PART_SIZE))
    needed = -(-size // MAX_PARTS)
    if needed > part_size:
        part_size = -(-needed // MIB) * MIB
    return part_size
