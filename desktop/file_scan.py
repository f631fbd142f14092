"""Expand what the proctor dropped, picked or named (files and folders) into files to queue.

The one rule for both front ends: the app runs it on a worker thread (it walks folders and stats
files), the CLI's `upload` before it queues anything. No Qt here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG

from desktop.recordings import TEMPORARY_PREFIXES, is_recording

#: A folder holding more files than this is almost certainly the wrong folder (a whole disk).
MAX_FILES = 20_000


@dataclass(frozen=True, slots=True)
class FoundFile:
    """A file found in the selection.

    Attributes:
        path: Absolute path.
        size: Size in bytes.
    """

    path: Path
    size: int


@dataclass(slots=True)
class Selection:
    """What a drop or a file dialog selected, sorted out.

    Attributes:
        recordings: Video and audio files, in folder order.
        others: Anything else (documents, images...): queued only if the user agrees.
        skipped: Paths that could not be read, or hidden/temporary files inside folders.
        truncated: More than `MAX_FILES` files were found; the rest were ignored.
    """

    recordings: list[FoundFile] = field(default_factory=list)
    others: list[FoundFile] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    truncated: bool = False

    @property
    def total_size(self) -> int:
        """Bytes of the recordings."""
        return sum(f.size for f in self.recordings)


def collect_files(paths: Iterable[Path], *, limit: int | None = MAX_FILES) -> Selection:
    """Sort `paths` into recordings and other files, expanding folders recursively.

    Hidden files and folders, temporary files and symlinked folders inside a dropped folder are
    skipped; a file the user picked explicitly is always considered. A path named twice (or
    through a link) counts once. Beyond `limit` files (None: no limit) the rest is ignored.
    """
    selection = Selection()
    seen: set[Path] = set()
    count = 0
    cap = limit if limit is not None else float("inf")

    def consider(path: Path, *, explicit: bool) -> None:
        nonlocal count
        key = path.resolve()
        if key in seen:
            return
        seen.add(key)
        try:
            stat = path.stat()
        except OSError:
            selection.skipped.append(path)
            return
        if not S_ISREG(stat.st_mode):
            selection.skipped.append(path)
            return
        count += 1
        found = FoundFile(path, stat.st_size)
        if is_recording(path):
            selection.recordings.append(found)
        elif explicit or not path.name.startswith(TEMPORARY_PREFIXES):
            selection.others.append(found)
        else:
            selection.skipped.append(path)

    for raw in paths:
        path = Path(raw).expanduser().absolute()
        if path.is_dir():
            for folder, dirs, files in os.walk(path, onerror=lambda _exc: None):
                dirs[:] = sorted(
                    d for d in dirs if not d.startswith(".") and not Path(folder, d).is_symlink()
                )
                for name in sorted(files):
                    if count >= cap:
                        selection.truncated = True
                        return selection
                    consider(Path(folder, name), explicit=False)
        elif count >= cap:
            selection.truncated = True
            return selection
        else:
            consider(path, explicit=True)
    return selection
