"""Errors in the user's language.

The Qt-free layers (`desktop.errors`, the API client, the engine) write English titles and messages,
often with specifics such as the server address. The UI shows the title translated, and the message
translated when it is a known fixed text, or one of the frames of `desktop.error_frames` filled in
with specifics: then the frame is translated and the specifics (the server's own words among them)
are kept as they are. For any other message with specifics in another language than English,
it shows a translated general explanation chosen by the title, so a Korean proctor never reads an
English sentence of ours in a Korean window (the English original stays in the log).
"""

from __future__ import annotations

import functools
import re
import string

from PySide6.QtCore import QCoreApplication

from desktop.error_frames import frame_parts, frames
from desktop.errors import QT_TRANSLATE_NOOP
from desktop.ui.text import i18n

# Title -> general explanation. Titles match the English ones in desktop/errors.py, the API client
# and the engine; tests/ui/test_error_text.py checks every default title of desktop.errors is here.
_EXPLANATIONS: dict[str, str] = {
    QT_TRANSLATE_NOOP("errors", "Something went wrong"): QT_TRANSLATE_NOOP(
        "errors",
        "An unexpected problem occurred. Please try again; if it keeps happening, send the log "
        "file.",
    ),
    QT_TRANSLATE_NOOP("errors", "Sign-in needed"): QT_TRANSLATE_NOOP(
        "errors", "Your sign-in has expired or was refused. Please sign in again."
    ),
    QT_TRANSLATE_NOOP("errors", "Sign-in failed"): QT_TRANSLATE_NOOP(
        "errors", "The user name or password is not correct. Check them and try again."
    ),
    QT_TRANSLATE_NOOP("errors", "Account refused"): QT_TRANSLATE_NOOP(
        "errors", "The server refused this account. Ask your organisation's administrator."
    ),
    QT_TRANSLATE_NOOP("errors", "Too many sign-in attempts"): QT_TRANSLATE_NOOP(
        "errors",
        "Too many failed sign-in attempts. Please wait a few minutes, then try again.",
    ),
    QT_TRANSLATE_NOOP("errors", "Cannot remember your sign-in"): QT_TRANSLATE_NOOP(
        "errors",
        "No secure password store (keyring) is available on this computer, so your sign-in "
        "cannot be remembered. You can sign in for this session only.",
    ),
    QT_TRANSLATE_NOOP("errors", "Password store locked"): QT_TRANSLATE_NOOP(
        "errors",
        "The computer's password store is locked or refused access. Unlock it, or sign in for "
        "this session only.",
    ),
    QT_TRANSLATE_NOOP("errors", "Network problem"): QT_TRANSLATE_NOOP(
        "errors",
        "The server could not be reached. Check the network connection; uploads continue when it "
        "is back.",
    ),
    QT_TRANSLATE_NOOP("errors", "Server not answering"): QT_TRANSLATE_NOOP(
        "errors",
        "The server did not answer in time. Check the network connection; uploads continue when "
        "the server answers again.",
    ),
    QT_TRANSLATE_NOOP("errors", "Server not found"): QT_TRANSLATE_NOOP(
        "errors",
        "The server's name could not be found. Check the server address and the network "
        "connection.",
    ),
    QT_TRANSLATE_NOOP("errors", "Server not reachable"): QT_TRANSLATE_NOOP(
        "errors",
        "The server refused the connection: it may be down, or the address or port may be wrong.",
    ),
    QT_TRANSLATE_NOOP("errors", "Connection dropped"): QT_TRANSLATE_NOOP(
        "errors", "The connection to the server was interrupted. It will be tried again."
    ),
    QT_TRANSLATE_NOOP("errors", "Secure connection failed"): QT_TRANSLATE_NOOP(
        "errors",
        "The server's security certificate could not be verified. Check the server address; if "
        "your organisation uses its own certificate authority, set its CA bundle in Settings.",
    ),
    QT_TRANSLATE_NOOP("errors", "Server error"): QT_TRANSLATE_NOOP(
        "errors", "The server could not handle the request. It will be tried again."
    ),
    QT_TRANSLATE_NOOP("errors", "Request refused"): QT_TRANSLATE_NOOP(
        "errors", "The server refused the request. If this keeps happening, send the log file."
    ),
    QT_TRANSLATE_NOOP("errors", "Server address moved"): QT_TRANSLATE_NOOP(
        "errors",
        "The server redirected the request. Use the final server address (usually the https:// "
        "one).",
    ),
    QT_TRANSLATE_NOOP("errors", "Not a Proctor Uploader server"): QT_TRANSLATE_NOOP(
        "errors",
        "This server does not offer the Proctor Uploader service at this address. Check the "
        "server address.",
    ),
    QT_TRANSLATE_NOOP("errors", "Unexpected server response"): QT_TRANSLATE_NOOP(
        "errors", "The server sent an answer this app does not understand. It will be tried again."
    ),
    QT_TRANSLATE_NOOP("errors", "Upload not found on the server"): QT_TRANSLATE_NOOP(
        "errors",
        "The server no longer knows this upload. The file will be uploaded again from the start.",
    ),
    QT_TRANSLATE_NOOP("errors", "Upload link expired"): QT_TRANSLATE_NOOP(
        "errors", "An upload link expired before it was used; a new one is requested automatically."
    ),
    QT_TRANSLATE_NOOP("errors", "Storage error"): QT_TRANSLATE_NOOP(
        "errors", "The storage server refused a part of the upload. It will be tried again."
    ),
    QT_TRANSLATE_NOOP("errors", "Integrity check failed"): QT_TRANSLATE_NOOP(
        "errors",
        "The stored copy does not match the file on this computer, so the upload was not accepted.",
    ),
    QT_TRANSLATE_NOOP("errors", "Computer clock is wrong"): QT_TRANSLATE_NOOP(
        "errors",
        "This computer's date or time is wrong, so the storage server refused the upload. Set the "
        "clock automatically, then resume.",
    ),
    QT_TRANSLATE_NOOP("errors", "File changed"): QT_TRANSLATE_NOOP(
        "errors",
        "The recording was changed, moved or deleted after it was queued, so it was not uploaded. "
        "Check the file, then add it again.",
    ),
    QT_TRANSLATE_NOOP("errors", "File missing"): QT_TRANSLATE_NOOP(
        "errors", "The file no longer exists. It may have been moved or deleted."
    ),
    QT_TRANSLATE_NOOP("errors", "File unreadable"): QT_TRANSLATE_NOOP(
        "errors", "The file cannot be read. Check that it is not open in another program."
    ),
    QT_TRANSLATE_NOOP("errors", "Not a file"): QT_TRANSLATE_NOOP(
        "errors", "This is not a regular file, so it cannot be uploaded."
    ),
    QT_TRANSLATE_NOOP("errors", "Stopped"): QT_TRANSLATE_NOOP(
        "errors", "The work on this file was stopped."
    ),
    QT_TRANSLATE_NOOP("errors", "Cannot save upload progress"): QT_TRANSLATE_NOOP(
        "errors",
        "Upload progress cannot be saved on this computer (the disk may be full or read-only). "
        "Free some space, then resume.",
    ),
    QT_TRANSLATE_NOOP("errors", "Cannot create app folder"): QT_TRANSLATE_NOOP(
        "errors",
        "The app cannot create its folders on this computer. Check the disk space and permissions.",
    ),
    QT_TRANSLATE_NOOP("errors", "Cannot save settings"): QT_TRANSLATE_NOOP(
        "errors", "The settings could not be saved. Check the disk space and permissions."
    ),
    QT_TRANSLATE_NOOP("errors", "Cannot write the log"): QT_TRANSLATE_NOOP(
        "errors", "The log file cannot be written. The app keeps working without it."
    ),
    QT_TRANSLATE_NOOP("errors", "Invalid server address"): QT_TRANSLATE_NOOP(
        "errors",
        "Enter the server address as given by your organisation, e.g. https://uploads.example.edu.",
    ),
    QT_TRANSLATE_NOOP("errors", "Insecure server address"): QT_TRANSLATE_NOOP(
        "errors",
        "The server address must start with https:// so your password and recordings are "
        "protected. Plain http:// is only allowed for a server on this computer.",
    ),
    QT_TRANSLATE_NOOP("errors", "Recording changed"): QT_TRANSLATE_NOOP(
        "errors",
        "The recording changed while it was being sent (did the recorder pause and start "
        "again?). Retry it once the recording has ended.",
    ),
    QT_TRANSLATE_NOOP("errors", "Recording gone"): QT_TRANSLATE_NOOP(
        "errors",
        "The recording was moved or deleted while it was being sent. Check the file, then add it "
        "again.",
    ),
    QT_TRANSLATE_NOOP("errors", "Recording replaced"): QT_TRANSLATE_NOOP(
        "errors",
        "The recording was replaced by another file while it was being sent. Check the file, then "
        "retry it.",
    ),
    QT_TRANSLATE_NOOP("errors", "Recording shortened"): QT_TRANSLATE_NOOP(
        "errors",
        "The recording became shorter while it was being sent. Check the file, then retry it.",
    ),
    QT_TRANSLATE_NOOP("errors", "Recording too large"): QT_TRANSLATE_NOOP(
        "errors",
        "The recording grew beyond what one upload can hold. Ask your IT department to raise the "
        "part size.",
    ),
    QT_TRANSLATE_NOOP("errors", "Insecure storage address"): QT_TRANSLATE_NOOP(
        "errors",
        "The server asked for the recording to be sent unencrypted (http://) to storage on "
        "another computer, so nothing was sent. Ask your IT department to serve storage over "
        "https://.",
    ),
    QT_TRANSLATE_NOOP("errors", "Invalid setting"): QT_TRANSLATE_NOOP(
        "errors", "A setting has an invalid value."
    ),
    QT_TRANSLATE_NOOP("errors", "Already running"): QT_TRANSLATE_NOOP(
        "errors",
        "Another Proctor Uploader (the app or a command) is already uploading on this computer. "
        "Let it finish, or close it, then try again.",
    ),
    QT_TRANSLATE_NOOP("errors", "Restarted from the beginning"): QT_TRANSLATE_NOOP(
        "errors",
        "The server no longer had this upload, so the file is being sent again from the start.",
    ),
    QT_TRANSLATE_NOOP("errors", "Verification failed"): QT_TRANSLATE_NOOP(
        "errors",
        "The stored object does not match the file on this computer, so the upload is not "
        "trusted. Retry it.",
    ),
    QT_TRANSLATE_NOOP("errors", "Upload links refused"): QT_TRANSLATE_NOOP(
        "errors",
        "Storage keeps refusing freshly signed upload links. Check the computer's clock and the "
        "server's storage settings.",
    ),
    QT_TRANSLATE_NOOP("errors", "Export failed"): QT_TRANSLATE_NOOP(
        "errors", "The file could not be written. Check the folder and the disk space."
    ),
    QT_TRANSLATE_NOOP("errors", "Trusted keys unreadable"): QT_TRANSLATE_NOOP(
        "errors",
        "The server keys trusted for checking receipts cannot be read. Receipts are not checked "
        "until the file is restored or removed.",
    ),
    QT_TRANSLATE_NOOP("errors", "Trusted keys not saved"): QT_TRANSLATE_NOOP(
        "errors",
        "The server keys trusted for checking receipts could not be saved. Check the disk space "
        "and permissions.",
    ),
}


