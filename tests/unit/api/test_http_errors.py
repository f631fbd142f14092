"""How answers and transport failures become errors: the mapping tables of desktop.api.client.

Error statuses are built as the transport's answers and transport failures as the exception types
the standard library and the transport raise; the end-to-end tests in test_client.py show the same
paths over real sockets.
"""

from __future__ import annotations

import errno
import http.client
import json
import socket
import ssl

import pytest

from desktop.api.http_errors import convert_http_errors, error_from_response
from desktop.api.transport import Answer, CaBundleError, ProxyError
from desktop.errors import (
    AuthError,
    BackendError,
    NetworkError,
    TlsError,
    TooManyAttemptsError,
    UploaderError,
    UploadNotFoundError,
)


def response(status: int, body: object = None, **headers: str) -> Answer:
    fields = {k.replace("_", "-").lower(): v for k, v in headers.items()}
    if isinstance(body, bytes):
        content = body
    elif body is not None:
        content = json.dumps(body).encode()
        fields["content-type"] = "application/json"
    else:
        content = b""
    return Answer(status, fields, content)


def backend_error(code: str, message: str = "Explained by the server.") -> dict[str, object]:
    return {"error": {"code": code, "message": message}}


@pytest.mark.parametrize(
    ("context", "answer", "cls", "retryable", "text"),
    [
        (
            "login",
            response(401, backend_error("invalid_credentials")),
            AuthError,
            False,
            "not correct",
        ),
        (
            "login",
            response(429, backend_error("too_many"), Retry_After="30"),
            TooManyAttemptsError,
            False,
            "about 1 minute",
        ),
        (
            "login",
            response(429, backend_error("too_many")),
            TooManyAttemptsError,
            False,
            "a while.",
        ),
        (
            "login",
            response(403, backend_error("disabled", "Account disabled.")),
            AuthError,
            False,
            "Account disabled.",
        ),
        (
            "refresh",
            response(401, backend_error("unauthorized")),
            AuthError,
            False,
            "sign in again",
        ),
        (
            "generic",
            response(401, backend_error("unauthorized")),
            AuthError,
            False,
            "sign in again",
        ),
        ("upload", response(404, backend_error("not_found")), UploadNotFoundError, False, "again"),
        (
            "upload",
            response(404, backend_error("upload_not_found")),
            UploadNotFoundError,
            False,
            "",
        ),
        ("generic", response(404, backend_error("not_found")), BackendError, False, "refused"),
        ("upload", response(404, b"<html>404</html>"), BackendError, False, "does not offer"),
        (
            "generic",
            response(302, b"", Location="https://x.example/a?b=c"),
            BackendError,
            False,
            "to https://x.example/a.",
        ),
        ("generic", response(307, b""), BackendError, False, "redirected the request."),
        ("generic", response(408, b""), BackendError, True, "busy"),
        (
            "upload",
            response(429, backend_error("slow_down"), Retry_After="Wed, 21 Oct 2015 07:28:00 GMT"),
            BackendError,
            True,
            "busy",
        ),
        (
            "generic",
            response(500, backend_error("internal_error", "Boom.")),
            BackendError,
            True,
            "(Boom.)",
        ),
        (
            "generic",
            response(503, backend_error("storage_unavailable"), Retry_After="5"),
            BackendError,
            True,
            "temporarily unavailable",
        ),
        ("generic", response(504, b"gateway timeout"), BackendError, True, "temporarily"),
        (
            "generic",
            response(409, backend_error("already_completed", "Done already.")),
            BackendError,
            False,
            "(Done already.)",
        ),
        ("generic", response(422, {"error": "flat string"}), BackendError, False, "(HTTP 422)"),
        ("generic", response(400, [1, 2]), BackendError, False, "(HTTP 400)"),
        (
            "generic",
            response(413, {"error": {"code": 5, "message": None}}),
            BackendError,
            False,
            "(HTTP 413)",
        ),
    ],
)
def test_statuses(
    context: str,
    answer: Answer,
    cls: type[UploaderError],
    retryable: bool,
    text: str,
) -> None:
    error = error_from_response(answer, context=context)
    assert type(error) is cls
    assert error.retryable is retryable
    assert text in error.message
    if isinstance(error, BackendError):
        assert error.status == answer.status
        assert error.code


