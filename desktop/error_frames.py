"""The messages that carry specifics, as frames: the one home of these texts.

A failure's message often says something the app cannot know in advance: the server's own words, a
status, which server, a wait, sizes and checksums. The API client and the engine build such a
message by filling in one of the frames below (English, with {placeholders}); the CLI prints it as
it is. The app finds the frame a message was made from, looks it up in its catalogue (context
"errors") and fills the same values into the translation, so a Korean proctor reads the frame in
Korean, while free text from the backend, storage or the system stays exactly as it was written:
it is not ours to translate, and IT needs it verbatim.
"""

from __future__ import annotations

from desktop.errors import QT_TRANSLATE_NOOP

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
