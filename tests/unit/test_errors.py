"""The error hierarchy: human defaults, and each class retries (or not) as the engine expects."""

from __future__ import annotations

import pytest

from desktop import errors
from desktop.errors import (
    AuthError,
    BackendError,
    ClockSkewError,
    ConfigError,
    CredentialStoreError,
    DataChangedError,
    FileInUseError,
    InsecureServerError,
    InvalidServerUrlError,
    NetworkError,
    StateStoreError,
    TlsError,
    TooManyAttemptsError,
    UploaderError,
    UploadExpiredError,
    UploadNotFoundError,
)

RETRYABLE = {NetworkError, UploadExpiredError, FileInUseError}
PARENTS = {
    AuthError: UploaderError,
    TooManyAttemptsError: AuthError,
    CredentialStoreError: UploaderError,
    NetworkError: UploaderError,
    TlsError: NetworkError,
    BackendError: UploaderError,
    UploadNotFoundError: BackendError,
    DataChangedError: UploaderError,
    FileInUseError: UploaderError,
    UploadExpiredError: UploaderError,
    ClockSkewError: UploaderError,
    StateStoreError: UploaderError,
    InvalidServerUrlError: UploaderError,
    InsecureServerError: InvalidServerUrlError,
    ConfigError: UploaderError,
}


#: Every error class the module exports (it also exports the translation marker, not an error).
_ERROR_CLASSES = [
    obj
    for obj in (getattr(errors, name) for name in errors.__all__)
    if isinstance(obj, type) and issubclass(obj, BaseException)
]


@pytest.mark.parametrize("cls", _ERROR_CLASSES)
def test_every_error_has_a_human_default(cls: type[UploaderError]) -> None:
    err = cls()
    assert err.title
    assert err.title[0].isupper()
    assert err.message.endswith(".")
    assert len(err.message.split()) >= 5  # a sentence, not a code
    assert str(err) == err.message
    assert err.retryable is (cls in RETRYABLE)
    assert cls.__name__ in repr(err)


@pytest.mark.parametrize(("cls", "parent"), PARENTS.items())
def test_the_hierarchy(cls: type[UploaderError], parent: type[UploaderError]) -> None:
    assert cls.__mro__[1] is parent


def test_arguments_override_the_defaults() -> None:
    err = NetworkError("Proxy said no.", title="Proxy", retryable=False)
    assert (err.message, err.title, err.retryable) == ("Proxy said no.", "Proxy", False)


def test_backend_error_carries_status_code_and_retry_after() -> None:
    err = BackendError(
        "Busy.", status=503, code="storage_unavailable", retryable=True, retry_after=5
    )
    assert (err.status, err.code, err.retryable, err.retry_after) == (
        503,
        "storage_unavailable",
        True,
        5,
    )
    assert "status=503" in repr(err)
    assert "storage_unavailable" in repr(err)
    assert UploadNotFoundError(status=404, code="not_found").status == 404


def test_too_many_attempts_and_config_errors_keep_their_details() -> None:
    assert TooManyAttemptsError(retry_after=60).retry_after == 60
    assert TooManyAttemptsError().retry_after is None
    assert ConfigError("Bad.", key="parallel_files").key == "parallel_files"
