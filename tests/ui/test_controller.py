"""The controller without uploads: tray present or not, quitting, settings, keep-awake, notices."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop.auth.session import AuthSession
from desktop.config import AppConfig, BandwidthWindow
from desktop.engine.events import JobState
from desktop.engine.instance import EngineLock
from desktop.file_scan import Selection
from desktop.ui.controller import AppController
from desktop.ui.dialogs.add_files import AddRequest
from desktop.ui.dialogs.confirm import ConfirmDialog
from desktop.ui.dialogs.login import SignInDialog
from desktop.ui.dialogs.settings import SettingsDialog
from tests.ui.conftest import make_job
from tests.ui.harness import Harness, UiStack, signed_in_config

Factory = Callable[..., Harness]


class Asked:
    """Records `ConfirmDialog.ask` calls and answers with `answer`."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.titles: list[str] = []

    def __call__(self, parent: Any, title: str, text: str, **kwargs: Any) -> bool:
        self.titles.append(title)
        return self.answer


def _uploading(controller: AppController, fraction: float = 0.42) -> None:
    size = 1_000_000
    controller.model.add_job(
        make_job(state=JobState.UPLOADING, size=size, bytes_done=int(size * fraction))
    )
    controller.model.flush()


def test_without_tray_closing_with_uploads_asks_before_quitting(
    harness_factory: Factory, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = harness_factory(tray=False)
    controller = harness.controller
    assert not controller.tray.present  # offscreen: no system tray
    controller.window.show()
    _uploading(controller)
    asked = Asked(answer=False)
    monkeypatch.setattr(ConfirmDialog, "ask", asked)

    controller.window.close()
    assert asked.titles == ["Quit while uploading?"]
    assert controller.window.isVisible()  # the proctor chose to keep uploading
    assert harness.quits == []

    asked.answer = True
    controller.window.close()
    assert not controller.window.isVisible()
    assert harness.quits == [1]


def test_without_tray_closing_when_idle_quits_without_asking(
    harness_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = harness_factory(tray=False)
    harness.controller.window.show()
    asked = Asked(answer=False)
    monkeypatch.setattr(ConfirmDialog, "ask", asked)
    harness.controller.window.close()
    assert asked.titles == []
    assert harness.quits == [1]


@pytest.mark.qt_log_ignore("systemTrayWindowChanged")
def test_with_tray_closing_keeps_running_in_the_tray(
    harness_factory: Factory, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = harness_factory(tray=True)
    controller = harness.controller
    assert controller.tray.present
    controller.window.show()
    _uploading(controller, 0.42)
    assert controller.tray.icon is not None
    assert "42% · 0 of 1 files uploaded" in controller.tray.icon.toolTip()

    with qtbot.waitSignal(controller.tray.sig_notification_shown) as shown:
        controller.window.close()
    assert shown.args[0] == "Proctor Uploader is still running"
    assert not controller.window.isVisible()
    assert harness.quits == []  # still running, uploads continue

    controller.tray.sig_show_window_requested.emit()
    assert controller.window.isVisible()

    # Quit from the tray menu asks too while uploads run, then quits.
    asked = Asked(answer=True)
    monkeypatch.setattr(ConfirmDialog, "ask", asked)
    assert controller.tray.menu is not None
    controller.tray.quit_action.trigger()
    assert asked.titles == ["Quit while uploading?"]
    assert harness.quits == [1]


@pytest.mark.qt_log_ignore("systemTrayWindowChanged")
def test_tray_notifies_when_a_batch_completes(harness_factory: Factory, qtbot: Any) -> None:
    controller = harness_factory(tray=True).controller
    jobs = [make_job(state=JobState.UPLOADING, size=10), make_job(state=JobState.QUEUED, size=10)]
    for job in jobs:
        controller.model.add_job(job)
    controller.model.flush()
    for job in jobs:
        controller.model.update_job(dataclasses.replace(job, state=JobState.COMPLETED))
    window = controller.window
    window.resize(1000, 600)
    window.show()
    tabs_at = window.tabs.mapTo(window, window.tabs.rect().topLeft())
    with qtbot.waitSignal(controller.tray.sig_notification_shown) as shown:
        controller.model.flush()
    assert shown.args[0] == "All 2 recordings uploaded"
    # The outcome stays in the status bar (no timer takes it away) ...
    text = window.summary_label.text()
    assert re.fullmatch(r"2 recordings uploaded and verified at \d\d:\d\d", text), text
    # ... and nothing was inserted above the tabs to push them down and, later, back up.
    assert window.notices.notices() == []
    qtbot.wait(50)  # let a layout pass run, were one pending
    assert window.tabs.mapTo(window, window.tabs.rect().topLeft()) == tabs_at
    # The next batch's progress replaces it; when that one ends, its own outcome shows.
    job = make_job(state=JobState.UPLOADING, size=10)
    controller.model.add_job(job)  # shown at the model's next insertion, within a second
    qtbot.waitUntil(lambda: "uploaded and verified at" not in window.summary_label.text())
    controller.model.update_job(dataclasses.replace(job, state=JobState.COMPLETED))
    qtbot.waitUntil(
        lambda: window.summary_label.text().startswith("1 recording uploaded and verified at")
    )


def test_a_failed_upload_is_shown_as_a_notice(harness_factory: Factory, qtbot: Any) -> None:
    controller = harness_factory().controller
    job = make_job(state=JobState.UPLOADING, path="/rec/exam/webcam.mp4")
    controller.bridge.on_job_added(job=job)
    failed = dataclasses.replace(
        job, state=JobState.FAILED, error_title="Storage error", error_message="HTTP 500"
    )
    controller.bridge.on_job_changed(job=failed)
    qtbot.waitUntil(
        lambda: any(
            n.title_label.text() == "webcam.mp4 was not uploaded"
            for n in controller.window.notices.notices()
        )
    )


def test_settings_are_applied_persisted_and_reloaded(
    harness_factory: Factory, qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    harness = harness_factory()
    controller = harness.controller
    controller.window.show()
    watched = tmp_path / "recordings"
    watched.mkdir()

    def edit(parent: Any, config: AppConfig, *, server_url: str) -> AppConfig | None:
        # The real dialog, driven through its widgets rather than its modal loop.
        dialog = SettingsDialog(parent, config, server_url=server_url)
        qtbot.addWidget(dialog)
        dialog.files_spin.setValue(3)
        dialog.parts_spin.setValue(6)
        dialog.part_size_combo.setCurrentIndex(dialog.part_size_combo.findData(64))
        dialog.limit_box.setChecked(True)
        dialog.limit_spin.setValue(2.5)
        dialog.schedule_box.setChecked(True)
        dialog.window_limit_spin.setValue(0.5)
        dialog.watch_box.setChecked(True)
        dialog.watch_path_edit.setText(str(watched))
        dialog.watch_exam_edit.setText("CHEM-201")
        dialog.watch_kind_combo.setCurrentIndex(dialog.watch_kind_combo.findData("screen"))
        dialog.settle_spin.setValue(7)
        dialog.follow_box.setChecked(False)
        dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("ko"))
        dialog.awake_box.setChecked(False)
        dialog.notify_box.setChecked(False)
        dialog._on_buttons_accepted()
        assert dialog.result() == dialog.DialogCode.Accepted
        return dialog.result_config

    monkeypatch.setattr(SettingsDialog, "ask", edit)
    controller.window.settings_action.trigger()

    # Applied live: the language, the watch folder and the notifications switch.
    qtbot.waitUntil(lambda: controller.window.settings_action.text() == "설정")
    assert controller.watch.folder == str(watched)
    assert controller.window.watch_button.isVisibleTo(controller.window)
    assert controller.tray.notifications_enabled is False

    # Persisted: a fresh load of the settings file has every value.
    expected = dataclasses.replace(
        AppConfig(),
        parallel_files=3,
        parallel_parts=6,
        part_size_mib=64,
        bandwidth_limit_kib=2560,
        schedule=(BandwidthWindow("08:00", "18:00", 512),),
        watch_enabled=True,
        watch_path=str(watched),
        watch_exam_id="CHEM-201",
        watch_kind="screen",
        watch_settle_seconds=7,
        follow_recordings=False,
        language="ko",
        keep_awake=False,
        notifications=False,
    )
    qtbot.waitUntil(lambda: AppConfig.load(harness.paths.config_file) == expected)

    # Reloaded into the dialog, the same values show.
    again = SettingsDialog(None, AppConfig.load(harness.paths.config_file), server_url="")
    qtbot.addWidget(again)
    assert again.files_spin.value() == 3
    assert again.limit_spin.value() == 2.5
    assert again.schedule_box.isChecked()
    assert again.start_edit.time().toString("HH:mm") == "08:00"
    assert again.watch_exam_edit.text() == "CHEM-201"
    assert again.language_combo.currentData() == "ko"
    assert not again.follow_box.isChecked()
    assert again.edited_config() == expected


def test_settings_refuse_a_watch_folder_without_an_exam(qtbot: Any, tmp_path: Path) -> None:
    dialog = SettingsDialog(None, AppConfig(), server_url="")
    qtbot.addWidget(dialog)
    dialog.watch_box.setChecked(True)
    dialog.watch_path_edit.setText(str(tmp_path))
    dialog._on_buttons_accepted()
    assert dialog.result_config is None
    assert dialog.error_label.isVisibleTo(dialog)
    assert "exam ID" in dialog.error_label.text()
    assert dialog.tabs.currentIndex() == 1


def test_keep_awake_while_uploading_and_released_when_idle(
    harness_factory: Factory, qtbot: Any
) -> None:
    harness = harness_factory()
    controller = harness.controller
    job = make_job(state=JobState.UPLOADING)
    controller.model.add_job(job)
    controller.model.flush()
    qtbot.waitUntil(lambda: harness.inhibitor.calls == ["acquire"])
    qtbot.waitUntil(lambda: controller.window.awake_button.isVisibleTo(controller.window))
    controller.model.update_job(dataclasses.replace(job, state=JobState.COMPLETED))
    controller.model.flush()
    qtbot.waitUntil(lambda: harness.inhibitor.calls == ["acquire", "release"])


def test_keep_awake_can_be_switched_off(harness_factory: Factory, qtbot: Any) -> None:
    harness = harness_factory(AppConfig(keep_awake=False))
    harness.controller.model.add_job(make_job(state=JobState.UPLOADING))
    harness.controller.model.flush()
    assert harness.controller.services.keep_awake.wait_settled(5)
    assert harness.inhibitor.calls == []


def test_adding_files_while_signed_out_asks_to_sign_in_and_keeps_them(
    harness_factory: Factory, qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    controller = harness_factory().controller
    controller.window.show()
    video = tmp_path / "exam" / "webcam.mp4"
    video.parent.mkdir()
    video.write_bytes(b"x" * 1000)
    reasons: list[str] = []

    def add(parent: Any, selection: Selection, **kwargs: Any) -> AddRequest:
        assert [f.path for f in selection.recordings] == [video]
        return AddRequest(files=((video, "webcam"),), exam_id="BIO-101", chosen_kind="auto")

    def sign_in(parent: Any, session: Any, **kwargs: Any) -> None:
        reasons.append(kwargs["reason"])

    monkeypatch.setattr("desktop.ui.control.adding.AddFilesDialog.ask", add)
    monkeypatch.setattr(SignInDialog, "ask", sign_in)
    controller.add_paths([str(video.parent)])
    qtbot.waitUntil(lambda: bool(reasons))
    assert reasons == ["Sign in to start uploading the files you added."]
    assert [r.exam_id for r in controller._pending_adds] == ["BIO-101"]
    assert controller.config.last_exam_id == "BIO-101"


def test_log_view_follows_the_log(harness_factory: Factory, qtbot: Any) -> None:
    controller = harness_factory().controller
    buffer = controller.services.log_buffer
    assert buffer is not None
    root = logging.getLogger()
    root.addHandler(buffer)
    try:
        logging.getLogger("desktop.test").warning(
            "upload of %s retried, token=%s", "a.mp4", "s3cr3t"
        )
    finally:
        root.removeHandler(buffer)
    view = controller.window.log_view
    qtbot.waitUntil(lambda: "upload of a.mp4 retried" in view.text.toPlainText())
    assert "s3cr3t" not in view.text.toPlainText()  # redacted before it reaches the view


def test_settings_show_the_server_of_a_session_only_sign_in(
    harness_factory: Factory, stack: UiStack, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo and "sign in for this session only" keep the server out of the settings file,
    # yet the proctor is signed in to it: Settings > Connection must say where uploads go.
    harness = harness_factory()
    controller = harness.controller
    shown: list[str] = []

    def look(parent: Any, config: AppConfig, *, server_url: str) -> AppConfig | None:
        dialog = SettingsDialog(parent, config, server_url=server_url)
        qtbot.addWidget(dialog)
        shown.append(dialog.server_value.text())
        return None

    monkeypatch.setattr(SettingsDialog, "ask", look)
    controller.start_signed_in(stack.url, stack.username, stack.password)
    qtbot.waitUntil(lambda: controller.queue is not None, timeout=30_000)
    assert controller.config.server_url == ""  # nothing was saved
    controller.window.settings_action.trigger()
    assert shown == [stack.url]


def test_a_second_instance_touches_no_sign_in_until_it_holds_the_engine_lock(
    harness_factory: Factory, stack: UiStack, qtbot: Any
) -> None:
    # A command is uploading with the remembered sign-in (it holds the engine lock). The app
    # starting now must not use that sign-in: refreshing it would rotate the token under the
    # command's feet, and the server would then end the command's session.
    config = signed_in_config(stack, remember_me=True)
    harness = harness_factory(config)
    remembered = AuthSession(store=harness.store)
    remembered.sign_in(stack.url, stack.username, stack.password, remember=True)
    token = harness.store.load(stack.url, stack.username)
    other = EngineLock(harness.paths.data_dir)
    other.acquire()
    try:
        harness.controller.start()
        area = harness.controller.window.notices
        qtbot.waitUntil(lambda: bool(area.notices()), timeout=30_000)
        (notice,) = area.notices()
        assert notice.key[1] == "Already uploading elsewhere"
        assert harness.controller.window.summary_label.text().startswith("Ready.")
        assert not harness.controller.services.session.is_signed_in
        assert harness.store.load(stack.url, stack.username) == token  # untouched
        assert remembered.refresh()  # the other process's session still works
    finally:
        other.release()
    # Once the other one has finished, "Try again" signs in and starts the queue.
    assert notice.action_button is not None
    qtbot.mouseClick(notice.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: harness.controller.queue is not None, timeout=30_000)
    assert harness.controller.services.session.is_signed_in
    remembered.close()


def test_a_damaged_upload_list_is_reset_and_said_so(
    harness_factory: Factory, stack: UiStack, qtbot: Any
) -> None:
    harness = harness_factory()
    db = harness.paths.state_db
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"\x00garbage where the SQLite header was" * 200)
    controller = harness.controller
    controller.start_signed_in(stack.url, stack.username, stack.password)
    qtbot.waitUntil(lambda: controller.queue is not None, timeout=30_000)
    titles = [n.key[1] for n in controller.window.notices.notices()]
    assert "The upload list was damaged and has been reset" in titles
    assert list(db.parent.glob("queue.sqlite3.damaged-*"))


def test_a_second_instance_asks_for_no_password_until_it_holds_the_lock(
    harness_factory: Factory, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Signing in session-only forgets the remembered sign-in of that account, which a command
    # uploading right now may be using: the form waits for the lock too.
    asked: list[str] = []

    def ask(parent: Any, session: Any, **kwargs: Any) -> None:
        asked.append(kwargs.get("username", ""))
        return

    monkeypatch.setattr(SignInDialog, "ask", ask)
    harness = harness_factory(AppConfig(server_url="https://uploads.example.edu", username="kim"))
    other = EngineLock(harness.paths.data_dir)
    other.acquire()
    try:
        harness.controller.start()
        area = harness.controller.window.notices
        qtbot.waitUntil(lambda: bool(area.notices()), timeout=30_000)
        (notice,) = area.notices()
        assert notice.key[1] == "Already uploading elsewhere"
        assert asked == []
    finally:
        other.release()
    assert notice.action_button is not None
    qtbot.mouseClick(notice.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: asked == ["kim"], timeout=30_000)
