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


# Messages that carry specifics the app cannot know in advance (the server's own words, a status, a
# wait), in English with {placeholders}: the one home of these texts. The API client and the
# engine fill them in and the CLI prints them as they are; the app finds the frame a message was
# made from, looks it up in its catalogue (context "errors") and fills the same values into the
# translation. So a Korean proctor reads the frame in Korean, while free text from the backend or
# storage stays exactly as the server wrote it: it is not ours to translate, and IT needs it.
_FRAMES: list[str] = []
_PARTS: list[str] = []


def _frame(template: str) -> str:
    _FRAMES.append(template)
    return template


def _part(template: str) -> str:
    # Only ever a value inside a frame, never a whole message: kept apart, so that a whole message
    # is never taken for one ("The server at {server}" would match any sentence naming a server).
    _PARTS.append(template)
    return template


SIGN_IN_REFUSED = _frame(
    QT_TRANSLATE_NOOP(
        "errors", "The user name or password is not correct. Check them and try again."
    )
)
SIGN_INS_PAUSED = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "Too many failed sign-in attempts; the server is refusing new ones for a while.",
    )
)
SIGN_INS_PAUSED_FOR = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "Too many failed sign-in attempts; the server is refusing new ones for a while. Try "
        "again in about {minutes} minute(s).",
    )
)
ACCOUNT_REFUSED = _frame(
    QT_TRANSLATE_NOOP(
        "errors", "The server refused this account. Ask your organisation's administrator."
    )
)
ACCOUNT_REFUSED_SAYING = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "The server refused this account ({detail}). Ask your organisation's administrator.",
    )
)
SIGN_IN_ENDED = _frame(
    QT_TRANSLATE_NOOP(
        "errors", "Your sign-in has expired or was ended elsewhere. Please sign in again."
    )
)
REDIRECTED = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "The server redirected the request. Use the final server address (usually the https:// "
        "one) in the sign-in settings.",
    )
)
REDIRECTED_TO = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "The server redirected the request to {target}. Use the final server address (usually "
        "the https:// one) in the sign-in settings.",
    )
)
NOT_OUR_SERVICE = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "This server does not offer the Proctor Uploader service at this address (404). Check "
        "the server address.",
    )
)
SERVER_UNAVAILABLE = _frame(
    QT_TRANSLATE_NOOP(
        "errors", "The server or its storage is temporarily unavailable. It will be tried again."
    )
)
SERVER_UNAVAILABLE_SAYING = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "The server or its storage is temporarily unavailable ({detail}). It will be tried again.",
    )
)
SERVER_BUSY = _frame(
    QT_TRANSLATE_NOOP("errors", "The server is busy. It will be tried again shortly.")
)
SERVER_BUSY_SAYING = _frame(
    QT_TRANSLATE_NOOP("errors", "The server is busy ({detail}). It will be tried again shortly.")
)
SERVER_PROBLEM = _frame(
    QT_TRANSLATE_NOOP("errors", "The server ran into a problem. It will be tried again.")
)
SERVER_PROBLEM_SAYING = _frame(
    QT_TRANSLATE_NOOP("errors", "The server ran into a problem ({detail}). It will be tried again.")
)
REQUEST_REFUSED_SAYING = _frame(
    QT_TRANSLATE_NOOP("errors", "The server refused the request ({detail}).")
)
REQUEST_REFUSED_STATUS = _frame(
    QT_TRANSLATE_NOOP("errors", "The server refused the request (HTTP {status}).")
)
PART_REFUSED = _frame(QT_TRANSLATE_NOOP("errors", "The storage server refused a part ({answer})."))
PART_DAMAGED = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "Storage received different bytes than were read from the file; the part is sent again.",
    )
)
PART_CHECKSUM_DIFFERS = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "Storage acknowledged a part with a checksum that does not match the file; it is sent "
        "again.",
    )
)
STORAGE_CONNECTION_FAILED = _frame(
    QT_TRANSLATE_NOOP("errors", "The connection to the storage server failed ({name}); retrying.")
)
STORED_OBJECT_DIFFERS = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "Storage reports {stored_size} bytes with checksum {stored}, but the file has {size} "
        "bytes with checksum {proof}. The upload is not trusted; retry it.",
    )
)

# Which server failed, as the frames below name it, mid-sentence ({where}) or first ({Where}); the
# app translates these parts too, inside the frame around them.
SERVER_AT = _part(QT_TRANSLATE_NOOP("errors", "the server at {server}"))
SERVER_ANY = _part(QT_TRANSLATE_NOOP("errors", "the server"))
SERVER_AT_START = _part(QT_TRANSLATE_NOOP("errors", "The server at {server}"))
SERVER_ANY_START = _part(QT_TRANSLATE_NOOP("errors", "The server"))
CA_BUNDLE_UNREADABLE = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "The CA bundle file set in Settings cannot be read. Check the path, or clear it to use "
        "the system's certificates.",
    )
)
PROXY_FAILED = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "The proxy server refused or dropped the connection to {where}. Check the proxy settings "
        "(HTTPS_PROXY) or ask IT.",
    )
)
NO_ANSWER = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "{Where} did not answer in time. Check the network connection; the upload continues when "
        "the server answers again.",
    )
)
ADDRESS_INVALID = _frame(
    QT_TRANSLATE_NOOP("errors", "The address of {where} is not valid. Check the server address.")
)
ANSWER_BROKE_OFF = _frame(
    QT_TRANSLATE_NOOP(
        "errors", "The connection to {where} broke off ({name}). It will be tried again."
    )
)
CANNOT_TALK = _frame(QT_TRANSLATE_NOOP("errors", "Could not talk to {where}: {reason}."))
CERTIFICATE_EXPIRED = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "The security certificate of {where} has expired. Ask the server's administrator to "
        "renew it.",
    )
)
CERTIFICATE_OTHER_NAME = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "The security certificate of {where} is for a different name. Check the server address "
        "(use the exact name your organisation gave you).",
    )
)
CERTIFICATE_UNTRUSTED = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "The security certificate of {where} is not issued by an authority this computer "
        "trusts. If your organisation uses its own certificate authority, set its CA bundle in "
        "Settings.",
    )
)
NOT_HTTPS = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "{Where} does not speak https on this port. Check the address (http:// vs https:// and "
        "the port).",
    )
)
NO_SECURE_CONNECTION = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "A secure connection to {where} could not be established. Check the server address; if "
        "your organisation uses its own certificate authority, set its CA bundle in Settings.",
    )
)
NAME_NOT_FOUND = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "The name of {where} could not be found. Check the server address and the network "
        "connection.",
    )
)
CONNECTION_REFUSED = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "{Where} refused the connection: it may be down or the address or port may be wrong. "
        "Uploads continue when it is reachable.",
    )
)
CONNECTION_INTERRUPTED = _frame(
    QT_TRANSLATE_NOOP(
        "errors", "The connection to {where} was interrupted. It will be tried again."
    )
)
UNREACHABLE = _frame(
    QT_TRANSLATE_NOOP(
        "errors",
        "{Where} could not be reached. Check the network connection; uploads continue when it is "
        "back.",
    )
)


def frames() -> tuple[str, ...]:
    """Every message template above, for the app to translate and its test to check."""
    return tuple(_FRAMES)


def frame_parts() -> tuple[str, ...]:
    """Every template above that is only a value inside a frame (which server failed)."""
    return tuple(_PARTS)


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
