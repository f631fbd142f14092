"""The sign-in dialog on the real backend: good, wrong, unreachable, TLS, throttled, keyring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import Qt

from desktop.auth.credentials import (
    SERVICE_NAME,
    KeyringCredentialStore,
    MemoryCredentialStore,
    account_name,
)
from desktop.auth.session import AuthSession
from desktop.ui.dialogs.login import SignInDialog
from tests.support.backend_server import RunningBackend, run_backend
from tests.support.storage import S3Endpoint, free_port, make_bucket


def _dialog(qtbot: Any, session: AuthSession, url: str, user: str = "") -> SignInDialog:
    dialog = SignInDialog(None, session, server_url=url, username=user)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _submit(qtbot: Any, dialog: SignInDialog, password: str, *, remember: bool = False) -> None:
    dialog.password_edit.setText(password)
    dialog.remember_box.setChecked(remember)
    assert dialog.sign_in_button.isEnabled()
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.status_label.text() == "Signing in…"  # busy while the worker thread runs
    qtbot.waitUntil(lambda: not dialog.status_label.text(), timeout=30_000)


def test_good_sign_in_accepts(
    qtbot: Any, api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    user, password = account
    session = AuthSession(store=MemoryCredentialStore())
    dialog = _dialog(qtbot, session, api_backend.url, user)
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        _submit(qtbot, dialog, password)
    assert dialog.result_value is not None
    assert dialog.result_value.username == user
    assert dialog.result_value.remembered is False
    assert session.is_signed_in
    assert dialog.password_edit.text() == ""  # the password does not linger in the widget
    session.close()


def test_wrong_password_is_explained_inline(
    qtbot: Any, api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    user, _ = account
    session = AuthSession(store=MemoryCredentialStore())
    dialog = _dialog(qtbot, session, api_backend.url, user)
    _submit(qtbot, dialog, "not the password")
    assert dialog.isVisible()
    assert dialog.error_frame.isVisible()
    assert dialog.error_title.text() == "Wrong user name or password"
    assert dialog.password_edit.hasSelectedText()
    assert not session.is_signed_in
    session.close()


def test_unreachable_server(qtbot: Any) -> None:
    session = AuthSession(store=MemoryCredentialStore())
    dialog = _dialog(qtbot, session, f"http://127.0.0.1:{free_port()}", "proctor")
    _submit(qtbot, dialog, "whatever")
    assert dialog.error_frame.isVisible()
    assert dialog.error_title.text() == "Server not reachable"
    assert "refused" in dialog.error_message.text()
    session.close()


def test_tls_problem(qtbot: Any, api_backend: RunningBackend) -> None:
    # https to a plain-http port: the TLS handshake fails ("wrong version number").
    https_url = api_backend.url.replace("http://", "https://")
    session = AuthSession(store=MemoryCredentialStore())
    dialog = _dialog(qtbot, session, https_url, "proctor")
    _submit(qtbot, dialog, "whatever")
    assert dialog.error_title.text() == "Secure connection failed"
    session.close()


def test_insecure_address_is_refused_before_any_request(qtbot: Any) -> None:
    session = AuthSession(store=MemoryCredentialStore())
    dialog = _dialog(qtbot, session, "http://uploads.example.edu", "proctor")
    dialog.password_edit.setText("secret")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.server_error.isVisible()
    assert "https://" in dialog.server_error.text()
    assert dialog.status_label.text() == ""  # nothing was sent
    session.close()


@pytest.fixture
def strict_backend(moto_s3: S3Endpoint, tmp_path: Path) -> Iterator[RunningBackend]:
    """A private backend that throttles after two failed sign-ins (its own address counter)."""
    with run_backend(
        moto_s3,
        bucket=make_bucket(moto_s3),
        data_dir=tmp_path / "strict",
        login_max_failures=2,
        login_failure_window_seconds=600,
    ) as running:
        running.add_user("throttled", "right password here")
        yield running


def test_too_many_attempts(qtbot: Any, strict_backend: RunningBackend) -> None:
    session = AuthSession(store=MemoryCredentialStore())
    dialog = _dialog(qtbot, session, strict_backend.url, "throttled")
    for _ in range(2):
        _submit(qtbot, dialog, "wrong")
        assert dialog.error_title.text() == "Wrong user name or password"
    _submit(qtbot, dialog, "right password here")
    assert dialog.error_title.text() == "Too many sign-in attempts"
    assert "minute" in dialog.error_message.text()
    assert not session.is_signed_in
    session.close()


def test_no_keyring_is_found_before_signing_in_and_remember_is_unticked(
    qtbot: Any, api_backend: RunningBackend, account: tuple[str, str]
) -> None:
    # The test environment's keyring is keyring.backends.fail.Keyring: no password store at all.
    user, password = account
    session = AuthSession(store=KeyringCredentialStore())
    dialog = _dialog(qtbot, session, api_backend.url, user)
    assert dialog.remember_box.isChecked()  # the saved preference, until the keyring is checked
    qtbot.waitUntil(lambda: dialog.remember_note.isVisible(), timeout=10_000)
    assert not dialog.remember_box.isChecked()
    assert not dialog.remember_box.isEnabled()
    assert "no password store" in dialog.remember_note.text()
    note = dialog.remember_note
    qtbot.waitUntil(lambda: note.height() >= note.heightForWidth(note.width()))  # not cut off
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        _submit(qtbot, dialog, password, remember=False)
    assert dialog.result_value is not None
    assert dialog.result_value.remembered is False
    assert session.is_signed_in
    session.close()


def test_remember_without_a_keyring_sends_nothing(qtbot: Any) -> None:
    # Remember asked before the check finished: the sign-in must stop before the password is
    # sent. Nothing listens at this address, so contacting it would say "Server not reachable".
    session = AuthSession(store=KeyringCredentialStore())
    dialog = SignInDialog(None, session, server_url=f"http://127.0.0.1:{free_port()}")
    qtbot.addWidget(dialog)
    dialog.user_edit.setText("proctor")
    dialog.password_edit.setText("secret")
    dialog._start(remember=True)  # what Enter does with the box still ticked
    qtbot.waitUntil(lambda: dialog.error_frame.isVisibleTo(dialog), timeout=10_000)
    assert dialog.error_title.text() == "Cannot remember your sign-in"
    assert dialog.session_only_button.isVisibleTo(dialog)
    assert not dialog.remember_box.isChecked()
    assert not session.is_signed_in
    session.close()


def test_remember_me_uses_the_real_secret_service(
    qtbot: Any,
    api_backend: RunningBackend,
    account: tuple[str, str],
    use_secret_service: KeyringBackend,
) -> None:
    user, password = account
    session = AuthSession(store=KeyringCredentialStore())
    dialog = _dialog(qtbot, session, api_backend.url, user)
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        _submit(qtbot, dialog, password, remember=True)
    assert dialog.result_value is not None
    assert dialog.result_value.remembered is True
    stored = use_secret_service.get_password(SERVICE_NAME, account_name(api_backend.url, user))
    assert stored  # a refresh token, never the password
    assert stored != password

    # Next start: the remembered sign-in is used silently.
    later = AuthSession(store=KeyringCredentialStore())
    assert later.restore(api_backend.url, user) is True
    assert later.is_signed_in
    later.sign_out()
    # Signing out forgets it.
    again = AuthSession(store=KeyringCredentialStore())
    assert again.restore(api_backend.url, user) is False
    for s in (session, later, again):
        s.close()
