"""How failures of the backend's HTTP API become :mod:`desktop.errors`, so callers
never handle transport exceptions.

:func:`convert_http_errors` turns transport exceptions (the standard library's, and those of
:mod:`desktop.api.transport`) into :class:`NetworkError`/:class:`TlsError`;
:func:`error_from_response` turns an error status, with the backend's
``{"error": {"code", "message"}}`` body, into the matching error with a message that says what to
do. Both are re-exported by :mod:`desktop.api.client`.
"""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum

from desktop import error_frames
from desktop.api.transport import Answer, CaBundleError, ProxyError
from desktop.errors import (
    AuthError,
    BackendError,
    NetworkError,
    TlsError,
    TooManyAttemptsError,
    UploaderError,
    UploadNotFoundError,
    parse_retry_after,
)

__all__ = ["RequestContext", "convert_http_errors", "error_from_response"]

_UPLOAD_NOT_FOUND_CODES = frozenset({"upload_not_found", "not_found", "no_such_upload"})
_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN})


class RequestContext(Enum):
    """What a request was for, so the same status can get the message that fits."""

    GENERIC = "generic"
    LOGIN = "login"
    REFRESH = "refresh"
    UPLOAD = "upload"  # a request about one upload id: 404 means the upload is gone


@contextmanager
def convert_http_errors(server_url: str = "") -> Iterator[None]:
    """Turn transport exceptions raised inside the block into :mod:`desktop.errors`.

    Args:
        server_url: Named in messages so the proctor knows which server failed.

    Raises:
        TlsError: Certificate problems, or a CA bundle that cannot be read.
        NetworkError: DNS, refused or reset connections, timeouts, proxy failures, broken responses.
    """
    # Each message is a frame of desktop.errors, so the app can say it in the proctor's language.
    where = (
        (
            error_frames.SERVER_AT.format(server=server_url),
            error_frames.SERVER_AT_START.format(server=server_url),
        )
        if server_url
        else (error_frames.SERVER_ANY, error_frames.SERVER_ANY_START)
    )
    try:
        yield
    except CaBundleError as exc:
        raise TlsError(error_frames.CA_BUNDLE_UNREADABLE) from exc
    except ssl.SSLError as exc:
        raise _tls_error(str(exc), where) from exc
    except ProxyError as exc:
        raise NetworkError(error_frames.PROXY_FAILED.format(where=where[0])) from exc
    except TimeoutError as exc:
        raise NetworkError(
            error_frames.NO_ANSWER.format(Where=where[1]), title="Server not answering"
        ) from exc
    except http.client.InvalidURL as exc:
        raise NetworkError(
            error_frames.ADDRESS_INVALID.format(where=where[0]), retryable=False
        ) from exc
    except (ConnectionError, socket.gaierror) as exc:
        # The class name too: RemoteDisconnected's message does not say what happened.
        raise _connection_error(f"{type(exc).__name__}: {exc}", where) from exc
    except http.client.HTTPException as exc:
        # IncompleteRead, BadStatusLine and friends: the answer broke off on the way.
        raise NetworkError(
            error_frames.ANSWER_BROKE_OFF.format(where=where[0], name=type(exc).__name__)
        ) from exc
    except OSError as exc:
        if exc.errno in _UNREACHABLE:
            raise _connection_error(str(exc), where) from exc
        raise NetworkError(
            error_frames.CANNOT_TALK.format(where=where[0], reason=exc.strerror or exc)
        ) from exc


def _tls_error(text: str, where: tuple[str, str]) -> TlsError:
    """`where`: the server as named mid-sentence, and first in a sentence."""
    lowered = text.lower()
    if "certificate has expired" in lowered:
        frame = error_frames.CERTIFICATE_EXPIRED
    elif "mismatch" in lowered or "doesn't match" in lowered:
        frame = error_frames.CERTIFICATE_OTHER_NAME
    elif (
        "self-signed" in lowered
        or "self signed" in lowered
        or "unable to get local issuer" in lowered
    ):
        frame = error_frames.CERTIFICATE_UNTRUSTED
    elif "wrong version number" in lowered or "record layer failure" in lowered:
        frame = error_frames.NOT_HTTPS
    else:
        frame = error_frames.NO_SECURE_CONNECTION
    return TlsError(frame.format(where=where[0], Where=where[1]))


