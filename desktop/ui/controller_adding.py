"""Adding confirmed files to the engine (on the command lane) and telling the user how it went."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from desktop.engine.growth import DEFAULT_SETTLE, still_growing
from desktop.engine.queue import UploadQueue
from desktop.errors import UploaderError
from desktop.ui.messages import Level
from desktop.ui.text.errors import error_text
from desktop.ui.text.plurals import plurals

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class AddOutcome:
    """What happened to each file of an add request.

    Attributes:
        added_paths: Queued now.
        skipped_paths: Already in the queue, or uploaded and unchanged since (not added twice).
        failed: Each file that could not be queued, with the error's (title, message).
    """

    added_paths: list[str] = field(default_factory=list)
    skipped_paths: list[str] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def failed_paths(self) -> list[str]:
        """Paths of the files that could not be queued."""
        return [path for path, _, _ in self.failed]

    def notices(self) -> list[tuple[Level, str, str]]:
        """The notices to show (translated; call on the GUI thread)."""
        shown: list[tuple[Level, str, str]] = []
        if self.skipped_paths:
            names = ", ".join(Path(p).name for p in self.skipped_paths[:3])
            shown.append(
                (
                    Level.INFO,
                    plurals().files_already_queued(len(self.skipped_paths)),
                    QCoreApplication.translate("AddOutcome", "Not added twice: {names}").format(
                        names=names
                    ),
                )
            )
        if self.failed:
            path, title, message = self.failed[0]
            shown_title, shown_message = error_text(title, message)
            shown.append(
                (
                    Level.ERROR,
                    plurals().files_not_added(len(self.failed)),
                    f"{Path(path).name}: {shown_title}. {shown_message}",
                )
            )
        return shown


def _recently_written(path: Path, settle: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < settle
    except OSError:
        return False


def to_follow(paths: list[Path], settle: float, *, probe: bool) -> set[Path]:
    """The files to follow rather than upload as they are now.

    Args:
        paths: The files being added.
        settle: The settle time: only files written to within it can still be recording.
        probe: Follow only the recent files seen growing now (dropped or picked files: a file
            just copied is not a recording in progress). Without it every recent file is
            followed (a new file in the watched folder is one a recorder is writing).
    """
    recent = [p for p in paths if _recently_written(p, settle)]
    return still_growing(recent) if probe else set(recent)


def add_files(
    queue: UploadQueue,
    files: Iterable[tuple[Path, str]],
    exam_id: str,
    *,
    follow_settle: float | None = None,
    probe: bool = True,
) -> AddOutcome:
    """Queue each file with its kind; runs on the command lane (the engine fingerprints files).

    Args:
        queue: The engine.
        files: `(path, kind)` pairs.
        exam_id: The exam they belong to.
        follow_settle: Follow recordings still being written (see `to_follow`) until they end,
            with this settle time; None: upload every file as it is now.
        probe: See `to_follow`.
    """
    outcome = AddOutcome()
    files = list(files)
    following = (
        to_follow([Path(p) for p, _ in files], follow_settle, probe=probe)
        if follow_settle is not None
        else set()
    )
    for path, kind in files:
        follow = Path(path) in following
        try:
            # The engine's rule, the CLI's too: unfinished, or uploaded and unchanged since.
            if queue.duplicate_of(Path(path)) is not None:
                outcome.skipped_paths.append(str(path))
                continue
            queue.add(
                Path(path),
                exam_id=exam_id,
                kind=kind,
                follow=follow,
                settle=follow_settle or DEFAULT_SETTLE,
            )
        except UploaderError as exc:
            logger.warning("Could not add %s: %s", path, exc.title)
            outcome.failed.append((str(path), exc.title, exc.message))
            continue
        except (ValueError, OSError) as exc:
            logger.warning("Could not add %s: %s", path, exc)
            outcome.failed.append((str(path), "File unreadable", str(exc)))
            continue
        outcome.added_paths.append(str(path))
    logger.info(
        "Added %d file(s); %d already queued; %d failed",
        len(outcome.added_paths),
        len(outcome.skipped_paths),
        len(outcome.failed),
    )
    return outcome
