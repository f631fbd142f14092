"""The app end to end: real window, real engine, real backend, moto behind a fault proxy.

Every test drives the controller the way a proctor does (toolbar actions, a drop, the row menu)
and waits on what the window shows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from desktop.auth.session import AuthSession
from desktop.config import AppConfig
from desktop.engine.events import JobSnapshot, JobState
from desktop.engine.retry import Backoff
from desktop.file_scan import Selection
from desktop.ui.controller import AppController, FileDialogs
from desktop.ui.dialogs.add_files import AddFilesDialog, AddRequest
from desktop.ui.dialogs.confirm import ConfirmDialog
from desktop.ui.dialogs.login import SignInDialog, SignInResult
from desktop.ui.queue_model import Column
from tests.support.faultproxy import Rule, internal_error, respond
from tests.ui.harness import MIB, Harness, UiStack, signed_in_config, write_recording

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Factory = Callable[..., Harness]
TIMEOUT = 90_000

_ACCESS_DENIED = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _start(harness: Harness, stack: UiStack, qtbot: Any) -> AppController:
    controller = harness.controller
    controller.start_signed_in(stack.url, stack.username, stack.password)
    qtbot.waitUntil(lambda: controller.queue is not None, timeout=TIMEOUT)
    return controller


def _answer_add_prompt(
    monkeypatch: pytest.MonkeyPatch, qtbot: Any, exam: str = "BIO-101", *, others: bool = False
) -> list[Selection]:
    """Replace the modal prompt by the real dialog, filled in through its widgets."""
    seen: list[Selection] = []

    def ask(parent: Any, selection: Selection, **kwargs: Any) -> AddRequest | None:
        seen.append(selection)
        dialog = AddFilesDialog(parent, selection, **kwargs)
        qtbot.addWidget(dialog)
        dialog.exam_edit.setText(exam)
        dialog.others_box.setChecked(others)
        assert dialog.ok_button.isEnabled()
        return dialog.request()

    monkeypatch.setattr(AddFilesDialog, "ask", ask)
    return seen


def _row(controller: AppController, name: str) -> JobSnapshot | None:
    for job in controller.model.jobs():
        if Path(job.path).name == name:
            return job
    return None


def _state(controller: AppController, name: str) -> JobState | None:
    job = _row(controller, name)
    return None if job is None else job.state


def _status_cell(controller: AppController, name: str) -> str:
    job = _row(controller, name)
    assert job is not None
    row = controller.model.row_of(job.job_id)
    assert row is not None
    return str(controller.model.data(controller.model.index(row, Column.STATUS)))


def _select(controller: AppController, name: str) -> None:
    job = _row(controller, name)
    assert job is not None
    assert controller.window.queue_view.select_job(job.job_id)


def test_add_files_by_dialog_upload_to_completion(
    harness_factory: Factory,
    stack: UiStack,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    webcam = write_recording(tmp_path / "exam" / "webcam_anna.mp4", 7 * MIB + 123)
    screen = write_recording(tmp_path / "exam" / "screen_anna.mkv", 2 * MIB)
    harness = harness_factory(signed_in_config(stack))
    controller = _start(harness, stack, qtbot)
    monkeypatch.setattr(FileDialogs, "open_files", lambda parent: [str(webcam), str(screen)])
    _answer_add_prompt(monkeypatch, qtbot)

    controller.window.add_files_action.trigger()
    qtbot.waitUntil(lambda: controller.model.rowCount() == 2, timeout=TIMEOUT)
    qtbot.waitUntil(
        lambda: all(j.state is JobState.COMPLETED for j in controller.model.jobs()),
        timeout=TIMEOUT,
    )
    # The kinds were guessed from the names; the last exam is remembered for next time.
    assert {Path(j.path).name: j.kind for j in controller.model.jobs()} == {
        "webcam_anna.mp4": "webcam",
        "screen_anna.mkv": "screen",
    }
    assert controller.config.last_exam_id == "BIO-101"
    assert _status_cell(controller, "webcam_anna.mp4") == "Uploaded"
    # Receipts reach the History tab, with the checksum of the local file.
    history = controller.window.history_view.model
    qtbot.waitUntil(lambda: history.rowCount() == 2, timeout=TIMEOUT)
    by_name = {Path(r.path).name: r for r in history.receipts()}
    assert by_name["webcam_anna.mp4"].sha256 == _sha256(webcam)
    assert by_name["webcam_anna.mp4"].size == webcam.stat().st_size
    assert by_name["screen_anna.mkv"].exam_id == "BIO-101"
    qtbot.waitUntil(lambda: controller.model.summary.active == 0)
    # The batch's outcome stays in the status bar (a fading notice was gone before anyone read it).
    qtbot.waitUntil(
        lambda: "2 recordings uploaded and verified at" in controller.window.summary_label.text()
    )


def _drop(widget: Any, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    actions = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    with warnings.catch_warnings():
        # PySide 6.12 deprecates the QPoint form that 6.11 alone accepts.
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(QPoint(40, 40), actions, mime, buttons, modifiers)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(40, 40), actions, mime, buttons, modifiers)
    QApplication.sendEvent(widget, drop)
    assert drop.isAccepted()


def test_dropped_folder_uploads_its_recordings_only(
    harness_factory: Factory,
    stack: UiStack,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "Room 12"
    write_recording(folder / "cam" / "candidate-7.webm", 3 * MIB)
    (folder / "notes.txt").write_text("seat plan")
    controller = _start(harness_factory(signed_in_config(stack)), stack, qtbot)
    seen = _answer_add_prompt(monkeypatch, qtbot, exam="HIST-9", others=False)

    _drop(controller.window, [folder])
    qtbot.waitUntil(
        lambda: _state(controller, "candidate-7.webm") is JobState.COMPLETED, timeout=TIMEOUT
    )
    assert [f.path.name for f in seen[0].others] == ["notes.txt"]  # asked about, not added
    assert _row(controller, "notes.txt") is None
    assert controller.model.rowCount() == 1


def test_pause_resume_and_cancel_from_the_row_menu(
    harness_factory: Factory,
    stack: UiStack,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    slow = write_recording(tmp_path / "a_webcam.mp4", 8 * MIB)
    other = write_recording(tmp_path / "b_screen.mp4", 8 * MIB)
    # 1 MiB/s for everything: slow enough to catch the uploads in flight.
    config = signed_in_config(stack, bandwidth_limit_kib=1024, parallel_files=2)
    controller = _start(harness_factory(config), stack, qtbot)
    monkeypatch.setattr(FileDialogs, "open_files", lambda parent: [str(slow), str(other)])
    _answer_add_prompt(monkeypatch, qtbot)
    controller.window.add_files_action.trigger()
    qtbot.waitUntil(
        lambda: (
            (j := _row(controller, "a_webcam.mp4")) is not None
            and j.state is JobState.UPLOADING
            and j.bytes_done > 0
        ),
        timeout=TIMEOUT,
    )
    view = controller.window.queue_view

    _select(controller, "a_webcam.mp4")
    assert view.pause_action.isEnabled()
    view.pause_action.trigger()
    qtbot.waitUntil(lambda: _state(controller, "a_webcam.mp4") is JobState.PAUSED, timeout=TIMEOUT)
    qtbot.waitUntil(view.resume_action.isEnabled)  # the menu follows the row's new state
    assert _status_cell(controller, "a_webcam.mp4") == "Paused"
    assert not view.pause_action.isEnabled()

    asked: list[str] = []

    def confirm(parent: Any, title: str, text: str, **kwargs: Any) -> bool:
        asked.append(title)
        return True

    monkeypatch.setattr(ConfirmDialog, "ask", confirm)
    _select(controller, "b_screen.mp4")
    view.cancel_action.trigger()
    assert asked == ["Cancel this upload?"]
    qtbot.waitUntil(
        lambda: _state(controller, "b_screen.mp4") is JobState.CANCELLED, timeout=TIMEOUT
    )

    # Resume at full speed: the paused file finishes, from where it stopped.
    controller.apply_settings(dataclasses.replace(controller.config, bandwidth_limit_kib=0))
    _select(controller, "a_webcam.mp4")
    view.resume_action.trigger()
    qtbot.waitUntil(
        lambda: _state(controller, "a_webcam.mp4") is JobState.COMPLETED, timeout=TIMEOUT
    )
    # The cancelled one can be removed from the list; its row goes away.
    _select(controller, "b_screen.mp4")
    assert view.remove_action.isEnabled()
    view.remove_action.trigger()
    qtbot.waitUntil(lambda: _row(controller, "b_screen.mp4") is None, timeout=TIMEOUT)


def test_storage_fault_is_shown_in_the_row_then_retried(
    harness_factory: Factory,
    stack: UiStack,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    video = write_recording(tmp_path / "webcam.mp4", 6 * MIB)
    # Storage refuses every part until the rule is removed (a refusal, not "busy": the engine
    # retries 5xx and SlowDown for as long as it takes, but a refusal ends the job at once).
    denied = respond(403, _ACCESS_DENIED)
    rule = stack.storage_proxy.add_rule(Rule(method="PUT", action=denied))
    controller = _start(harness_factory(signed_in_config(stack)), stack, qtbot)
    monkeypatch.setattr(FileDialogs, "open_files", lambda parent: [str(video)])
    _answer_add_prompt(monkeypatch, qtbot)
    controller.window.add_files_action.trigger()

    qtbot.waitUntil(lambda: _state(controller, "webcam.mp4") is JobState.FAILED, timeout=TIMEOUT)
    assert _status_cell(controller, "webcam.mp4") == "Failed — Storage error"
    titles = [n.title_label.text() for n in controller.window.notices.notices()]
    assert "webcam.mp4 was not uploaded" in titles

    stack.storage_proxy.remove_rule(rule)
    _select(controller, "webcam.mp4")
    assert controller.window.queue_view.retry_action.isEnabled()
    controller.window.queue_view.retry_action.trigger()
    qtbot.waitUntil(lambda: _state(controller, "webcam.mp4") is JobState.COMPLETED, timeout=TIMEOUT)
    assert _status_cell(controller, "webcam.mp4") == "Uploaded"


def test_transient_storage_fault_recovers_by_itself(
    harness_factory: Factory,
    stack: UiStack,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # One part only, so no other part's bytes move while this one waits for its retry.
    video = write_recording(tmp_path / "screen.mp4", 4 * MIB)
    stack.storage_proxy.add_rule(Rule(method="PUT", action=internal_error(), times=3))
    # Retries about a second apart, so the row shows the setback for a few refreshes.
    slow_retries = Backoff(base=1.2, cap=1.2)
    controller = _start(
        harness_factory(signed_in_config(stack), backoff=slow_retries), stack, qtbot
    )
    seen_statuses: set[str] = set()
    controller.model.dataChanged.connect(
        lambda *_: seen_statuses.update(
            str(controller.model.data(controller.model.index(r, Column.STATUS)))
            for r in range(controller.model.rowCount())
        )
    )
    monkeypatch.setattr(FileDialogs, "open_files", lambda parent: [str(video)])
    _answer_add_prompt(monkeypatch, qtbot)
    controller.window.add_files_action.trigger()
    qtbot.waitUntil(lambda: _state(controller, "screen.mp4") is JobState.COMPLETED, timeout=TIMEOUT)
    assert "Retrying — Storage error" in seen_statuses
    assert _status_cell(controller, "screen.mp4") == "Uploaded"


@pytest.fixture
def short_token_stack(moto_s3: Any, tmp_path: Path) -> Any:
    from tests.ui.harness import ui_stack

    # One second: the revoked sign-in is noticed at the next renewal, 0.75 s later at most.
    with ui_stack(moto_s3, tmp_path / "backend", access_token_ttl_seconds=1) as running:
        yield running


def test_sign_in_needed_mid_queue(
    harness_factory: Factory,
    short_token_stack: UiStack,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    stack = short_token_stack
    video = write_recording(tmp_path / "webcam.mp4", 4 * MIB)
    config = signed_in_config(stack, bandwidth_limit_kib=1024)
    controller = _start(harness_factory(config), stack, qtbot)
    states: list[JobState] = []
    controller.bridge.sig_job_changed.connect(lambda job: states.append(job.state))
    reasons: list[str] = []

    def sign_in_again(parent: Any, session: Any, **kwargs: Any) -> SignInResult:
        reasons.append(kwargs["reason"])
        session.sign_in(stack.url, stack.username, stack.password, remember=False)
        return SignInResult(stack.url, stack.username, False)

    monkeypatch.setattr(SignInDialog, "ask", sign_in_again)
    monkeypatch.setattr(FileDialogs, "open_files", lambda parent: [str(video)])
    _answer_add_prompt(monkeypatch, qtbot)
    controller.window.add_files_action.trigger()
    qtbot.waitUntil(
        lambda: (j := _row(controller, "webcam.mp4")) is not None and j.bytes_done > 0,
        timeout=TIMEOUT,
    )
    # The organisation ends every session of this account (e.g. "sign out everywhere").
    db = stack.backend.services.db
    user = db.get_user(stack.username)
    assert user is not None
    db.revoke_user_families(user.id, "test", time.time())

    qtbot.waitUntil(lambda: bool(reasons), timeout=TIMEOUT)
    assert "Your sign-in has ended" in reasons[0]
    qtbot.waitUntil(lambda: _state(controller, "webcam.mp4") is JobState.COMPLETED, timeout=TIMEOUT)
    assert JobState.NEEDS_LOGIN in states


def test_quit_pauses_persists_and_the_next_start_resumes(
    harness_factory: Factory,
    stack: UiStack,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    video = write_recording(tmp_path / "webcam.mp4", 10 * MIB)
    config = signed_in_config(stack, bandwidth_limit_kib=1024)
    first = harness_factory(config)
    controller = _start(first, stack, qtbot)
    monkeypatch.setattr(FileDialogs, "open_files", lambda parent: [str(video)])
    _answer_add_prompt(monkeypatch, qtbot)
    controller.window.add_files_action.trigger()
    qtbot.waitUntil(
        lambda: (j := _row(controller, "webcam.mp4")) is not None and j.bytes_done > 0,
        timeout=TIMEOUT,
    )
    monkeypatch.setattr(ConfirmDialog, "ask", lambda *a, **k: True)
    controller.window.close()  # no tray here: quitting with an upload running asks, then quits
    assert first.quits == [1]
    assert controller.queue is None  # shut down: paused, persisted, threads joined

    # Next start (same app home): the upload is back and finishes by itself, at full speed.
    second = harness_factory(dataclasses.replace(config, bandwidth_limit_kib=0))
    again = _start(second, stack, qtbot)
    qtbot.waitUntil(lambda: _state(again, "webcam.mp4") is JobState.COMPLETED, timeout=TIMEOUT)
    assert again.model.rowCount() == 1


def test_the_window_title_and_status_bar_show_overall_progress(
    harness_factory: Factory,
    stack: UiStack,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    video = write_recording(tmp_path / "webcam.mp4", 4 * MIB)
    controller = _start(
        harness_factory(signed_in_config(stack, bandwidth_limit_kib=1024)), stack, qtbot
    )
    titles: set[str] = set()
    controller.model.sig_summary_changed.connect(
        lambda _s: titles.add(controller.window.windowTitle())
    )
    monkeypatch.setattr(FileDialogs, "open_files", lambda parent: [str(video)])
    _answer_add_prompt(monkeypatch, qtbot)
    controller.window.add_files_action.trigger()
    qtbot.waitUntil(lambda: _state(controller, "webcam.mp4") is JobState.COMPLETED, timeout=TIMEOUT)
    progress_titles = [t for t in titles if t.endswith("% — Proctor Uploader")]
    assert progress_titles, titles
    qtbot.waitUntil(lambda: controller.window.windowTitle() == "Proctor Uploader")
    assert isinstance(controller.config, AppConfig)


def test_a_remembered_sign_in_is_used_silently_and_sign_out_clears_it(
    harness_factory: Factory, stack: UiStack, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def sign_in(parent: Any, session: Any, **kwargs: Any) -> None:
        asked.append(kwargs.get("reason", ""))

    monkeypatch.setattr(SignInDialog, "ask", sign_in)
    config = signed_in_config(stack, remember_me=True)
    harness = harness_factory(config)
    controller = harness.controller
    store = harness.store
    # An earlier session remembered this account (a refresh token in the store).
    earlier = AuthSession(store=store)
    earlier.sign_in(stack.url, stack.username, stack.password, remember=True)
    earlier.close()

    controller.start()
    qtbot.waitUntil(lambda: controller.queue is not None, timeout=TIMEOUT)
    assert asked == []  # no dialog: the remembered sign-in was used
    assert controller.window.account_label.text().startswith("Signed in as proctor @ ")
    assert store.load(stack.url, stack.username) is not None

    controller.window.sign_out_action.trigger()
    qtbot.waitUntil(lambda: bool(asked), timeout=TIMEOUT)  # the sign-in form comes back
    assert store.load(stack.url, stack.username) is None  # forgotten
    assert controller.window.account_label.text() == "Not signed in"