def known_titles() -> frozenset[str]:
    """The English titles that have a translated explanation."""
    return frozenset(_EXPLANATIONS)


@functools.cache
def _frame_patterns(*, parts: bool = False) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each frame (or part) with a pattern matching a text made from it, capturing its values."""
    found = []
    for frame in frame_parts() if parts else frames():
        pattern = ""
        for literal, field, _, _ in string.Formatter().parse(frame):
            pattern += re.escape(literal)
            if field is not None:
                pattern += f"(?P<{field}>.+?)"
        found.append((frame, re.compile(pattern, re.DOTALL)))
    # The frame with the most fixed words first: "(HTTP {status})" before "({detail})".
    found.sort(key=lambda item: -len(re.sub(r"\{\w+\}", "", item[0])))
    return tuple(found)


def _framed_text(message: str, *, parts: bool = False) -> str | None:
    """`message` in the current language when it was made from a frame, else None.

    The values filled into the frame (a server's own message, a status, an address) are kept
    exactly as they were: only our words around them are translated.
    """
    for frame, pattern in _frame_patterns(parts=parts):
        found = pattern.fullmatch(message)
        if found is not None:
            # A value may be a part ("the server at {server}"): said in the language too.
            values = {
                name: _framed_text(value, parts=True) or value
                for name, value in found.groupdict().items()
            }
            return QCoreApplication.translate("errors", frame).format(**values)
    return None


def error_text(title: str | None, message: str | None) -> tuple[str, str]:
    """The (title, message) to show for an error, in the current language.

    Args:
        title: English title from the error or the job snapshot.
        message: English message from the error or the job snapshot.
    """
    title = title or "Something went wrong"
    message = message or ""
    shown_title = QCoreApplication.translate("errors", title)
    shown_message = QCoreApplication.translate("errors", message) if message else ""
    if i18n.current_language() != "en" and message and shown_message == message:
        shown_message = _framed_text(message) or message
    if i18n.current_language() != "en" and (not message or shown_message == message):
        explanation = _EXPLANATIONS.get(title)
        if explanation is not None:
            shown_message = QCoreApplication.translate("errors", explanation)
    elif not message and title in _EXPLANATIONS:
        shown_message = _EXPLANATIONS[title]
    return shown_title, shown_message
