"""Redaction: every secret form we know, text that must survive, and the filter on log records.

The project requires 100 % branch coverage of this code (checked by running this file under
``coverage run --branch``; see the final report of the client-foundation work).
"""

from __future__ import annotations

import logging
import sys

import pytest

from desktop.log import REDACTED, RedactingFilter, redact

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInR5cCI6ImFjY2VzcyJ9.c2lnbmF0dXJlLXZhbHVl"
SIGNATURE = "7612fd18e2e97ae5e310020673ece466edd910d6ae34dfd1158dfe9df6c64350"
PRESIGNED = (
    "https://s3.example.edu/bucket/rec.webm?uploadId=abc&partNumber=1"
    "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101"
    f"&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Signature={SIGNATURE}"
    "&X-Amz-Security-Token=FQoGZXIvYXdzEJr"
)

# (case id, text, secrets that must disappear, text that must remain)
CASES: list[tuple[str, str, list[str], list[str]]] = [
    (
        "presigned-url",
        f"PUT {PRESIGNED} -> 200",
        [SIGNATURE, "AKIAIOSFODNN7EXAMPLE", "FQoGZXIvYXdzEJr", "uploadId=abc"],
        ["PUT https://s3.example.edu/bucket/rec.webm?[REDACTED] -> 200"],
    ),
    (
        "url-in-quotes",
        f"'url': '{PRESIGNED}'",
        [SIGNATURE],
        ["https://s3.example.edu/bucket/rec.webm?"],
    ),
    ("url-without-query", "GET https://h/api/v1/me 200", [], ["GET https://h/api/v1/me 200"]),
    (
        "authorization-header",
        f"Authorization: Bearer {JWT}\r\nHost: h",
        [JWT, "Bearer"],
        ["Authorization: [REDACTED]", "Host: h"],
    ),
    (
        "authorization-in-dict-repr",
        f"{{'Authorization': 'Bearer {JWT}', 'Accept': 'application/json'}}",
        [JWT],
        ["'Authorization': '[REDACTED]'", "'Accept': 'application/json'"],
    ),
    (
        "authorization-json",
        '{"authorization": "Basic dXNlcjpwYXNz"}',
        ["dXNlcjpwYXNz"],
        ['"authorization": "[REDACTED]"'],
    ),
    (
        "aws-authorization-header",
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x, Signature=abcdef",
        ["AKIAIOSFODNN7EXAMPLE", "abcdef"],
        ["Authorization: [REDACTED]"],
    ),
    (
        "proxy-authorization-and-cookie",
        "Proxy-Authorization: Basic cHJveHk=\nCookie: session=s3cr3t\nSet-Cookie: id=abc",
        ["cHJveHk=", "s3cr3t", "id=abc"],
        ["Proxy-Authorization: [REDACTED]", "Cookie: [REDACTED]", "Set-Cookie: [REDACTED]"],
    ),
    ("bare-bearer", "sent bearer abc.DEF-123_~+/== to the server", ["abc.DEF"], ["sent Bearer"]),
    (
        "amz-header",
        "x-amz-security-token: FQoGZXIvYXdzEJr\nx-amz-date: 20260101",
        ["FQoGZXIvYXdzEJr"],
        ["x-amz-security-token: [REDACTED]", "x-amz-date: 20260101"],
    ),
    (
        "amz-in-dict-repr",
        "{'X-Amz-Signature': 'abc123', 'X-Amz-Credential': 'AK/1'}",
        ["abc123", "AK/1"],
        ["'X-Amz-Signature': '[REDACTED]'"],
    ),
    (
        "amz-query-without-url",
        "query: X-Amz-Signature=abc123&X-Amz-Expires=900",
        ["abc123"],
        ["X-Amz-Signature=[REDACTED]&X-Amz-Expires=900"],
    ),
    (
        "json-password",
        '{"username": "alice", "password": "hunter2 with spaces"}',
        ["hunter2"],
        ['"username": "alice"', '"password": "[REDACTED]"'],
    ),
    (
        "json-escaped-quote",
        '{"password": "a\\"b\\"c", "next": "visible"}',
        ['a\\"b', "c\\"],
        ['"password": "[REDACTED]"', '"next": "visible"'],
    ),
    (
        "json-in-a-string",
        '{\\"refresh_token\\": \\"r3fr3sh\\"}',
        ["r3fr3sh"],
        ['\\"refresh_token\\": \\"[REDACTED]\\"'],
    ),
    (
        "python-repr",
        "TokenPair(access_token='acc3ss', refresh_token='r3fr3sh', expires_in=900)",
        ["acc3ss", "r3fr3sh"],
        ["access_token='[REDACTED]'", "expires_in=900"],
    ),
    (
        "form",
        "username=alice&password=hunter2&client_secret=xyz&remember=1",
        ["hunter2", "xyz"],
        ["username=alice", "password=[REDACTED]&", "client_secret=[REDACTED]&remember=1"],
    ),
    (
        "prose-key-value",
        "refresh_token: r3fr3sh; api-key = k3y, passphrase:p4ss",
        ["r3fr3sh", "k3y", "p4ss"],
        ["refresh_token: [REDACTED];"],
    ),
    ("jwt-anywhere", f"token was {JWT}.", [JWT], ["token was [REDACTED]."]),
    (
        "aws-key-id",
        "key ASIAIOSFODNN7EXAMPLE used",
        ["ASIAIOSFODNN7EXAMPLE"],
        ["key [REDACTED] used"],
    ),
    (
        "harmless-text",
        "Password store: keyring.backends.SecretService.Keyring; 3 tokens refreshed",
        [],
        ["Password store: keyring.backends.SecretService.Keyring; 3 tokens refreshed"],
    ),
    (
        "harmless-upload-line",
        "Upload up_123 part 7 (16777216 bytes) done in 812 ms",
        [],
        ["Upload up_123 part 7 (16777216 bytes) done in 812 ms"],
    ),
]


