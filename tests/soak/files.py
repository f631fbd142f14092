"""The soak's source files: seeded sizes from 0 B to a maximum, distinct content, known SHA-256."""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
_BLOCK = MIB
# A few names in other scripts and with spaces: keys are built from them.
_STEMS = ("webcam", "screen", "시험 영상", "épreuve écran", "экзамен", "exam (2)")
_EXTENSIONS = (".webm", ".mp4", ".mkv")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One recording to upload.

    Attributes:
        path: Where it is.
        size: Its size in bytes.
        sha256: Its SHA-256, hex (computed while writing it).
    """

    path: Path
    size: int
    sha256: str


def plan_sizes(count: int, max_size: int, part_size: int, seed: int, budget: int) -> list[int]:
    """Seeded sizes: the edge cases first (0, 1, a part +-1, two parts, the maximum), then sizes
    spread evenly on a log scale, kept within ``budget`` bytes in total."""
    edges = [0, 1, part_size - 1, part_size, part_size + 1, 2 * part_size, max_size]
    sizes: list[int] = []
    for size in edges:
        if len(sizes) < count and 0 <= size <= max_size and size not in sizes:
            sizes.append(size)
    rng = random.Random(seed)
    total = sum(sizes)
    low = math.log(1024)
    for i in range(len(sizes), count):
        size = int(math.exp(rng.uniform(low, math.log(max_size + 1)))) if max_size > 1024 else 0
        share = (budget - total) // (count - i)
        if total + size > budget or size > 4 * max(share, 1):
            size = rng.randint(0, max(0, min(max_size, share)))
        sizes.append(size)
        total += size
    rng.shuffle(sizes)
    return sizes


def write_sources(folder: Path, sizes: list[int], seed: int) -> list[SourceFile]:
    """Write one file per size; every MiB of every file differs, so a misplaced part shows."""
    folder.mkdir(parents=True, exist_ok=True)
    block = random.Random(seed).randbytes(_BLOCK)
    sources = []
    for index, size in enumerate(sizes):
        name = f"{index:04d} {_STEMS[index % len(_STEMS)]}{_EXTENSIONS[index % len(_EXTENSIONS)]}"
        path = folder / name
        digest = hashlib.sha256()
        with path.open("wb") as out:
            written, n = 0, 0
            while written < size:
                chunk = f"{seed}:{index}:{n}|".encode() + block
                chunk = chunk[: min(_BLOCK, size - written)]
                out.write(chunk)
                digest.update(chunk)
                written += len(chunk)
                n += 1
        sources.append(SourceFile(path, size, digest.hexdigest()))
    return sources


def parse_size(text: str) -> int:
    """``2G``, ``512M``, ``100K``, ``1234`` -> bytes (binary units).

    Raises:
        ValueError: Not a size.
    """
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    units = {"K": 1024, "M": MIB, "G": 1024 * MIB}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)
