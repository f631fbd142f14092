"""Every dialog driven by the keyboard alone, as people use them: type, then Enter or Esc.

Each test types into the fields with key events (never `setText`) and presses Return or Escape on
the widget that has the focus, so a dialog whose default button is wrong, or whose focus lands on
Cancel after an error, fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from desktop.auth.credentials import MemoryCredentialStore
from desktop.auth.session import AuthSession
from desktop.config import AppConfig
from desktop.file_scan import FoundFile, Selection
from desktop.ui.dialogs.add_files import AddFilesDialog
from desktop.ui.dialogs.confirm import ConfirmDialog
from desktop.ui.dialogs.crash import CrashDialog
from desktop.ui.dialogs.login import SignInDialog
from desktop.ui.dialogs.settings import SettingsDialog
from tests.support.backend_server import RunningBackend

_ENTER = Qt.Key.Key_Return
_ESC = Qt.Key.Key_Escape


def _focused(dialog: QWidget) -> QWidget:
    widget = dialog.focusWidget()
    assert widget is not None, "nothing in the dialog has the keyboard focus"
    return widget


def _press(qtbot: Any, dialog: QWidget, key: Qt.Key) -> None:
    """Press `key` where the user's keystroke would go: the focused widget."""
    qtbot.keyClick(_focused(dialog), key)


def _show(qtbot: Any, dialog: QWidget) -> None:
    """Show and activate `dialog`, as `exec()` does: it gets the keyboard focus."""
    dialog.show()
    dialog.activateWindow()
    qtbot.waitActive(dialog)


def _sign_in_dialog(qtbot: Any, session: AuthSession) -> SignInDialog:
    dialog = SignInDialog(None, session, remember=False)
    qtbot.addWidget(dialog)
    _show(qtbot, dialog)
    return dialog


def _type_sign_in(qtbot: Any, dialog: SignInDialog, url: str, user: str, password: str) -> None:
    # The focus starts in the first empty field; Tab moves on, as a person would.
    assert _focused(dialog) is dialog.server_edit
    qtbot.keyClicks(dialog.server_edit, url)
    qtbot.keyClick(dialog.server_edit, Qt.Key.Key_Tab)
    assert _focused(dialog) is dialog.user_edit
    qtbot.keyClicks(dialog.user_edit, user)
    qtbot.keyClick(dialog.user_edit, Qt.Key.Key_Tab)
    assert _focused(dialog) is dialog.password_edit
    qtbot.keyClicks(dialog.password_edit, password)


