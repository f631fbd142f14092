"""Part plans: contiguous, complete, within S3's limits, for any size."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.engine.planner import (
    GIB,
    MAX_PART_SIZE,
    MAX_PARTS,
    MIB,
    MIN_PART_SIZE,
    choose_part_size,
    part_count,
    plan,
)


@pytest.mark.parametrize(
    ("size", "lengths"),
    [
        (0, [0]),
        (1, [1]),
        (5 * MIB, [5 * MIB]),
        (5 * MIB + 1, [5 * MIB, 1]),
        (12 * MIB, [5 * MIB, 5 * MIB, 2 * MIB]),
    ],
)
def test_edge_sizes(size: int, lengths: list[int]) -> None:
    parts = plan(size, 5 * MIB)
    assert [p.length for p in parts] == lengths
    assert [p.number for p in parts] == list(range(1, len(lengths) + 1))


@given(size=st.integers(0, 50 * GIB), part_size=st.integers(MIN_PART_SIZE, 6 * GIB))
def test_plan_covers_every_byte_once(size: int, part_size: int) -> None:
    part_size = max(part_size, choose_part_size(size, part_size))
    parts = plan(size, part_size)
    assert len(parts) == part_count(size, part_size) <= MAX_PARTS
    assert parts[0].offset == 0
    for a, b in itertools.pairwise(parts):
        assert b.offset == a.end
        assert a.length == part_size
    assert parts[-1].end == size
    assert 0 < parts[-1].length <= part_size or size == 0
    assert sum(p.length for p in parts) == size


@given(size=st.integers(0, 5 * 1024 * GIB), preferred=st.integers(1, 10 * GIB))
def test_chosen_part_size_fits_s3(size: int, preferred: int) -> None:
    chosen = choose_part_size(size, preferred)
    assert chosen >= MIN_PART_SIZE
    assert part_count(size, chosen) <= MAX_PARTS
    if size <= MAX_PART_SIZE * MAX_PARTS:
        assert chosen <= MAX_PART_SIZE or chosen % MIB == 0
    if part_count(size, max(MIN_PART_SIZE, min(preferred, MAX_PART_SIZE))) <= MAX_PARTS:
        assert chosen == max(MIN_PART_SIZE, min(preferred, MAX_PART_SIZE))


def test_too_many_parts_and_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="max 10000"):
        plan(MAX_PARTS * MIN_PART_SIZE + 1, MIN_PART_SIZE)
    with pytest.raises(ValueError, match="size must be"):
        part_count(-1, MIB)
    with pytest.raises(ValueError, match="size must be"):
        part_count(1, 0)
