"""The one error hierarchy of Proctor Uploader.

Every error the engine, the CLI or the app can show a proctor is an :class:`UploaderError`. Each one
carries a short ``title`` (a row status, a dialog title), a ``message`` that says what happened *and
what to do*, and ``retryable``, which tells the engine whether trying again later can help.
Transport and library exceptions are converted into these at the boundary
(``desktop.api.client.convert_http_errors``, the keyring adapter in ``desktop.auth.credentials``),
so nothing above that boundary ever sees a transport or ``keyring`` exception.

Subclasses give sensible default titles and messages, so ``raise NetworkError()`` is already human;
pass a ``message`` when you know more.
"""

from __future__ import annotations

__all__ = [
    "QT_TRANSLATE_NOOP",
    "AuthError",
    "BackendError",
    "ClockSkewError",
    "ConfigError",
    "CredentialStoreError",
    "DataChangedError",
    "FileInUseError",
    "InsecureServerError",
    "InsecureStorageError",
    "InvalidServerUrlError",
    "NetworkError",
    "StateStoreError",
    "TlsError",
    "TooManyAttemptsError",
    "UploadExpiredError",
    "UploadNotFoundError",
    "UploaderError",
]


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:  # the name lupdate looks for
    """Mark `source` for translation in `context` (lupdate extracts it); returns it unchanged.

    The Qt-free layers write English and mark with this the fixed texts the app shows translated
    (looked up with `QCoreApplication.translate(context, source)`). PySide6's own
    QT_TRANSLATE_NOOP is typed as returning `object`, and would bring Qt in; this one keeps `str`.
    """
    del context
    return source


class UploaderError(Exception):
    """Base of every error a proctor may see.

    Attributes:
        title: A few words, suitable for a table row or a dialog title.
        message: One or two sentences: what happened and what to do about it.
        retryable: True when the same operation may succeed later without the user changing
            anything.
    """

    default_title = "Something went wrong"
    default_message = (
        "An unexpected problem occurred. Please try again; if it keeps happening, send the log "
        "file."
    )
    default_retryable = False

    def __init__(
        self, message: str | None = None, *, title: str | None = None, retryable: bool | None = None
    ) -> None:
        """Create the error; every argument falls back to the class default."""
        self.message: str = message if message is not None else self.default_message
        self.title: str = title if title is not None else self.default_title
        self.retryable: bool = retryable if retryable is not None else self.default_retryable
        super().__init__(self.message)

    def __str__(self) -> str:
        """The human message, so ``str(err)`` is always safe to show."""
        return self.message

    def __repr__(self) -> str:
        """A debugging representation with the class, title and message."""
        return f"{type(self).__name__}(title={self.title!r}, message={self.message!r})"


class AuthError(UploaderError):
    """Sign-in was refused or has ended: the user must sign in again."""

    default_title = "Sign-in needed"
    default_message = "Your sign-in has expired or was refused. Please sign in again."


