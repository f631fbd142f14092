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


def test_the_client_reads_every_field_of_the_backend_s_receipt() -> None:
    from dataclasses import fields

    from backend.models import Receipt as BackendReceipt
    from backend.models import UploadMetadata
    from desktop.api.models import UploadReceipt

    wire = BackendReceipt(
        upload_id="u1",
        key="recordings/webcam/2026/BIO-101/cam.mp4",
        size=123,
        etag="abc-2",
        sha256="0" * 64,
        completed_at="2026-12-06T19:00:00Z",
        bucket="exams",
        metadata=UploadMetadata(exam_id="BIO-101", kind="webcam"),
        receipt_id="r1",
        signed="eyJ.x.y",
        checksum_algorithm="CRC64NVME",
        checksum="AAAAAAAAAAA=",
    ).model_dump(mode="json")
    parsed = UploadReceipt.from_json(wire)
    # Every field the client keeps comes from the backend's answer, under the same name and value.
    for field in fields(UploadReceipt):
        assert field.name in wire, field.name
        assert getattr(parsed, field.name) == wire[field.name], field.name
