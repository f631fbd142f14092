"""Test files: random (incompressible, so no layer can cheat) or sparse (for memory runs).

Random files are kept between runs in the work folder, keyed by size, because writing 2 GiB of
random bytes costs CPU that other helpers on this machine would rather have. They are read once
before a run so every tool starts with the file in the page cache (this machine has 24 GiB of RAM).
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

MIB = 1024 * 1024
GIB = 1024 * MIB
_UNITS = {"": 1, "B": 1, "K": 1024, "KI": 1024, "M": MIB, "MI": MIB, "G": GIB, "GI": GIB}


def parse_size(text: str) -> int:
    """`2G`, `512M`, `64MiB`, `1000000` -> bytes (binary units)."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]I?)?B?\s*", text.upper())
    if not match:
        raise ValueError(f"not a size: {text!r} (use e.g. 2G, 512M, 64MiB)")
    return int(match.group(1)) * _UNITS[match.group(2) or ""]


def human(size: int) -> str:
    """Bytes -> `2 GiB`, `512 MiB`, `3.5 KiB`."""
    for unit, factor in (("GiB", GIB), ("MiB", MIB), ("KiB", 1024)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} B"


def random_file(folder: Path, size: int, *, seed: int = 20240611) -> Path:
    """A file of `size` pseudo-random bytes in `folder`, reused when it already exists."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"random-{size}.bin"
    if path.exists() and path.stat().st_size == size:
        return path
    tmp = path.with_suffix(".tmp")
    rng = random.Random(seed)  # randbytes: ~1 GB/s, and reproducible
    with tmp.open("wb") as f:
        left = size
        while left:
            n = min(left, 8 * MIB)
            f.write(rng.randbytes(n))
            left -= n
    tmp.replace(path)
    return path


def sparse_file(folder: Path, size: int) -> Path:
    """A sparse file of `size` bytes (holes read as zeros and take no disk space)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sparse-{size}.bin"
    with path.open("wb") as f:
        f.truncate(size)
    return path


def warm(path: Path) -> None:
    """Read `path` once so it sits in the page cache before anything is timed."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        buf = bytearray(8 * MIB)
        with os.fdopen(os.dup(fd), "rb", buffering=0) as f:
            while f.readinto(buf):
                pass
    finally:
        os.close(fd)
