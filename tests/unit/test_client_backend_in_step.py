"""Rules the app and the backend each keep a copy of (the two packages never import each other):
these tests keep the copies in step."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backend import uploads
from desktop.engine import planner

MIB = 1024 * 1024


def test_both_sides_use_s3_s_part_limits() -> None:
    assert planner.MIN_PART_SIZE == uploads.MIN_PART_SIZE == 5 * MIB
    assert planner.MAX_PART_SIZE == uploads.MAX_PART_SIZE == 5 * 1024 * MIB
    assert planner.MAX_PARTS == uploads.MAX_PARTS == 10_000


@given(
    size=st.integers(min_value=0, max_value=planner.MAX_PART_SIZE * planner.MAX_PARTS),
    hint=st.integers(min_value=1, max_value=8 * 1024 * MIB),
)
def test_the_client_asks_for_the_part_size_the_backend_would_choose(size: int, hint: int) -> None:
    chosen = planner.choose_part_size(size, hint)
    part_size, count = uploads.plan_parts(size, chosen, 16 * MIB)
    assert part_size == chosen
    assert count == planner.part_count(size, chosen)
