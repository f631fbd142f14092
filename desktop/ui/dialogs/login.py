"""Sign-in: server address, user name, password and "remember me", with errors in plain words.

The sign-in itself runs on a worker thread (network, then the keyring). Errors appear inside the
dialog, next to what to do: a wrong password selects the password; a missing keyring offers to
sign in for this session only, with the same password, without retyping.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.api.urls import validate_server_url
from desktop.auth.session import AuthSession
from desktop.errors import (
    AuthError,
    CredentialStoreError,
    InvalidServerUrlError,
    TooManyAttemptsError,
    UploaderError,
)
from desktop.ui.assets import app_icon, icon
from desktop.ui.tasks import run_in_background
from desktop.ui.text.errors import error_text

logger = logging.getLogger(__name__)

# Form labels sit level with the middle of their field, whatever its height.
_LABELS = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True, slots=True)
class SignInResult:
    """A successful sign-in.

    Attributes:
        server_url: The normalised server address.
        username: The account.
        remembered: Whether the sign-in is kept in the keyring for next time.
    """

    server_url: str
    username: str
    remembered: bool


class SignInDialog(QDialog):
    """The sign-in form; accepted once `AuthSession.sign_in` succeeded."""

    def __init__(
        self,
        parent: QWidget | None,
        session: AuthSession,
        *,
        server_url: str = "",
        username: str = "",
        remember: bool = True,
        server_locked: bool = False,
        allow_insecure_http: bool = False,
        reason: str = "",
    ) -> None:
        """Build the form, prefilled.

        Args:
            parent: Owner window.
            session: Signs in (on a worker thread).
            server_url: Prefill for the server address.
            username: Prefill for the user name.
            remember: Initial state of "remember me".
            server_locked: The organisation fixed the server address (greyed out).
            allow_insecure_http: An admin allowed http:// to other hosts.
            reason: A line explaining why sign-in is asked now (e.g. the sign-in expired).
        """
        super().__init__(parent)
        self.setObjectName("signInDialog")
        self.setMinimumWidth(480)
        self._session = session
        self._allow_insecure_http = allow_insecure_http
        self._reason = reason
        self._busy = False
        self.result_value: SignInResult | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 22, 24, 18)
        layout.setSpacing(12)
        header = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(48, 48))
        header.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.headline = QLabel()
        self.headline.setObjectName("dialogHeadline")
        titles.addWidget(self.headline)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("mutedLabel")
        self.subtitle.setWordWrap(True)
        titles.addWidget(self.subtitle)
        header.addLayout(titles, 1)
        header.setSpacing(14)
        layout.addLayout(header)

        form = QFormLayout()
        form.setLabelAlignment(_LABELS)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(8)
        self.server_label = QLabel()
        self.server_edit = QLineEdit(server_url)
        self.server_edit.setEnabled(not server_locked)
        form.addRow(self.server_label, self.server_edit)
        self.server_error = QLabel()
        self.server_error.setObjectName("fieldError")
        self.server_error.setWordWrap(True)
        self.server_error.hide()
        form.addRow("", self.server_error)
        self.user_label = QLabel()
        self.user_edit = QLineEdit(username)
        form.addRow(self.user_label, self.user_edit)
        self.password_label = QLabel()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.reveal_action = QAction(icon("eye"), "", self.password_edit)
        self.reveal_action.setCheckable(True)
        self.reveal_action.toggled.connect(self._on_reveal_action_toggled)
        self.password_edit.addAction(self.reveal_action, QLineEdit.ActionPosition.TrailingPosition)
        form.addRow(self.password_label, self.password_edit)
        self.remember_box = QCheckBox()
        self.remember_box.setChecked(remember)
        form.addRow("", self.remember_box)
        self.remember_note = QLabel()
        self.remember_note.setObjectName("hintLabel")
        self.remember_note.setWordWrap(True)
        self.remember_note.hide()
        form.addRow("", self.remember_note)
        self._no_keyring: CredentialStoreError | None = None
        layout.addLayout(form)

        self.error_frame = QFrame()
        self.error_frame.setObjectName("inlineError")
        error_layout = QHBoxLayout(self.error_frame)
        error_layout.setContentsMargins(12, 10, 12, 10)
        error_layout.setSpacing(10)
        badge = QLabel()
        badge.setPixmap(icon("error").pixmap(20, 20))
        error_layout.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        error_texts = QVBoxLayout()
        self.error_title = QLabel()
        self.error_title.setStyleSheet("font-weight: 600;")
        self.error_title.setWordWrap(True)
        self.error_message = QLabel()
        self.error_message.setWordWrap(True)
        error_texts.addWidget(self.error_title)
        error_texts.addWidget(self.error_message)
        self.session_only_button = QPushButton()
        self.session_only_button.clicked.connect(self._on_session_only_clicked)
        self.session_only_button.hide()
        error_texts.addWidget(self.session_only_button, 0, Qt.AlignmentFlag.AlignLeft)
        error_layout.addLayout(error_texts, 1)
        self.error_frame.hide()
        layout.addWidget(self.error_frame)

        self.status_label = QLabel()
        self.status_label.setObjectName("mutedLabel")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        footer = QHBoxLayout()
        footer.addWidget(self.status_label, 1)
        footer.addWidget(self.buttons)
        layout.addLayout(footer)
        # Only now is the button inside the dialog, so Enter in any field presses it. Set before,
        # the dialog would pick the first button in the tab order when shown (the hidden
        # "session only" one), and Enter would do nothing.
        self.sign_in_button.setDefault(True)

        for edit in (self.server_edit, self.user_edit, self.password_edit):
            edit.textChanged.connect(self._on_fields_changed)
        self.retranslate()
        self._on_fields_changed()
        first_empty = next(
            (e for e in (self.server_edit, self.user_edit) if e.isEnabled() and not e.text()),
            self.password_edit,
        )
        first_empty.setFocus()
        # Whether a sign-in can be remembered here is known before anything is sent: opening the
        # keyring may block (an unlock prompt), so it is asked on a worker thread.
        run_in_background(session.check_remembering, None, self._on_keyring_failed, context=self)

    # -- texts ----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.setWindowTitle(self.tr("Sign in"))
        self.headline.setText(self.tr("Sign in to Proctor Uploader"))
        self.subtitle.setText(
            self._reason or self.tr("Use the account your organisation gave you for uploads.")
        )
        self.server_label.setText(self.tr("Server address"))
        self.server_edit.setPlaceholderText("https://uploads.example.edu")
        self.user_label.setText(self.tr("User name"))
        self.password_label.setText(self.tr("Password"))
        self.remember_box.setText(self.tr("Keep me signed in on this computer"))
        self.remember_box.setToolTip(
            self.tr(
                "Stores a sign-in token (never your password) in this computer's password store."
            )
        )
        self.reveal_action.setToolTip(self.tr("Show or hide the password"))
        self.session_only_button.setText(self.tr("Sign in for this session only"))
        if self._no_keyring is not None:
            self.remember_note.setText(self._keyring_note(self._no_keyring))
        self.sign_in_button.setText(self.tr("Sign in"))
        if self._busy:
            self.status_label.setText(self.tr("Signing in…"))

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- behaviour ------------------------------------------------------------------------------

    def _keyring_note(self, exc: CredentialStoreError) -> str:
        if exc.title == CredentialStoreError.default_title:
            return self.tr(
                "This computer has no password store (keyring), so your sign-in cannot be kept. "
                "You will be asked for your password each time the app starts."
            )
        return error_text(exc.title, exc.message)[1]

    def _on_keyring_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, CredentialStoreError):
            logger.error("Checking the password store failed unexpectedly", exc_info=exc)
            return
        logger.info("Sign-in cannot be remembered: %s", exc.message)
        self._no_keyring = exc
        self.remember_box.setChecked(False)
        self.remember_box.setEnabled(False)
        self.remember_note.setText(self._keyring_note(exc))
        self.remember_note.show()
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow to show a line that appeared; wrapped text would otherwise be cut off."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        self.resize(self.width(), max(self.height(), self.heightForWidth(self.width())))

    @Slot(bool)
    def _on_reveal_action_toggled(self, shown: bool) -> None:
        self.password_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        )
        self.reveal_action.setIcon(icon("eye-off" if shown else "eye"))

    @Slot()
    def _on_fields_changed(self) -> None:
        filled = all(e.text().strip() for e in (self.server_edit, self.user_edit))
        self.sign_in_button.setEnabled(
            filled and bool(self.password_edit.text()) and not self._busy
        )

    def _validated_url(self) -> str | None:
        try:
            url = validate_server_url(
                self.server_edit.text(), allow_insecure_http=self._allow_insecure_http
            )
        except InvalidServerUrlError as exc:
            self.server_error.setText(error_text(exc.title, exc.message)[1])
            self.server_error.show()
            self.server_edit.setFocus()
            return None
        self.server_error.hide()
        return url

    @Slot()
    def _on_buttons_accepted(self) -> None:
        self._start(remember=self.remember_box.isChecked())

    @Slot()
    def _on_session_only_clicked(self) -> None:
        self.remember_box.setChecked(False)
        self._start(remember=False)

    def _start(self, *, remember: bool) -> None:
        if self._busy:
            return
        url = self._validated_url()
        if url is None:
            return
        username = self.user_edit.text().strip()
        password = self.password_edit.text()
        self._set_busy(True)
        self.error_frame.hide()
        session = self._session

        def sign_in() -> SignInResult:
            session.sign_in(url, username, password, remember=remember)
            return SignInResult(session.server_url or url, username, remember)

        run_in_background(sign_in, self._on_signed_in, self._on_sign_in_failed, context=self)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.user_edit, self.password_edit):
            widget.setEnabled(not busy)
        self.remember_box.setEnabled(not busy and self._no_keyring is None)
        self.status_label.setText(self.tr("Signing in…") if busy else "")
        self._on_fields_changed()

    def _on_signed_in(self, result: SignInResult) -> None:
        self._set_busy(False)
        self.password_edit.clear()
        self.result_value = result
        self.accept()

    def _on_sign_in_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.session_only_button.hide()
        # The fields were disabled while busy, which moved the focus to Cancel (and made it the
        # default button): give it back to the password, so Enter signs in again, never cancels.
        self.password_edit.setFocus()
        self.sign_in_button.setDefault(True)
        if isinstance(exc, InvalidServerUrlError):
            self.server_error.setText(error_text(exc.title, exc.message)[1])
            self.server_error.show()
            self.server_edit.setFocus()
            return
        if isinstance(exc, TooManyAttemptsError):
            title = self.tr("Too many sign-in attempts")
            if exc.retry_after:
                minutes = max(1, round(exc.retry_after / 60))
                message = self.tr(
                    "The server is refusing sign-ins for a while. Try again in about %n minute(s).",
                    "",
                    minutes,
                )
            else:
                message = self.tr(
                    "The server is refusing sign-ins for a while. Wait a few minutes, then try "
                    "again."
                )
        elif isinstance(exc, AuthError) and exc.title == "Sign-in failed":
            title = self.tr("Wrong user name or password")
            message = self.tr("Check them and try again. Passwords are case-sensitive.")
            self.password_edit.setFocus()
            self.password_edit.selectAll()
        elif isinstance(exc, CredentialStoreError):
            title, message = error_text(exc.title, exc.message)
            self._on_keyring_failed(exc)
            self.session_only_button.show()
        elif isinstance(exc, UploaderError):
            title, message = error_text(exc.title, exc.message)
        else:
            logger.error("Sign-in failed unexpectedly", exc_info=exc)
            title, message = error_text(None, None)
        if isinstance(exc, UploaderError):
            logger.info("Sign-in failed: %s", exc.title)
        self.error_title.setText(title)
        self.error_message.setText(message)
        self.error_frame.show()
        self._fit_height()

    def reject(self) -> None:
        """Close, unless a sign-in is in flight (its result would be lost)."""
        if not self._busy:
            super().reject()

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        session: AuthSession,
        *,
        server_url: str = "",
        username: str = "",
        remember: bool = True,
        server_locked: bool = False,
        allow_insecure_http: bool = False,
        reason: str = "",
    ) -> SignInResult | None:
        """Show the form until the user signs in (the result) or gives up (None)."""
        dialog = cls(
            parent,
            session,
            server_url=server_url,
            username=username,
            remember=remember,
            server_locked=server_locked,
            allow_insecure_http=allow_insecure_http,
            reason=reason,
        )
        dialog.exec()
        return dialog.result_value