@pytest.mark.parametrize(
    ("text", "secrets", "kept"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_redact(text: str, secrets: list[str], kept: list[str]) -> None:
    result = redact(text)
    for secret in secrets:
        assert secret not in result, result
    for part in kept:
        assert part in result, result
    if secrets:
        assert REDACTED in result
    assert redact(result) == result  # idempotent: several handlers may redact one record


def record(msg: object, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError(f"refused {PRESIGNED}")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord(
        "urllib3.connectionpool", logging.DEBUG, __file__, 1, msg, args, exc_info
    )


def test_filter_merges_arguments_then_redacts() -> None:
    rec = record("%s %s %r", "PUT", PRESIGNED, {"password": "hunter2"})
    assert RedactingFilter().filter(rec) is True
    assert rec.args is None
    assert SIGNATURE not in rec.getMessage()
    assert "hunter2" not in rec.getMessage()
    assert rec.getMessage().startswith("PUT https://s3.example.edu/bucket/rec.webm?[REDACTED]")


def test_filter_redacts_exceptions_and_stacks() -> None:
    rec = record("upload failed", exc=True)
    rec.stack_info = f"Stack (most recent call last):\n  token={JWT}"
    RedactingFilter().filter(rec)
    assert rec.exc_text is not None
    assert "ValueError: refused https://s3.example.edu/bucket/rec.webm?[REDACTED]" in rec.exc_text
    assert SIGNATURE not in rec.exc_text
    assert JWT not in rec.stack_info
    formatted = logging.Formatter().format(rec)
    assert SIGNATURE not in formatted
    assert JWT not in formatted


def test_filter_keeps_an_already_formatted_exception_redacted() -> None:
    rec = record("boom")
    rec.exc_text = f"Traceback ...\nRuntimeError: Authorization: Bearer {JWT}"
    RedactingFilter().filter(rec)
    assert JWT not in rec.exc_text


def test_filter_keeps_records_whose_arguments_do_not_fit() -> None:
    rec = record("%s and %s", "password=hunter2")  # one argument short
    assert RedactingFilter().filter(rec) is True
    message = rec.getMessage()
    assert "hunter2" not in message
    assert "%s and %s" in message


def test_filter_on_a_message_that_is_not_text() -> None:
    rec = record({"refresh_token": "r3fr3sh"})
    RedactingFilter().filter(rec)
    assert rec.getMessage() == "{'refresh_token': '[REDACTED]'}"
