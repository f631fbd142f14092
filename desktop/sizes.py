"""How sizes and speeds are written for people: one rule for the app and the command line.

Binary multiples with their IEC names (B, KiB, MiB, GiB, TiB; 1 MiB = 1,048,576 bytes), at most
three significant digits: `0 B`, `820 KiB`, `21.0 MiB`, `1.4 GiB`. The file managers proctors know
disagree on "MB" (Windows Explorer counts 1024-based, macOS Finder 1000-based), so the app names
the unit it means rather than borrow either's. Qt-free: the app passes a locale-aware number
formatter, the CLI uses the plain one.
"""

from __future__ import annotations

from collections.abc import Callable

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def _plain_number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def format_size(size: float, number: Callable[[float, int], str] = _plain_number) -> str:
    """`size` bytes for people, e.g. `1.4 GiB`; `number(value, decimals)` writes the figure."""
    value = max(0.0, float(size))
    unit = 0
    # Move up a unit from 1000 on, so a figure never needs four digits ("1000 KiB").
    while value >= 1000 and unit < len(UNITS) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{int(value)} {UNITS[0]}"
    return f"{number(value, 0 if value >= 100 else 1)} {UNITS[unit]}"
