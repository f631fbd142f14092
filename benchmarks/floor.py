"""The CPU the required integrity checks cost by themselves, on this CPU, for the run's own file.

Issue 12 fixes what our client must compute: one sequential read of the file feeding a SHA-256
of the whole file (for the receipt) and a CRC64NVME of every part (signed into its URL, so storage
checks every byte), then a second read of each part from the page cache to send it. That pass
(`crc64nvme+sha256`, one read, both hashes) plus the re-read (`read`) has a CPU cost per GiB that no
engine design removes; measured here in a fresh interpreter over the same cached file, it is the
floor under our client's CPU per GiB, and next to s5cmd's whole-process CPU it says how far the
"≤ 0.5× s5cmd" target is reachable at all. MD5 (the `--integrity md5` fallback, and what the
previous scheme cost) and zlib's CRC32 (botocore's default per-part checksum without awscrt) are
measured too, for comparison.

Each figure is user+sys seconds (getrusage, microsecond resolution) of a child process that reads
the file through one 1 MiB buffer and updates one hash, per pass (small files are read several
times over); a run that only reads gives the cost of the read itself.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.datafiles import GIB

logger = logging.getLogger(__name__)

ALGORITHMS = ("read", "md5", "sha256", "crc32", "crc64nvme", "crc64nvme+sha256")
PART_SIZE = 32 * 1024 * 1024
MIN_BYTES = 256 * 1024 * 1024  # below this a pass takes a few ms, too short to time

# Runs in a fresh interpreter so nothing else the harness does is counted. MD5 restarts at every
# part boundary, as the engine's does (same cost as one stream; it keeps the model honest).
_CHILD = r"""
import hashlib, json, resource, sys, zlib
from awscrt import checksums
path, algo, part, passes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
buf = bytearray(1 << 20); view = memoryview(buf)
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0 = cpu()
for _ in range(passes):
    with open(path, "rb", buffering=0) as f:
        h = None; crc = 0; in_part = 0
        while True:
            n = f.readinto(view)
            if not n:
                break
            chunk = view[:n]
            if algo == "md5":
                if h is None or in_part >= part:
                    h = hashlib.md5(); in_part = 0
                h.update(chunk); in_part += n
            elif algo == "sha256":
                if h is None:
                    h = hashlib.sha256()
                h.update(chunk)
            elif algo == "crc32":
                crc = zlib.crc32(chunk, crc)
            elif algo in ("crc64nvme", "crc64nvme+sha256"):
                if in_part >= part:
                    crc = 0; in_part = 0
                crc = checksums.crc64nvme(chunk, crc); in_part += n
                if algo == "crc64nvme+sha256":
                    if h is None:
                        h = hashlib.sha256()
                    h.update(chunk)
print(json.dumps({"cpu_s": (cpu() - t0) / passes}))
"""


def measure(path: Path, repeats: int = 3) -> dict[str, Any]:
    """CPU-s per GiB of each algorithm over `path` (median of `repeats` child runs each)."""
    size = path.stat().st_size
    if size == 0:
        return {"skipped": "empty file"}
    out: dict[str, Any] = {"file_size": size, "repeats": repeats, "cpu_s_per_gib": {}}
    for algo in ALGORITHMS:
        runs = sorted(_one(path, algo) for _ in range(repeats))
        out["cpu_s_per_gib"][algo] = round(runs[len(runs) // 2] / (size / GIB), 3)
    per = out["cpu_s_per_gib"]
    # The floor is the engine's two reads: the reader's pass (one read, SHA-256 and the part CRCs)
    # and the senders' re-read of each part from the page cache.
    out["required_cpu_s_per_gib"] = round(per["crc64nvme+sha256"] + per["read"], 3)
    logger.info("integrity floor: %s", per)
    return out


def _passes(path: Path) -> int:
    """Enough passes over a small file (the smoke run's) to read at least MIN_BYTES in total."""
    return max(1, -(-MIN_BYTES // max(1, path.stat().st_size)))


def _one(path: Path, algo: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), algo, str(PART_SIZE), str(_passes(path))],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return float(json.loads(done.stdout)["cpu_s"])
