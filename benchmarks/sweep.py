"""Find each tool's best concurrency and part size on this machine, and remember them.

Coordinate descent: first concurrency at a 16 MiB part size, then the part size at each tool's best
concurrency; within a stage every (tool, settings) point runs once per repeat in a shuffled order.
The figures of every point are kept in `benchmarks/best_settings.json` next to the choice, so anyone
can see what "best" was picked from. Plain HTTP and HTTPS are swept and kept apart: TLS costs each
connection CPU, so the best number of connections can differ between them.
"""

from __future__ import annotations

import json
import logging
import random
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.throughput import Bench, Sample, upload_once
from benchmarks.uploaders import DEFAULTS, Settings

logger = logging.getLogger(__name__)
BEST_SETTINGS = Path(__file__).resolve().parent / "best_settings.json"
CONCURRENCIES = (2, 4, 8, 16)
PART_MIBS = (8, 16, 32, 64)
FIRST_PART_MIB = 16


def _keys(tls: bool) -> tuple[str, str]:
    """Where one transport's choices and sweeps live in the settings file."""
    return ("best_https", "sweeps_https") if tls else ("best", "sweeps")


def load_best(path: Path = BEST_SETTINGS, *, tls: bool = False) -> dict[str, Settings]:
    """The recorded best settings per tool for one transport.

    A tool never swept over HTTPS keeps its plain-HTTP best, then its defaults.
    """
    best = dict(DEFAULTS)
    if path.exists():
        data = json.loads(path.read_text())
        for key in ("best", _keys(tls)[0]) if tls else ("best",):
            for tool, entry in data.get(key, {}).items():
                best[tool] = Settings(int(entry["concurrency"]), int(entry["part_mib"]))
    return best


def sweep(
    bench: Bench, tools: Sequence[str], file: Path, *, repeats: int = 1
) -> tuple[dict[str, Settings], list[Sample]]:
    """Measure the grid for `tools` on `file`; return the best settings and every sample."""
    samples: list[Sample] = []
    rng = random.Random(7)

    def stage(points: dict[str, list[Settings]]) -> dict[str, Settings]:
        scores: dict[str, dict[Settings, list[float]]] = {t: {} for t in points}
        order = [(tool, s) for tool, grid in points.items() for s in grid]
        for _ in range(repeats):
            # A shuffled order per repeat: the machine's load drifts over minutes, and a fixed
            # order would hand the quiet minutes to the same settings every time.
            rng.shuffle(order)
            for tool, settings in order:
                sample = upload_once(bench, tool, settings, file, round_no=0)
                samples.append(sample)
                if sample.ok:
                    scores[tool].setdefault(settings, []).append(sample.mb_per_s)
                time.sleep(0.5)
        best: dict[str, Settings] = {}
        for tool, by_settings in scores.items():
            if by_settings:
                best[tool] = max(by_settings, key=lambda s: statistics.median(by_settings[s]))
        return best

    first = stage({t: [Settings(c, FIRST_PART_MIB) for c in CONCURRENCIES] for t in tools})
    stage(
        {
            t: [Settings(s.concurrency, p) for p in PART_MIBS if p != FIRST_PART_MIB]
            for t, s in first.items()
        }
    )
    # The part size is chosen among every sample at the chosen concurrency (stage 1's included).
    best: dict[str, Settings] = {}
    for tool, chosen in first.items():
        by_label: dict[str, list[float]] = {}
        for x in samples:
            if x.tool == tool and x.ok and x.settings.startswith(f"c{chosen.concurrency}/"):
                by_label.setdefault(x.settings, []).append(x.mb_per_s)
        label = max(by_label, key=lambda k: statistics.median(by_label[k]))
        best[tool] = _parse_label(label)
    return best, samples


def _parse_label(label: str) -> Settings:
    c, p = label.split("/")
    return Settings(int(c[1:]), int(p[1:].rstrip("M")))


def save_best(
    best: dict[str, Settings],
    samples: Sequence[Sample],
    *,
    file_size: int,
    meta: dict[str, Any],
    tls: bool = False,
    path: Path = BEST_SETTINGS,
) -> None:
    """Merge `best` into the settings file (one transport's part), with the sweep's samples."""
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    best_key, sweeps_key = _keys(tls)
    data.setdefault(best_key, {})
    data.setdefault(sweeps_key, {})
    for tool, s in best.items():
        data[best_key][tool] = {"concurrency": s.concurrency, "part_mib": s.part_mib}
        data[sweeps_key][tool] = {
            "file_size": file_size,
            **meta,
            "points": [
                {
                    "settings": x.settings,
                    "mb_per_s": x.mb_per_s,
                    "cpu_s_per_gib": x.cpu_s_per_gib,
                    "peak_rss_mib": x.peak_rss_mib,
                    "ok": x.ok,
                }
                for x in samples
                if x.tool == tool
            ],
        }
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
