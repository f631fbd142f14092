"""Logs never carry passwords, tokens or presigned signatures, even at DEBUG from third parties."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from backend.log import RedactingFilter, redact, setup_logging
from tests.backend.helpers import Client, sign_one
from tests.support.backend_server import RunningBackend

SIG = "X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXBhcnQ"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"PUT https://s3/b/k?partNumber=1&{SIG}&X-Amz-Date=1", SIG.split("=")[1]),
        ("X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1", "AKIAEXAMPLE"),
        ("X-Amz-Security-Token=FQoGZXIvYXdzEJr", "FQoGZXIvYXdzEJr"),
        ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
        ("{'Authorization': 'AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=ff'}", "AKIA/x"),
        ('{"password": "hunter2 hunter2"}', "hunter2"),
        ("{'refresh_token': 'opaque-refresh'}", "opaque-refresh"),
        ("password=hunter2&user=a", "hunter2"),
        (f"token {JWT} leaked", JWT),
        ("Signature:\n" + "ab" * 32, "ab" * 32),  # botocore.auth at DEBUG
        ("headers={'Authorization': b'AWS4-HMAC-SHA256 Credential=AKIA/y, X'}", "AKIA/y"),
    ],
)
def test_redact(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert "REDACTED" in cleaned


def test_redact_keeps_ordinary_text() -> None:
    text = "Upload up_abc created by alice: 1000 bytes in 1 parts of 16777216"
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "AWSAccessKeyId=AKIAOLD&Signature=c2lnbg%3D%3D&Expires=1",  # SigV2 presigned URL
        "authorization=Bearer-less-value",
        "'TOKEN': 'x'",
        "Passwd=hunter2",
    ],
)
def test_redact_skips_no_line_a_pattern_would_change(text: str) -> None:
    # Lines without any trigger word skip the patterns; each of these has one, in other case.
    assert redact(text) != text


def test_filter_redacts_arguments_and_tracebacks() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "url %s", (f"http://h/?{SIG}",), None
    )
    assert RedactingFilter().filter(record)
    assert SIG not in record.getMessage()
    try:
        raise ValueError(f"bad url http://h/?{SIG}")
    except ValueError as exc:
        err = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "boom", None, (type(exc), exc, None)
        )
    RedactingFilter().filter(err)
    assert err.exc_text is not None
    assert SIG not in err.exc_text


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything, botocore and urllib3 at DEBUG included, through the product's filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "botocore", "urllib3")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_a_whole_flow_logs_no_secret(
    shared_backend: RunningBackend, debug_log: io.StringIO
) -> None:
    alice = Client(shared_backend, "alice")
    data = b"some bytes"
    upload = alice.create(len(data))
    parts = alice.put_parts(upload, data)
    signed = {"parts": [sign_one(alice, upload["upload_id"], 1, data)]}
    alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts})
    alice.post("/auth/login", {"username": "alice", "password": "wrong password!"})
    text = debug_log.getvalue()
    assert "POST /api/v1/uploads 201" in text  # the access log is there, path only
    # The storage client's own DEBUG lines are there too (the lean client's request line of its
    # CreateMultipartUpload), so the checks below look at what it logs.
    assert "?uploads -> 200" in text
    signature = signed["parts"][0]["url"].split("X-Amz-Signature=")[1]
    for secret in (alice.access, alice.refresh, signature, "wrong password!", "correct horse"):
        assert secret not in text
    # The backend's own S3 requests are signed in headers: those signatures are hidden too.
    assert "Signature=" not in text.replace("Signature=REDACTED", "")


def test_a_record_with_a_broken_format_string_is_kept_not_raised() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items", ("many",), None)
    assert RedactingFilter().filter(record) is True
    assert record.msg == "%d items"  # left for the handler's own error report


def test_setup_logging_redacts_on_the_root_handler_and_quiets_libraries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    try:
        setup_logging("debug")
        logging.getLogger("backend.test").info("presigned %s", f"https://s3/b/k?{SIG}")
        assert root.level == logging.DEBUG
        assert logging.getLogger("botocore").level == logging.WARNING
        assert logging.getLogger("psycopg.pool").level == logging.WARNING
        assert logging.getLogger("uvicorn.access").disabled
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        logging.getLogger("uvicorn.access").disabled = False
    output = stream.getvalue()
    assert "presigned https://s3/b/k?" in output
    assert SIG.split("=")[1] not in output
    assert "REDACTED" in output