def test_retry_after_is_kept() -> None:
    error = error_from_response(
        response(503, backend_error("storage_unavailable"), Retry_After="5")
    )
    assert isinstance(error, BackendError)
    assert error.retry_after == 5
    assert error.code == "storage_unavailable"
    negative = error_from_response(response(503, b"", Retry_After="-3"))
    assert isinstance(negative, BackendError)
    assert negative.retry_after == 0


@pytest.mark.parametrize(
    ("raised", "cls", "title_or_text"),
    [
        (
            ssl.SSLCertVerificationError("certificate verify failed: certificate has expired"),
            TlsError,
            "has expired",
        ),
        (
            ssl.SSLCertVerificationError(
                "certificate verify failed: Hostname mismatch, certificate is not valid for 'a'"
            ),
            TlsError,
            "different name",
        ),
        (
            ssl.SSLCertVerificationError(
                "certificate verify failed: self-signed certificate in certificate chain"
            ),
            TlsError,
            "CA bundle",
        ),
        (
            ssl.SSLCertVerificationError(
                "certificate verify failed: unable to get local issuer certificate"
            ),
            TlsError,
            "CA bundle",
        ),
        (
            ssl.SSLError("[SSL: WRONG_VERSION_NUMBER] wrong version number"),
            TlsError,
            "does not speak https",
        ),
        (ssl.SSLError("handshake failure"), TlsError, "could not be established"),
        (ssl.SSLEOFError("EOF occurred in violation of protocol"), TlsError, "could not be"),
        (ProxyError("Unable to connect to proxy"), NetworkError, "proxy"),
        (TimeoutError("timed out"), NetworkError, "did not answer in time"),
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            NetworkError,
            "could not be found",
        ),
        (
            ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
            NetworkError,
            "refused the connection",
        ),
        (
            ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
            NetworkError,
            "interrupted",
        ),
        (
            http.client.RemoteDisconnected("Remote end closed connection without response"),
            NetworkError,
            "interrupted",
        ),
        (
            OSError(errno.ENETUNREACH, "Network is unreachable"),
            NetworkError,
            "could not be reached",
        ),
        (http.client.InvalidURL("bad"), NetworkError, "is not valid"),
        (http.client.IncompleteRead(b"{"), NetworkError, "broke off"),
        (http.client.BadStatusLine("\x15\x03"), NetworkError, "broke off"),
        (CaBundleError("The CA bundle /x cannot be read."), TlsError, "cannot be read"),
        (OSError(errno.EMFILE, "Too many open files"), NetworkError, "Too many open files"),
    ],
)
def test_transport_failures(
    raised: Exception, cls: type[UploaderError], title_or_text: str
) -> None:
    with pytest.raises(UploaderError) as info, convert_http_errors("https://uploads.example.edu"):
        raise raised
    error = info.value
    assert type(error) is cls
    assert title_or_text in error.message
    assert error.__cause__ is raised
    if cls is NetworkError and not isinstance(raised, http.client.InvalidURL):
        assert error.retryable


def test_messages_name_the_server_when_known() -> None:
    with pytest.raises(NetworkError) as named, convert_http_errors("https://a.example"):
        raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    assert "https://a.example" in named.value.message
    with pytest.raises(NetworkError) as anonymous, convert_http_errors():
        raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    assert anonymous.value.message.startswith("The server refused")


def test_other_exceptions_pass_through() -> None:
    with pytest.raises(KeyError), convert_http_errors():
        raise KeyError("a bug stays a bug")
