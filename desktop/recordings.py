"""What a recording is: its kinds, the kind a file name suggests, and which files count.

The one home of this vocabulary for the engine, the settings, the CLI and the GUI, so a file the
CLI uploads as a webcam recording is a webcam recording in the app too. Qt-free.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

#: The kinds of recording an upload can be, in the order the app lists them.
KINDS: Final = ("webcam", "screen", "other")

#: A recording that has not changed for this many seconds has ended, even if its recorder never
#: closed it: the default of the settings, the CLI's --settle and the engine alike.
SETTLE_SECONDS: Final = 10
#: The kind of a recording whose name says nothing.
DEFAULT_KIND: Final = "other"

#: Extensions of the files proctoring tools record (video, plus audio-only captures).
RECORDING_EXTENSIONS = frozenset(
    {
        ".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi", ".wmv", ".flv", ".ts", ".mts",
        ".m2ts", ".mpg", ".mpeg", ".3gp", ".ogv",
        ".m4a", ".mp3", ".wav", ".ogg", ".opus", ".aac", ".flac",
    }
)  # fmt: skip

# Names that recorders and browsers use while a file is still being written, or that the OS owns.
TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download")
TEMPORARY_PREFIXES = (".", "~$", "~")

_KIND_HINTS = (
    ("webcam", re.compile(r"web[-_ ]?cam|camera|\bcam\b|face|video[-_ ]?feed", re.IGNORECASE)),
    ("screen", re.compile(r"screen|display|desktop|monitor|capture", re.IGNORECASE)),
)


def guess_kind(name: str) -> str | None:
    """`webcam` or `screen` when the file name says so (`*webcam*`, `Screen*`), else None."""
    for kind, pattern in _KIND_HINTS:
        if pattern.search(name):
            return kind
    return None


def kind_for(name: str, chosen: str | None = None) -> str:
    """The kind a file is uploaded as: the one chosen for it, else what its name says, else other.

    The app's "Detect from file names" and the CLI without ``--kind`` both use this, so the same
    file gets the same kind (and so the same retention rule) whichever way it was uploaded.
    """
    return chosen or guess_kind(name) or DEFAULT_KIND


def is_hidden_or_temporary(name: str) -> bool:
    """Whether `name` is a hidden file, or one a program is still writing or owns."""
    return name.startswith(TEMPORARY_PREFIXES) or name.lower().endswith(TEMPORARY_SUFFIXES)


def is_recording(path: Path) -> bool:
    """Whether `path` names a recording (by extension), not a hidden or temporary file."""
    if is_hidden_or_temporary(path.name):
        return False
    return path.suffix.lower() in RECORDING_EXTENSIONS
