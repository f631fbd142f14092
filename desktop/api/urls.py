"""Checking and normalising the server address a proctor types (or an IT preset provides).

Kept apart from the HTTP client so ``desktop.config`` can validate a configured address without
importing the HTTP client.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

from desktop.errors import InsecureServerError, InsecureStorageError, InvalidServerUrlError

__all__ = ["API_PREFIX", "check_storage_url", "is_loopback_host", "validate_server_url"]

#: Every endpoint of the contract lives under this path (issue 2).
API_PREFIX = "/api/v1"


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this computer: ``localhost``, 127.0.0.0/8 or ``::1``."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def validate_server_url(url: str, *, allow_insecure_http: bool = False) -> str:
    """Check a server address and return it normalised.

    The result has a lower-case scheme and host, no trailing slash, no query or fragment, and no
    ``/api/v1`` suffix (the client adds it), so the same server always yields the same string: it
    keys the keyring entry. A path prefix is kept, for backends served under a reverse-proxy path. A
    bare host name gets ``https://``.

    Args:
        url: What the user typed, e.g. ``uploads.example.edu`` or ``https://uploads.example.edu/``.
        allow_insecure_http: Allow ``http://`` to a host that is not this computer (an explicit
            admin setting).

    Returns:
        The normalised address, e.g. ``https://uploads.example.edu``.

    Raises:
        InvalidServerUrlError: The address is empty or malformed, or uses another scheme.
        InsecureServerError: ``http://`` to a non-loopback host without ``allow_insecure_http``.
    """
    text = url.strip()
    if not text:
        raise InvalidServerUrlError("Enter the server address, e.g. https://uploads.example.edu.")
    if any(ch.isspace() for ch in text):
        raise InvalidServerUrlError(
            f"The server address {text!r} contains spaces. Check it and try again."
        )
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        raise InvalidServerUrlError(
            f"The server address {url.strip()!r} is not valid ({exc}). Check it and try again."
        ) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidServerUrlError(
            f"The server address must start with https:// (got {scheme}://). Check it and try "
            "again."
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidServerUrlError(
            f"The server address {url.strip()!r} has no host name. Enter it like "
            "https://uploads.example.edu."
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidServerUrlError(
            "Do not put a user name or password in the server address; enter them in the sign-in "
            "fields."
        )
    if parts.query or parts.fragment:
        raise InvalidServerUrlError(
            "The server address must not contain '?' or '#'. Enter only the address, e.g. "
            "https://uploads.example.edu."
        )
    if scheme == "http" and not allow_insecure_http and not is_loopback_host(host):
        raise InsecureServerError()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and (scheme, port) not in (("https", 443), ("http", 80)):
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    if path.endswith(API_PREFIX):
        path = path[: -len(API_PREFIX)]
    return urlunsplit((scheme, netloc, path, "", ""))


def check_storage_url(url: str, *, allow_insecure_http: bool = False) -> None:
    """Refuse an upload link that would send a recording unencrypted to another computer.

    The rule is the server address's: ``https://`` anywhere, ``http://`` only to this computer
    unless ``allow_insecure_http`` (the same admin setting) says otherwise. The link itself never
    appears in the error: until it expires it lets anyone write that part.

    Raises:
        InsecureStorageError: ``http://`` to another computer, or a scheme that is not http(s).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InsecureStorageError("The server sent an upload link that is not valid.") from None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme == "https" and host:
        return
    if scheme == "http" and host and (allow_insecure_http or is_loopback_host(host)):
        return
    raise InsecureStorageError(
        f"The server asked for the recording to be sent unencrypted ({scheme}://) to "
        f"{host or '?'}, another computer, so nothing was sent. Ask your IT department to serve "
        "storage over https://; only an administrator's setting (allow_insecure_http) allows this."
    )
