"""Object keys: `recordings/{kind}/{YYYY}/{MM}/{DD}/{exam_id}/{username}/{filename}`.

Filenames come from proctors' machines (any OS, any language). A name that is dangerous as given
(empty, too long, control characters, a path, `..`) is refused; one merely awkward in a URL or
on another OS is cleaned up, keeping letters of every script.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from pathlib import PurePosixPath

KINDS = ("webcam", "screen", "other")
MAX_FILENAME_BYTES = 255
EXAM_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"

_EXAM_ID_RE = re.compile(EXAM_ID_PATTERN)
_USERNAME_RE = re.compile(USERNAME_PATTERN)
# Characters S3 documents as "to avoid" in keys, plus Windows-reserved ones.
_AWKWARD = re.compile(r'[\\{}^%`\[\]"<>~#|?*:;&$@=+,\']')
_SPACES = re.compile(r"\s+")
_REPEATS = re.compile(r"_{2,}")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
# Look-alikes of / and \ that NFKC does not fold (Unicode TR39 confusables).
_SLASH_LOOKALIKES = frozenset("\u2044\u2215\u29f8\u2571\u2216\u29f5\u29f9\ufe68")


# The zero-width joiners are format characters that names need: ZWNJ is part of how Persian,
# Kurdish and several Indic scripts are spelled, ZWJ joins emoji sequences. Every other format
# character (bidi overrides, invisible separators) is refused.
JOINERS = frozenset("\u200c\u200d")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch not in JOINERS


def validate_filename(name: str) -> str:
    """Return `name` NFC-normalised if it is a plain file name.

    Raises:
        ValueError: Empty, over 255 UTF-8 bytes, control characters, absolute, or any path part.
    """
    if not name or not name.strip():
        raise ValueError("filename must not be empty")
    name = unicodedata.normalize("NFC", name)
    if len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
        raise ValueError(f"filename must be at most {MAX_FILENAME_BYTES} bytes in UTF-8")
    if any(_is_control(ch) for ch in name):
        raise ValueError("filename must not contain control characters")
    if name.startswith(("/", "\\")) or _WINDOWS_DRIVE.match(name):
        raise ValueError("filename must be a bare name, not an absolute path")
    if "/" in name or "\\" in name:
        raise ValueError("filename must be a bare name, not a path")
    if name.strip() in (".", ".."):
        raise ValueError("filename must not be '.' or '..'")
    return name


def _fold_lookalikes(name: str) -> str:
    """Fold stand-ins for ASCII punctuation (fullwidth ／ ． ＼, the leader ‥, slash look-alikes)
    into the ASCII they imitate, so the rules for ASCII apply to them too.

    Otherwise `..／bob／x` passes as one name, reads as a path in a listing, and becomes one for
    any tool that applies NFKC.
    """
    out = []
    for ch in name:
        folded = "/" if ch in _SLASH_LOOKALIKES else unicodedata.normalize("NFKC", ch)
        if folded != ch and folded.isascii() and not any(c.isalnum() for c in folded):
            out.append(folded)
        else:
            out.append(ch)
    return "".join(out)


def sanitise_filename(name: str) -> str:
    """The key-safe form of a validated filename: awkward characters become `_`, letters stay.

    Raises:
        ValueError: Nothing usable is left (e.g. the name was only punctuation).
    """
    name = validate_filename(name)
    cleaned = _fold_lookalikes(name).replace("/", "_")
    cleaned = _AWKWARD.sub("_", cleaned)
    cleaned = _SPACES.sub("_", cleaned)
    cleaned = _REPEATS.sub("_", cleaned)
    # No hidden files, no trailing dots or underscores (Windows strips trailing dots).
    cleaned = cleaned.lstrip("._").rstrip("._")
    if not cleaned or cleaned in (".", ".."):
        raise ValueError("filename has no usable characters")
    return cleaned


def validate_exam_id(exam_id: str) -> str:
    """Return `exam_id` if it is 1-128 characters of letters, digits, `.`, `_`, `-`.

    Raises:
        ValueError: Anything else (it becomes a key segment).
    """
    if not _EXAM_ID_RE.match(exam_id) or ".." in exam_id:
        raise ValueError(
            "exam_id must be 1-128 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return exam_id


def validate_username(username: str) -> str:
    """Return the lower-cased `username` if it is a valid login name.

    Raises:
        ValueError: Not 1-64 characters of lower-case letters, digits, `.`, `_`, `-`.
    """
    lowered = username.strip().lower()
    if not _USERNAME_RE.match(lowered) or ".." in lowered:
        raise ValueError(
            "username must be 1-64 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return lowered


def object_key(*, kind: str, exam_id: str, username: str, filename: str, when: datetime) -> str:
    """The key for one recording; `filename` must already be sanitised."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    return (
        f"recordings/{kind}/{when:%Y}/{when:%m}/{when:%d}/"
        f"{validate_exam_id(exam_id)}/{username}/{filename}"
    )


def candidate_keys(key: str, limit: int = 1000) -> Iterator[str]:
    """`key`, then `stem-2.ext`, `stem-3.ext`... : the names tried when a key is taken."""
    path = PurePosixPath(key)
    suffix = path.suffix if len(path.suffix) <= 16 else ""
    stem = path.name[: len(path.name) - len(suffix)] if suffix else path.name
    parent = str(path.parent)
    yield key
    for n in range(2, limit + 1):
        name = f"{stem}-{n}{suffix}"
        # Keep within the filename byte limit by trimming the stem, not the counter.
        while len(name.encode("utf-8")) > MAX_FILENAME_BYTES and stem:
            stem = stem[:-1]
            name = f"{stem}-{n}{suffix}"
        yield f"{parent}/{name}"