class TooManyAttemptsError(AuthError):
    """The backend refuses sign-in attempts for a while (HTTP 429 from login).

    Attributes:
        retry_after: Seconds the server asked us to wait, when it said so.
    """

    default_title = "Too many sign-in attempts"
    default_message = "Too many failed sign-in attempts. Please wait a few minutes, then try again."

    def __init__(
        self,
        message: str | None = None,
        *,
        title: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Create the error, remembering the server's Retry-After hint."""
        super().__init__(message, title=title, retryable=retryable)
        self.retry_after = retry_after


class CredentialStoreError(UploaderError):
    """The OS keyring cannot be used; we never fall back to storing secrets in clear."""

    default_title = "Cannot remember your sign-in"
    default_message = (
        "No secure password store (keyring) is available on this computer, so your sign-in cannot "
        "be remembered. You can sign in for this session only; you will be asked again next time."
    )


class NetworkError(UploaderError):
    """The server could not be reached: no network, DNS failure, connection reset, timeout."""

    default_title = "Network problem"
    default_message = (
        "The server could not be reached. Check the network connection; "
        "uploads continue when it is back."
    )
    default_retryable = True


class TlsError(NetworkError):
    """The server's certificate could not be verified; retrying will not help."""

    default_title = "Secure connection failed"
    default_message = (
        "The server's security certificate could not be verified. Check the server address; if "
        "your organisation uses its own certificate authority, ask IT for the CA bundle to set in "
        "Settings."
    )
    default_retryable = False


class BackendError(UploaderError):
    """The backend answered with an error status.

    Attributes:
        status: The HTTP status code (0 when the response was not an HTTP error, e.g. unreadable
            JSON).
        code: The backend's machine-readable error code, e.g. ``"upload_not_found"``.
        retry_after: Seconds the server asked us to wait (429/503 with Retry-After), when given.
    """

    default_title = "Server error"
    default_message = "The server could not handle the request. Please try again later."

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int = 0,
        code: str = "",
        title: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Create the error from the backend's status and error code."""
        super().__init__(message, title=title, retryable=retryable)
        self.status = status
        self.code = code
        self.retry_after = retry_after

    def __repr__(self) -> str:
        """A debugging representation including the status and code."""
        return (
            f"{type(self).__name__}(status={self.status}, code={self.code!r}, "
            f"title={self.title!r}, message={self.message!r})"
        )


class UploadNotFoundError(BackendError):
    """The backend does not know this upload id (never created, aborted, or someone else's)."""

    default_title = "Upload not found on the server"
    default_message = (
        "The server no longer knows this upload (it may have been cancelled or cleaned up). "
        "The file will be uploaded again from the start."
    )


class DataChangedError(UploaderError):
    """The source file changed, disappeared or became unreadable before or during its upload."""

    default_title = "File changed"
    default_message = (
        "The recording was changed, moved or deleted after it was queued, so it was not uploaded. "
        "Check the file, then add it again."
    )


class FileInUseError(UploaderError):
    """Another program (a recorder, on Windows) holds the source file so that it cannot be read.

    The file is not changed, only busy: the engine tries again later.
    """

    # The title proctors already know for a file that cannot be read; its explanation in the app
    # says to check that no other program has the file open.
    default_title = "File unreadable"
    default_message = (
        "The recording is open in another program that does not let others read it. The upload "
        "goes on once that program closes it."
    )
    default_retryable = True


class UploadExpiredError(UploaderError):
    """A presigned URL expired before it was used; the engine re-signs and tries again."""

    default_title = "Upload link expired"
    default_message = (
        "An upload link expired before it was used; a new one is requested automatically."
    )
    default_retryable = True


class ClockSkewError(UploaderError):
    """Storage refused a request because this computer's clock is wrong (RequestTimeTooSkewed)."""

    default_title = "Computer clock is wrong"
    default_message = (
        "The storage server refused the upload because this computer's date or time is wrong. "
        "Set the clock automatically (Date & Time settings), then resume the upload."
    )


class StateStoreError(UploaderError):
    """The local queue database or an app folder cannot be written (read-only, disk full)."""

    default_title = "Cannot save upload progress"
    default_message = (
        "Upload progress cannot be saved on this computer (the disk may be full or read-only). "
        "Uploads are paused; free some space, then resume."
    )


class InvalidServerUrlError(UploaderError):
    """The server address is not a usable URL."""

    default_title = "Invalid server address"
    default_message = (
        "Enter the server address as given by your organisation, e.g. https://uploads.example.edu."
    )


class InsecureServerError(InvalidServerUrlError):
    """``http://`` to a server that is not this computer: passwords would travel in clear."""

    default_title = "Insecure server address"
    default_message = (
        "The server address must start with https:// so your password and recordings are "
        "protected. Plain http:// is only allowed for a server on this computer."
    )


class InsecureStorageError(UploaderError):
    """The server handed out ``http://`` upload links to storage that is not this computer.

    The recording would travel unencrypted, and with it the link (a credential until it expires).
    The same explicit opt-in as for the server address (``allow_insecure_http``) allows it.
    """

    default_title = "Insecure storage address"
    default_message = (
        "The server asked for the recording to be sent unencrypted (http://) to storage on another "
        "computer, so nothing was sent. Ask your IT department to serve storage over https://."
    )


class ConfigError(UploaderError):
    """A setting has an invalid value.

    Attributes:
        key: The setting's name (its TOML key), so a settings dialog can point at the field.
    """

    default_title = "Invalid setting"
    default_message = "A setting has an invalid value."

    def __init__(
        self, message: str | None = None, *, key: str = "", title: str | None = None
    ) -> None:
        """Create the error for the setting ``key``."""
        super().__init__(message, title=title)
        self.key = key


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (the backend's and storage's "busy, try later"), or
    None when absent or an HTTP date (rare from both; the caller's backoff covers it)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
