"""The content type reaches storage as an HTTP header: what could break or inject one is refused."""

from __future__ import annotations

import pytest

from tests.security.client import Stack, error_code

pytestmark = pytest.mark.integration

HOSTILE_TYPES = [
    "video/webm\r\nx-amz-acl: public-read",
    "video/webm\n; codecs=vp9",
    "video/webm\r; codecs=vp9",
    "video/webm\x00",
    "video/webm\x0b; codecs=vp9",
    "video/webm\x85; codecs=vp9",
    "video/webm\u2028; codecs=vp9",
    "video/webm\u3000; codecs=vp9",
    "vid\u00e9o/webm",
    "video/we\x01bm",
]


@pytest.mark.parametrize("content_type", HOSTILE_TYPES)
def test_hostile_content_types_get_422_and_create_nothing(stack: Stack, content_type: str) -> None:
    alice = stack.user("alice")
    multipart = alice.call(
        "POST",
        "/uploads",
        {
            "filename": "webcam.webm",
            "size": 1,
            "content_type": content_type,
            "metadata": {"exam_id": "EXAM-1", "kind": "webcam"},
        },
    )
    assert multipart.status_code == 422, multipart.text
    assert error_code(multipart) == "invalid_request"
    single = alice.call(
        "POST",
        "/files/presigned-url",
        {"fileName": "webcam.webm", "contentType": content_type, "examId": "EXAM-1"},
    )
    assert single.status_code == 422, single.text
    assert alice.call("GET", "/uploads").json()["uploads"] == []
    assert stack.open_uploads() == []


@pytest.mark.parametrize(
    "content_type", ["video/webm", "video/webm; codecs=vp9", 'video/webm;\tcodecs="vp9"']
)
def test_ordinary_content_types_are_accepted(stack: Stack, content_type: str) -> None:
    """The control: the refusals above come from the hostile characters alone."""
    alice = stack.user("alice")
    body = {
        "filename": "webcam.webm",
        "size": 1,
        "content_type": content_type,
        "metadata": {"exam_id": "EXAM-1", "kind": "webcam"},
    }
    assert alice.call("POST", "/uploads", body).status_code == 201
