"""Server address validation: what proctors type, and what must be refused."""

from __future__ import annotations

import pytest

from desktop.api.urls import check_storage_url, is_loopback_host, validate_server_url
from desktop.errors import InsecureServerError, InsecureStorageError, InvalidServerUrlError


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("https://uploads.example.edu", "https://uploads.example.edu"),
        ("  https://Uploads.Example.EDU/  ", "https://uploads.example.edu"),
        ("uploads.example.edu", "https://uploads.example.edu"),
        ("HTTPS://uploads.example.edu:443/", "https://uploads.example.edu"),
        ("https://uploads.example.edu:8443", "https://uploads.example.edu:8443"),
        ("https://uploads.example.edu/api/v1", "https://uploads.example.edu"),
        ("https://uploads.example.edu/api/v1/", "https://uploads.example.edu"),
        ("https://example.edu/proctor/", "https://example.edu/proctor"),
        ("https://example.edu/proctor/api/v1", "https://example.edu/proctor"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://127.1.2.3", "http://127.1.2.3"),
        ("http://localhost:8000/", "http://localhost:8000"),
        ("http://LOCALHOST.", "http://localhost."),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("https://[2001:db8::1]", "https://[2001:db8::1]"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
    ],
)
def test_valid_addresses_are_normalised(typed: str, normalised: str) -> None:
    assert validate_server_url(typed) == normalised


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("", "Enter the server address"),
        ("   ", "Enter the server address"),
        ("https://uploads example.edu", "contains spaces"),
        ("ftp://uploads.example.edu", "must start with https://"),
        ("https://", "no host name"),
        ("https://:8443", "no host name"),
        ("https://uploads.example.edu:99999", "is not valid"),
        ("https://uploads.example.edu:port", "is not valid"),
        ("https://bob:pw@uploads.example.edu", "user name or password"),
        ("https://uploads.example.edu/?next=1", "must not contain"),
        ("https://uploads.example.edu/#top", "must not contain"),
    ],
)
def test_invalid_addresses_say_what_is_wrong(typed: str, hint: str) -> None:
    with pytest.raises(InvalidServerUrlError) as info:
        validate_server_url(typed)
    assert type(info.value) is InvalidServerUrlError
    assert hint in info.value.message


@pytest.mark.parametrize(
    "typed",
    ["http://uploads.example.edu", "http://10.0.0.5:8000", "http://localhost.example.edu"],
)
def test_plain_http_to_another_computer_is_refused(typed: str) -> None:
    with pytest.raises(InsecureServerError) as info:
        validate_server_url(typed)
    assert "https://" in info.value.message
    assert validate_server_url(typed, allow_insecure_http=True).startswith("http://")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LocalHost", True),
        ("app.localhost", True),
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("128.0.0.1", False),
        ("10.0.0.1", False),
        ("example.edu", False),
        ("localhost.example.edu", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


_SIGNED = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abcdef"


@pytest.mark.parametrize(
    "url",
    [
        "https://storage.example.edu/bucket/key" + _SIGNED,
        "http://127.0.0.1:9000/bucket/key" + _SIGNED,
        "http://localhost:9000/b/k",
        "http://[::1]:9000/b/k",
    ],
)
def test_storage_links_that_stay_private_are_accepted(url: str) -> None:
    check_storage_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://storage.example.invalid:9000/bucket/key" + _SIGNED,
        "http://10.0.0.5/bucket/key" + _SIGNED,
        "ftp://storage.example.edu/b/k",
        "https:///no-host",
        "not a url",
    ],
)
def test_storage_links_in_clear_to_another_computer_are_refused(url: str) -> None:
    with pytest.raises(InsecureStorageError) as info:
        check_storage_url(url)
    assert "X-Amz-Signature" not in info.value.message  # the link never reaches a message
    assert "/bucket/key" not in info.value.message


def test_the_admin_opt_in_allows_http_storage_too() -> None:
    check_storage_url("http://storage.example.invalid:9000/b/k" + _SIGNED, allow_insecure_http=True)
    with pytest.raises(InsecureStorageError):
        check_storage_url("ftp://storage.example.edu/b/k", allow_insecure_http=True)