def _connection_error(text: str, where: tuple[str, str]) -> NetworkError:
    lowered = text.lower()
    if any(
        marker in lowered
        for marker in (
            "nameresolutionerror",
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo failed",
            "temporary failure in name resolution",
            "no address associated",
            "failed to resolve",
        )
    ):
        return NetworkError(
            error_frames.NAME_NOT_FOUND.format(where=where[0]), title="Server not found"
        )
    if "refused" in lowered:
        return NetworkError(
            error_frames.CONNECTION_REFUSED.format(Where=where[1]), title="Server not reachable"
        )
    if "reset" in lowered or "aborted" in lowered or "remotedisconnected" in lowered:
        return NetworkError(
            error_frames.CONNECTION_INTERRUPTED.format(where=where[0]), title="Connection dropped"
        )
    return NetworkError(error_frames.UNREACHABLE.format(Where=where[1]))


def _error_body(response: Answer) -> tuple[str, str]:
    """The backend's ``{"error": {"code", "message"}}``, or empty strings for any other body."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    code = error.get("code")
    message = error.get("message")
    return (code if isinstance(code, str) else ""), (message if isinstance(message, str) else "")


def error_from_response(response: Answer, *, context: str = "generic") -> UploaderError:
    """The error a non-2xx answer means, with a message that says what to do.

    Args:
        response: The error response (its body is read).
        context: ``"generic"``, ``"login"``, ``"refresh"`` or ``"upload"`` (a request about one
            upload id).

    Returns:
        The error to raise; never raises itself.
    """
    ctx = RequestContext(context)
    status = response.status
    code, backend_message = _error_body(response)
    retry_after = parse_retry_after(response.headers.get("retry-after"))

    def said(plain: str, saying: str) -> str:
        # The backend's own message goes into the sentence as it is (the app translates the
        # sentence around it, never the server's words).
        return saying.format(detail=backend_message) if backend_message else plain

    if ctx is RequestContext.LOGIN and status == 401:
        return AuthError(error_frames.SIGN_IN_REFUSED, title="Sign-in failed")
    if ctx is RequestContext.LOGIN and status == 429:
        return TooManyAttemptsError(
            error_frames.SIGN_INS_PAUSED_FOR.format(minutes=max(1, round(retry_after / 60)))
            if retry_after
            else error_frames.SIGN_INS_PAUSED,
            retry_after=retry_after,
        )
    if ctx in (RequestContext.LOGIN, RequestContext.REFRESH) and status == 403:
        return AuthError(
            said(error_frames.ACCOUNT_REFUSED, error_frames.ACCOUNT_REFUSED_SAYING),
            title="Account refused",
        )
    if status == 401:
        if ctx is RequestContext.REFRESH:
            return AuthError(error_frames.SIGN_IN_ENDED)
        return AuthError()
    if status == 404 and ctx is RequestContext.UPLOAD and (code in _UPLOAD_NOT_FOUND_CODES):
        return UploadNotFoundError(status=status, code=code)
    if 300 <= status < 400:
        target = response.headers.get("location", "").split("?", 1)[0]
        return BackendError(
            error_frames.REDIRECTED_TO.format(target=target) if target else error_frames.REDIRECTED,
            status=status,
            code=code or "redirected",
            title="Server address moved",
        )
    if status == 404 and not code:
        return BackendError(
            error_frames.NOT_OUR_SERVICE,
            status=status,
            code="not_found",
            title="Not a Proctor Uploader server",
        )
    if status == 429 or status == 408 or status >= 500:
        if status in (502, 503, 504):
            text = said(error_frames.SERVER_UNAVAILABLE, error_frames.SERVER_UNAVAILABLE_SAYING)
        elif status in (429, 408):
            text = said(error_frames.SERVER_BUSY, error_frames.SERVER_BUSY_SAYING)
        else:
            text = said(error_frames.SERVER_PROBLEM, error_frames.SERVER_PROBLEM_SAYING)
        return BackendError(
            text,
            status=status,
            code=code or f"http_{status}",
            retryable=True,
            retry_after=retry_after,
        )
    return BackendError(
        said(
            error_frames.REQUEST_REFUSED_STATUS.format(status=status),
            error_frames.REQUEST_REFUSED_SAYING,
        ),
        status=status,
        code=code or f"http_{status}",
        title="Request refused",
    )
