"""The HTTP client for the reference backend's API (issue 2 contract, ``docs/api.md``).

One :class:`ApiClient` holds one :class:`~desktop.api.transport.HttpTransport` whose connection
pool is sized for the engine's concurrency. Every call has a timeout, verifies TLS (optionally
against an organisation's CA bundle, never unverified), honours proxy settings from the
environment, and makes exactly one attempt (plus one retry after refreshing an expired access
token): retry policy belongs to the engine, which knows whether waiting is worth it.

No transport exception leaves this module: :func:`convert_http_errors` turns transport
exceptions, and :func:`error_from_response` turns error statuses, into :mod:`desktop.errors`;
both live in :mod:`desktop.api.http_errors` and are re-exported here.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from desktop import __version__
from desktop.api.http_errors import RequestContext, convert_http_errors, error_from_response
from desktop.api.models import (
    CreatedUpload,
    RemotePart,
    SignedParts,
    TokenPair,
    UploadPage,
    UploadReceipt,
    User,
)
from desktop.api.transport import Answer, HttpTransport
from desktop.api.urls import API_PREFIX, check_storage_url, validate_server_url
from desktop.errors import AuthError, BackendError, TlsError

__all__ = [
    "MAX_PARTS_PER_SIGN",
    "ApiClient",
    "TokenProvider",
    "convert_http_errors",
    "error_from_response",
    "validate_server_url",
]

logger = logging.getLogger(__name__)

#: The backend signs at most this many parts per call; larger requests are split.
MAX_PARTS_PER_SIGN = 100


class TokenProvider(Protocol):
    """Where the client gets bearer tokens (``desktop.auth.session.AuthSession`` is one)."""

    def access_token(self) -> str | None:
        """The current access token, or None when there is none (or it is about to expire)."""
        ...

    def refresh(self) -> str:
        """Get a new access token; raise AuthError when the user must sign in again."""
        ...


class ApiClient:
    """Calls the backend's ``/api/v1`` endpoints; safe to share between the engine's threads.

    Attributes:
        server_url: The normalised server address (no trailing slash, no ``/api/v1``).
    """

    def __init__(
        self,
        server_url: str,
        *,
        tokens: TokenProvider | None = None,
        timeout: float = 30.0,
        pool_size: int = 16,
        allow_insecure_http: bool = False,
        ca_bundle: str | None = None,
    ) -> None:
        """Create a client; no network traffic happens until the first call.

        Args:
            server_url: The server address; validated and normalised with
                :func:`validate_server_url`.
            tokens: Supplies bearer tokens for calls that need a signed-in user; None for anonymous
                use (health, login, refresh, logout).
            timeout: Seconds to wait for connecting and for each read.
            pool_size: Connections kept alive to the server; at least the engine's concurrency.
            allow_insecure_http: Allow ``http://`` to a non-loopback server (an explicit admin
                setting).
            ca_bundle: A PEM file of certificate authorities to trust instead of the system's.

        Raises:
            InvalidServerUrlError: The address is unusable (InsecureServerError for refused http).
            TlsError: ``ca_bundle`` does not exist.
        """
        self._server_url = validate_server_url(server_url, allow_insecure_http=allow_insecure_http)
        self._base = self._server_url + API_PREFIX
        self._tokens = tokens
        self._timeout = timeout
        self._pool_size = max(1, pool_size)
        self._allow_insecure_http = allow_insecure_http
        self._ca_bundle = ca_bundle or None
        if self._ca_bundle is not None and not Path(self._ca_bundle).is_file():
            raise TlsError(
                f"The CA bundle file {self._ca_bundle} does not exist. Check the path in Settings, "
                "or clear it to use the system's certificates."
            )
        self._transport = HttpTransport(
            timeout=timeout,
            pool_size=self._pool_size,
            ca_bundle=self._ca_bundle,
            headers={
                "User-Agent": f"proctor-uploader/{__version__}",
                "Accept": "application/json",
            },
        )

    @property
    def server_url(self) -> str:
        """The normalised server address."""
        return self._server_url

    def with_tokens(
        self, tokens: TokenProvider | None, *, pool_size: int | None = None
    ) -> ApiClient:
        """A new client with the same server and settings, using ``tokens`` and its own pool."""
        return ApiClient(
            self._server_url,
            tokens=tokens,
            timeout=self._timeout,
            pool_size=pool_size if pool_size is not None else self._pool_size,
            allow_insecure_http=self._allow_insecure_http,
            ca_bundle=self._ca_bundle,
        )

    def __enter__(self) -> ApiClient:
        """Use the client in a ``with`` block that closes it."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the client's connections."""
        self.close()

    def close(self) -> None:
        """Close pooled connections. The client may not be used afterwards."""
        self._transport.close()

    # -- endpoints --------------------------------------------------------------------------------

    def health(self) -> dict[str, object]:
        """``GET /health``: whether the server is up, and its version."""
        body = self._json(self._request("GET", "/health", auth=False))
        if not isinstance(body, dict):
            raise BackendError(
                "The server's health answer is not a JSON object.", code="invalid_response"
            )
        return body

    def login(self, username: str, password: str) -> TokenPair:
        """Exchange a user name and password for a token pair.

        Raises:
            AuthError: Wrong user name or password, or the account is refused.
            TooManyAttemptsError: The server is refusing attempts for a while (429).
        """
        response = self._request(
            "POST",
            "/auth/login",
            json_body={"username": username, "password": password},
            auth=False,
            context=RequestContext.LOGIN,
        )
        return TokenPair.from_json(self._json(response))

    def refresh(self, refresh_token: str) -> TokenPair:
        """Exchange a refresh token for a new pair; the old refresh token stops working (rotation).

        Raises:
            AuthError: The refresh token expired, was revoked, or was already used.
        """
        response = self._request(
            "POST",
            "/auth/refresh",
            json_body={"refresh_token": refresh_token},
            auth=False,
            context=RequestContext.REFRESH,
        )
        return TokenPair.from_json(self._json(response))

    def logout(self, refresh_token: str) -> None:
        """Revoke a refresh token on the server."""
        self._request(
            "POST",
            "/auth/logout",
            json_body={"refresh_token": refresh_token},
            auth=False,
            context=RequestContext.REFRESH,
        )

    def me(self) -> User:
        """``GET /me``: the signed-in account."""
        return User.from_json(self._json(self._request("GET", "/me")))

    def create_upload(
        self,
        *,
        filename: str,
        size: int | None,
        content_type: str,
        metadata: Mapping[str, str],
        sha256: str | None = None,
        part_size: int | None = None,
        client_token: str | None = None,
    ) -> CreatedUpload:
        """Create a multipart upload; the backend chooses the key and the part size.

        Args:
            filename: The file's name (no folders).
            size: The file's size in bytes; None for a recording still being written (the backend
                then picks a part size that fits its largest recording, and ``complete`` gives
                the final size).
            content_type: The MIME type to store with the object.
            metadata: ``exam_id`` and ``kind`` (``webcam``, ``screen`` or ``other``).
            sha256: The file's SHA-256 in hex, when known up front.
            part_size: A preferred part size in bytes; the backend may raise it.
            client_token: The job's id (8-64 of ``A-Za-z0-9_-``): asking again with it returns the
                same in-progress upload, so a retry after a lost answer or a crash orphans nothing.
        """
        body: dict[str, Any] = {
            "filename": filename,
            "content_type": content_type,
            "metadata": dict(metadata),
        }
        if size is not None:
            body["size"] = size
        if sha256 is not None:
            body["sha256"] = sha256
        if part_size is not None:
            body["part_size"] = part_size
        if client_token is not None:
            body["client_token"] = client_token
        return CreatedUpload.from_json(
            self._json(self._request("POST", "/uploads", json_body=body))
        )

    def sign_parts(
        self,
        upload_id: str,
        part_numbers: Sequence[int],
        *,
        checksums: Mapping[int, str] | None = None,
    ) -> SignedParts:
        """Presigned PUT URLs for the given parts; more than 100 parts are signed in several calls.

        Args:
            upload_id: The backend's upload id.
            part_numbers: 1-based part numbers.
            checksums: Base64 checksum per part number in the upload's algorithm (required for
                CRC64NVME/CRC32C uploads); storage then accepts only bytes that have it, and the
                signed part's ``headers`` carry the one header to send with them.

        Raises:
            UploadNotFoundError: The upload no longer exists.
        """
        numbers = list(part_numbers)
        path = f"/uploads/{_segment(upload_id)}/parts"
        parts = []
        expires_at = ""
        for start in range(0, max(1, len(numbers)), MAX_PARTS_PER_SIGN):
            batch = numbers[start : start + MAX_PARTS_PER_SIGN]
            body: dict[str, Any] = {"part_numbers": batch}
            if checksums:
                body["checksums"] = {str(n): checksums[n] for n in batch if n in checksums}
            response = self._request("POST", path, json_body=body, context=RequestContext.UPLOAD)
            signed = SignedParts.from_json(self._json(response))
            for part in signed.parts:
                # The server address passed this rule; the links it hands out must too.
                check_storage_url(part.url, allow_insecure_http=self._allow_insecure_http)
            parts.extend(signed.parts)
            # The whole result is only as fresh as its oldest batch.
            expires_at = signed.expires_at if not expires_at else min(expires_at, signed.expires_at)
        return SignedParts(parts=parts, expires_at=expires_at)

    def list_parts(self, upload_id: str) -> list[RemotePart]:
        """The parts storage holds for this upload (S3 ListParts): the truth when resuming."""
        response = self._request(
            "GET", f"/uploads/{_segment(upload_id)}/parts", context=RequestContext.UPLOAD
        )
        body = self._json(response)
        raw = body.get("parts") if isinstance(body, dict) else None
        if not isinstance(raw, list):
            raise BackendError(
                "The server's list of stored parts is malformed.", code="invalid_response"
            )
        return [RemotePart.from_json(p) for p in raw]

    def complete(
        self,
        upload_id: str,
        parts: Sequence[tuple[int, str]],
        *,
        sha256: str | None = None,
        size: int | None = None,
        checksums: Mapping[int, str] | None = None,
        checksum: str | None = None,
    ) -> UploadReceipt:
        """Complete the upload from ``(part_number, etag)`` pairs; idempotent on the backend.

        Args:
            upload_id: The backend's upload id.
            parts: ``(part_number, etag)`` of every part.
            sha256: The file's SHA-256 (hex), recorded in the receipt.
            size: The final size of an upload created without one (a followed recording).
            checksums: Base64 checksum per part number (required for CRC uploads).
            checksum: The whole object's base64 CRC combined from the parts' CRCs.

        Raises:
            UploadNotFoundError: The upload no longer exists.
            BackendError: Storage refused the parts (e.g. a wrong ETag), the size check failed, or
                the checksums differ (``checksum_mismatch``).
        """
        listed: list[dict[str, Any]] = []
        for n, etag in parts:
            entry: dict[str, Any] = {"part_number": n, "etag": etag}
            if checksums and n in checksums:
                entry["checksum"] = checksums[n]
            listed.append(entry)
        body: dict[str, Any] = {"parts": listed}
        if sha256 is not None:
            body["sha256"] = sha256
        if size is not None:
            body["size"] = size
        if checksum is not None:
            body["checksum"] = checksum
        response = self._request(
            "POST",
            f"/uploads/{_segment(upload_id)}/complete",
            json_body=body,
            context=RequestContext.UPLOAD,
        )
        return UploadReceipt.from_json(self._json(response))

    def receipt_keys(self) -> dict[str, Any]:
        """The JWK Set of the keys the server signs receipts with (public; no sign-in needed).

        Raises:
            BackendError: The answer is not a JWK Set.
        """
        response = self._request("GET", "/receipts/keys", auth=False)
        body = self._json(response)
        if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            raise BackendError(
                "The server's receipt-signing keys are malformed.", code="invalid_response"
            )
        return body

    def abort(self, upload_id: str) -> None:
        """Abort the multipart upload, freeing the parts storage holds.

        Raises:
            UploadNotFoundError: The upload was already gone (callers cancelling may ignore this).
        """
        self._request("DELETE", f"/uploads/{_segment(upload_id)}", context=RequestContext.UPLOAD)

    def list_uploads(
        self, *, status: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> UploadPage:
        """One page of the caller's uploads (an admin sees everyone's)."""
        params = {
            key: str(value)
            for key, value in (("status", status), ("limit", limit), ("cursor", cursor))
            if value is not None
        }
        return UploadPage.from_json(self._json(self._request("GET", "/uploads", params=params)))

    # -- plumbing ---------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        params: Mapping[str, str] | None = None,
        auth: bool = True,
        context: RequestContext = RequestContext.GENERIC,
    ) -> Answer:
        """Send one request (and one retry after a token refresh); return a 2xx answer or raise."""
        if not auth:
            response = self._send(method, path, json_body, params, token=None)
        else:
            response = self._send_authorised(method, path, json_body, params)
        if 200 <= response.status < 300:
            return response
        error = error_from_response(response, context=context.value)
        logger.info("%s %s failed: HTTP %d %s", method, path, response.status, type(error).__name__)
        raise error

    def _send_authorised(
        self, method: str, path: str, json_body: object, params: Mapping[str, str] | None
    ) -> Answer:
        tokens = self._tokens
        if tokens is None:
            raise AuthError("You are not signed in. Please sign in.")
        token = tokens.access_token()
        refreshed = False
        if token is None:
            token = tokens.refresh()
            refreshed = True
        response = self._send(method, path, json_body, params, token=token)
        if response.status == 401 and not refreshed:
            # Another thread may have refreshed while this request was in flight: use its token
            # rather
            # than rotating the refresh token a second time.
            current = tokens.access_token()
            token = current if current is not None and current != token else tokens.refresh()
            response = self._send(method, path, json_body, params, token=token)
        return response

    def _send(
        self,
        method: str,
        path: str,
        json_body: object,
        params: Mapping[str, str] | None,
        *,
        token: str | None,
    ) -> Answer:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        body = None
        if json_body is not None:
            body = json.dumps(json_body, allow_nan=False).encode()
            headers["Content-Type"] = "application/json"
        url = self._base + path
        if params:
            url += "?" + urlencode(params)
        started = time.monotonic()
        # The transport never follows a redirect: a password or token is never replayed to
        # wherever one points. The body is read inside the conversion: a connection dropped
        # mid-body is a network error too.
        with convert_http_errors(self._server_url):
            response = self._transport.request(method, url, body=body, headers=headers)
        logger.debug(
            "%s %s -> %d in %.0f ms",
            method,
            path,
            response.status,
            (time.monotonic() - started) * 1000,
        )
        return response

    def _json(self, response: Answer) -> Any:
        if response.status == 204 or not response.content:
            raise BackendError(
                "The server sent an empty answer where data was expected.", code="invalid_response"
            )
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError) as exc:
            raise BackendError(
                "The server sent an answer that is not JSON. Check that the server address points "
                "to the Proctor Uploader service.",
                status=response.status,
                code="invalid_response",
                title="Unexpected server response",
            ) from exc


def _segment(value: str) -> str:
    """Quote an id for use as one URL path segment, so an odd id can never change the path."""
    return quote(value, safe="")