def test_sign_in_by_typing_then_enter(
    qtbot: Any, api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    user, password = account
    session = AuthSession(store=MemoryCredentialStore())
    dialog = _sign_in_dialog(qtbot, session)
    _type_sign_in(qtbot, dialog, api_backend.url, user, password)
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        _press(qtbot, dialog, _ENTER)
    assert dialog.result_value is not None
    assert dialog.result_value.username == user
    assert session.is_signed_in
    session.close()


def test_enter_after_a_wrong_password_signs_in_again_never_cancels(
    qtbot: Any, api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    user, password = account
    session = AuthSession(store=MemoryCredentialStore())
    dialog = _sign_in_dialog(qtbot, session)
    _type_sign_in(qtbot, dialog, api_backend.url, user, "not it")
    _press(qtbot, dialog, _ENTER)
    qtbot.waitUntil(lambda: dialog.error_frame.isVisible(), timeout=30_000)
    assert dialog.error_title.text() == "Wrong user name or password"
    assert dialog.isVisible()
    # The focus is back in the password, its text selected: typing replaces it.
    assert _focused(dialog) is dialog.password_edit
    assert dialog.sign_in_button.isDefault()
    qtbot.keyClicks(dialog.password_edit, password)
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        _press(qtbot, dialog, _ENTER)
    assert session.is_signed_in
    session.close()


def test_enter_on_a_refused_address_stays_in_the_address(qtbot: Any) -> None:
    session = AuthSession(store=MemoryCredentialStore())
    dialog = _sign_in_dialog(qtbot, session)
    _type_sign_in(qtbot, dialog, "http://uploads.example.edu", "proctor", "secret")
    _press(qtbot, dialog, _ENTER)
    assert dialog.server_error.isVisible()
    assert dialog.isVisible()
    assert _focused(dialog) is dialog.server_edit
    assert dialog.status_label.text() == ""  # nothing was sent
    session.close()


def test_escape_cancels_the_sign_in(qtbot: Any) -> None:
    session = AuthSession(store=MemoryCredentialStore())
    dialog = _sign_in_dialog(qtbot, session)
    qtbot.keyClicks(dialog.server_edit, "https://uploads.example.edu")
    with qtbot.waitSignal(dialog.rejected, timeout=5_000):
        _press(qtbot, dialog, _ESC)
    assert dialog.result_value is None
    assert not session.is_signed_in
    session.close()


def _add_dialog(qtbot: Any, last_exam: str = "") -> AddFilesDialog:
    selection = Selection(
        recordings=[FoundFile(Path("/rec/webcam-1.mp4"), 1024), FoundFile(Path("/rec/s.mkv"), 9)],
        others=[],
    )
    dialog = AddFilesDialog(
        None, selection, last_exam_id=last_exam, last_kind="screen", known_exams=[]
    )
    qtbot.addWidget(dialog)
    _show(qtbot, dialog)
    return dialog


def test_add_dialog_type_the_exam_then_enter(qtbot: Any) -> None:
    dialog = _add_dialog(qtbot)
    assert _focused(dialog) is dialog.exam_edit
    qtbot.keyClicks(dialog.exam_edit, "BIO 101")
    _press(qtbot, dialog, _ENTER)  # refused: a space is not allowed
    assert dialog.isVisible()
    assert dialog.exam_error.isVisible()
    qtbot.keyClick(dialog.exam_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.exam_edit, "BIO-101")
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        _press(qtbot, dialog, _ENTER)
    request = dialog.request()
    assert request.exam_id == "BIO-101"
    assert [kind for _, kind in request.files] == ["webcam", "other"]


def test_add_dialog_enter_with_the_last_exam_prefilled(qtbot: Any) -> None:
    dialog = _add_dialog(qtbot, last_exam="CHEM-2")
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        _press(qtbot, dialog, _ENTER)
    assert dialog.request().exam_id == "CHEM-2"


def test_add_dialog_escape_adds_nothing(qtbot: Any) -> None:
    dialog = _add_dialog(qtbot)
    qtbot.keyClicks(dialog.exam_edit, "BIO-101")
    with qtbot.waitSignal(dialog.rejected, timeout=5_000):
        _press(qtbot, dialog, _ESC)
    assert dialog.result() == QDialog.DialogCode.Rejected


def _settings_dialog(qtbot: Any, tab: int) -> SettingsDialog:
    dialog = SettingsDialog(None, AppConfig(), server_url="")
    qtbot.addWidget(dialog)
    _show(qtbot, dialog)
    dialog.tabs.setCurrentIndex(tab)
    return dialog


def test_settings_type_a_value_then_enter_saves(qtbot: Any, tmp_path: Path) -> None:
    dialog = _settings_dialog(qtbot, tab=3)
    dialog.ca_edit.setFocus()
    bundle = str(tmp_path / "ca.pem")
    qtbot.keyClicks(dialog.ca_edit, bundle)
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        _press(qtbot, dialog, _ENTER)
    assert dialog.result_config is not None
    assert dialog.result_config.ca_bundle == bundle


def test_settings_enter_in_a_spin_box_saves(qtbot: Any) -> None:
    dialog = _settings_dialog(qtbot, tab=0)
    dialog.files_spin.setFocus()
    qtbot.keyClick(dialog.files_spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.files_spin, "5")
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        _press(qtbot, dialog, _ENTER)
    assert dialog.result_config is not None
    assert dialog.result_config.parallel_files == 5


def test_settings_space_turns_following_off_and_enter_saves(qtbot: Any) -> None:
    dialog = _settings_dialog(qtbot, tab=1)
    assert dialog.follow_box.isChecked()  # on by default
    dialog.follow_box.setFocus()
    qtbot.keyClick(dialog.follow_box, Qt.Key.Key_Space)
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        _press(qtbot, dialog, _ENTER)
    assert dialog.result_config is not None
    assert dialog.result_config.follow_recordings is False


def test_settings_escape_changes_nothing(qtbot: Any) -> None:
    dialog = _settings_dialog(qtbot, tab=3)
    dialog.ca_edit.setFocus()
    qtbot.keyClicks(dialog.ca_edit, "/somewhere/ca.pem")
    with qtbot.waitSignal(dialog.rejected, timeout=5_000):
        _press(qtbot, dialog, _ESC)
    assert dialog.result_config is None


def _answer_modal_with(qtbot: Any, key: Qt.Key, seen: list[str]) -> None:
    """Once a modal box is up, press `key` in it (a modal `exec()` blocks the test until then)."""

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(20, answer)
            return
        seen.append(box.windowTitle())
        _press(qtbot, box, key)

    QTimer.singleShot(0, answer)


def test_confirm_enter_takes_the_safe_answer(qtbot: Any) -> None:
    seen: list[str] = []
    _answer_modal_with(qtbot, _ENTER, seen)
    chosen = ConfirmDialog.ask(
        None, "Quit while uploading?", "Uploads stop.", confirm="Quit", cancel="Keep uploading"
    )
    assert seen == ["Quit while uploading?"]
    assert chosen is False


def test_confirm_escape_takes_the_safe_answer(qtbot: Any) -> None:
    seen: list[str] = []
    _answer_modal_with(qtbot, _ESC, seen)
    chosen = ConfirmDialog.ask(None, "Sign out?", "Uploads wait.", confirm="Sign out", cancel="No")
    assert seen == ["Sign out?"]
    assert chosen is False


def test_confirm_tab_to_the_risky_answer_then_enter(qtbot: Any) -> None:
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(20, answer)
            return
        assert isinstance(box, QMessageBox)
        seen.append(box.windowTitle())
        confirm = next(b for b in box.buttons() if b.text() == "Quit")
        confirm.setFocus()  # where Tab/Shift+Tab lands depends on the platform's button order
        _press(qtbot, box, _ENTER)

    QTimer.singleShot(0, answer)
    chosen = ConfirmDialog.ask(None, "Quit?", "Uploads stop.", confirm="Quit", cancel="Stay")
    assert seen == ["Quit?"]
    assert chosen is True


def test_crash_dialog_escape_closes(qtbot: Any, tmp_path: Path) -> None:
    dialog = CrashDialog(None, "Traceback ...", tmp_path / "app.log")
    qtbot.addWidget(dialog)
    _show(qtbot, dialog)
    with qtbot.waitSignal(dialog.rejected, timeout=5_000):
        _press(qtbot, dialog, _ESC)


def test_crash_dialog_enter_closes(qtbot: Any, tmp_path: Path) -> None:
    dialog = CrashDialog(None, "Traceback ...", tmp_path / "app.log")
    qtbot.addWidget(dialog)
    _show(qtbot, dialog)
    with qtbot.waitSignal(dialog.rejected, timeout=5_000):
        _press(qtbot, dialog, _ENTER)
