"""Adding files: picking or dropping them, asking for exam and kind, queueing them on the command
lane (the engine decides what is already queued), and telling the user how it went."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop.engine.growth import DEFAULT_SETTLE, still_growing
from desktop.engine.queue import UploadQueue
from desktop.errors import UploaderError
from desktop.file_scan import Selection, collect_files
from desktop.recordings import RECORDING_EXTENSIONS
from desktop.ui.control.base import ControllerParts
from desktop.ui.dialogs.add_files import AddFilesDialog
from desktop.ui.messages import Level
from desktop.ui.tasks import run_in_background
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


class FileDialogs:
    """The OS file pickers, as classmethods tests replace."""

    @classmethod
    def open_files(cls, parent: QWidget) -> list[str]:
        """Pick recordings (any file can be chosen with "All files")."""
        patterns = " ".join(f"*{ext}" for ext in sorted(RECORDING_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(
            parent,
            QCoreApplication.translate("AppController", "Add recordings"),
            "",
            QCoreApplication.translate(
                "AppController", "Recordings ({patterns});;All files (*)"
            ).format(patterns=patterns),
        )
        return list(files)

    @classmethod
    def open_folder(cls, parent: QWidget) -> str:
        """Pick a folder ("" when cancelled)."""
        title = QCoreApplication.translate("AppController", "Add a folder of recordings")
        return QFileDialog.getExistingDirectory(parent, title)


class AddingFlow(ControllerParts):
    """Files and folders picked, dropped or found by the watch folder, into the queue."""

    @Slot()
    def _on_add_files_triggered(self) -> None:
        files = FileDialogs.open_files(self.window)
        if files:
            self.add_paths(files)

    @Slot()
    def _on_add_folder_triggered(self) -> None:
        folder = FileDialogs.open_folder(self.window)
        if folder:
            self.add_paths([folder])

    @Slot(list)
    def add_paths(self, paths: list[str]) -> None:
        """Sort out dropped or picked paths off the GUI thread, then ask for exam and kind."""
        self.window.summary_label.setText(
            QCoreApplication.translate("AppController", "Looking for recordings…")
        )
        run_in_background(
            lambda: collect_files(Path(p) for p in paths),
            self._on_selection_collected,
            lambda exc: self.messages.error(exc, doing="reading the dropped files"),
            context=self,
        )

    def _on_selection_collected(self, selection: Selection) -> None:
        self.window.show_summary(self.model.summary)
        if not selection.recordings and not selection.others:
            self.messages.notify(
                Level.INFO,
                QCoreApplication.translate("AppController", "No files found"),
                QCoreApplication.translate(
                    "AppController", "The folder you chose holds no files to upload."
                ),
            )
            return
        known = sorted({j.exam_id for j in self.model.jobs()} | {self.config.last_exam_id} - {""})
        request = AddFilesDialog.ask(
            self.window,
            selection,
            last_exam_id=self.config.last_exam_id,
            last_kind=self.config.last_kind,
            known_exams=known,
        )
        if request is None:
            return
        remembered = request.chosen_kind if request.chosen_kind != "auto" else self.config.last_kind
        self.update_config(
            dataclasses.replace(self.config, last_exam_id=request.exam_id, last_kind=remembered)
        )
        self._pending_adds.append(request)
        if self.queue is None:
            if not self.services.session.is_signed_in:
                self.sign_in(
                    QCoreApplication.translate(
                        "AppController", "Sign in to start uploading the files you added."
                    )
                )
            return
        self._process_pending_adds()

    def _process_pending_adds(self) -> None:
        queue = self.queue
        if queue is None:
            return
        requests, self._pending_adds = self._pending_adds, []
        settle = self._follow_settle()

        def add_all() -> AddOutcome:
            total = AddOutcome()
            for request in requests:
                outcome = add_files(queue, request.files, request.exam_id, follow_settle=settle)
                total.added_paths += outcome.added_paths
                total.skipped_paths += outcome.skipped_paths
                total.failed += outcome.failed
            return total

        if requests:
            self.command(add_all, doing="adding files", on_done=self._on_files_added)

    def _follow_settle(self) -> float | None:
        """The settle time of followed recordings, or None when following is off."""
        return float(self.config.watch_settle_seconds) if self.config.follow_recordings else None

    def _on_files_added(self, outcome: AddOutcome) -> None:
        self.window.tabs.setCurrentWidget(self.window.queue_view)
        for level, title, message in outcome.notices():
            self.messages.notify(level, title, message)
