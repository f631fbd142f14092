"""A backend that hands out http:// upload links to another computer: nothing is sent.

The server address itself may be http:// only to this computer; the links to storage follow the
same rule, with the same opt-in. The backend here is configured as the issue describes it:
`--s3-public-endpoint-url http://storage.example.invalid:9000`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.engine.events import JobState
from tests.integration.conftest import Stack, write_file

pytestmark = pytest.mark.integration


def test_http_links_to_another_computer_are_refused_before_any_byte(
    make_stack: Callable[..., Stack], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stack = make_stack(s3_public_endpoint_url="http://storage.example.invalid:9000")
    caplog.set_level(logging.DEBUG)
    q, rec = stack.queue()
    path = tmp_path / "webcam.mp4"
    write_file(path, 1024)
    job = q.add(path, exam_id="E", kind="webcam")
    assert q.wait_idle(60)
    (done,) = q.jobs()
    assert done.state is JobState.FAILED  # not waiting for a network that would carry it in clear
    assert done.error_title == "Insecure storage address"
    assert done.error_message is not None
    assert "storage.example.invalid" in done.error_message
    assert "http://" in done.error_message
    assert not rec.saw_state(job.job_id, JobState.WAITING_NETWORK)
    assert stack.put_bytes() == 0
    # The link (a write credential until it expires) is in none of the app's log records (the
    # backend runs in this process too, and its own storage library logs what it signs).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("desktop"))
    assert "/parts -> 200" in logged  # the sign request was logged, without its answer
    assert "X-Amz-Signature" not in logged
    assert "storage.example.invalid:9000/" not in logged
