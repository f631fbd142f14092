"""One way to write sizes, in the app and the CLI: IEC binary units, three significant digits."""

from __future__ import annotations

import pytest

from desktop.sizes import format_size

KIB, MIB, GIB, TIB = 1024, 1024**2, 1024**3, 1024**4


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (-5, "0 B"),
        (999, "999 B"),
        (1000, "1.0 KiB"),  # never four digits
        (1536, "1.5 KiB"),
        (820 * KIB, "820 KiB"),
        (21 * MIB, "21.0 MiB"),
        (999 * MIB, "999 MiB"),
        (1000 * MIB, "1.0 GiB"),
        (int(1.4 * GIB), "1.4 GiB"),
        (150 * GIB, "150 GiB"),
        (3 * 1024 * TIB, "3072 TiB"),  # the largest unit keeps counting
    ],
)
def test_sizes(size: int, text: str) -> None:
    assert format_size(size) == text


def test_the_figure_is_written_by_the_callers_formatter() -> None:
    def comma(value: float, decimals: int) -> str:
        return f"{value:.{decimals}f}".replace(".", ",")

    assert format_size(int(1.5 * GIB), comma) == "1,5 GiB"
