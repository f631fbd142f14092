"""Signing in: silently when remembered, else with the form; again when it ends; signing out."""

from __future__ import annotations

import dataclasses
import logging
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication, QTimer, Slot

from desktop.engine.instance import AlreadyRunningError
from desktop.ui.control.base import ControllerParts
from desktop.ui.dialogs.confirm import ConfirmDialog
from desktop.ui.dialogs.login import SignInDialog, SignInResult
from desktop.ui.messages import Level
from desktop.ui.tasks import run_in_background

logger = logging.getLogger(__name__)


class SignInFlow(ControllerParts):
    """Sign-in at start, on request and when the server ends the session; the one-engine lock."""

    def start(self) -> None:
        """Show the window (or only the tray), then sign in silently or ask."""
        self._begin(minimized=self.config.start_minimized)
        self._sign_in_at_start()

    def _sign_in_at_start(self) -> None:
        config, session = self.config, self.services.session
        remembered = bool(config.server_url and config.username and config.remember_me)
        if remembered:
            self.window.set_account("")
            self.window.summary_label.setText(
                QCoreApplication.translate("AppController", "Signing in…")
            )

        def restore() -> bool:
            # The engine lock comes first, before any credential is touched. A remembered sign-in
            # is used by rotating its refresh token, and signing in session-only forgets the
            # remembered one: were a command uploading with that sign-in, either would pull it
            # from under the command. A second instance stops here and says so.
            self._hold_engine_lock()
            return remembered and session.restore(config.server_url, config.username)

        run_in_background(restore, self._on_restored, self._on_restore_failed, context=self)

    def _hold_engine_lock(self) -> None:
        """Take the one-engine-per-user lock unless already held (on a worker thread).

        Raises:
            AlreadyRunningError: A command (or another app) is uploading on this computer.
        """
        if self._release_lock is None:
            self._release_lock = self.services.acquire_engine_lock()

    def start_signed_in(self, server_url: str, username: str, password: str) -> None:
        """Show the window and sign in with a known password, for this session only (the demo)."""
        self._begin(minimized=False)
        session = self.services.session
        self.window.summary_label.setText(
            QCoreApplication.translate("AppController", "Signing in…")
        )

        def sign_in() -> SignInResult:
            session.sign_in(server_url, username, password, remember=False)
            return SignInResult(session.server_url or server_url, username, False)

        run_in_background(
            sign_in,
            lambda result: self._on_signed_in(result, save=False),
            self._on_restore_failed,
            context=self,
        )

    def _on_restored(self, restored: bool) -> None:
        if restored:
            session = self.services.session
            self._on_signed_in(
                SignInResult(session.server_url or "", session.username or "", True), save=False
            )
        else:
            self.sign_in()

    def _on_restore_failed(self, exc: BaseException) -> None:
        if isinstance(exc, AlreadyRunningError):
            self._tell_already_running()
            return
        self.messages.error(exc, doing="restoring the remembered sign-in")
        self.sign_in()

    def _tell_already_running(self) -> None:
        logger.info("Another instance holds the engine lock; not signing in")
        self.window.show_summary(self.model.summary)  # no longer "Signing in…"
        notice = self.window.notices.post(
            Level.WARNING.value,
            QCoreApplication.translate("AppController", "Already uploading elsewhere"),
            QCoreApplication.translate(
                "AppController",
                "Another Proctor Uploader (a command in a terminal, or another window) is "
                "uploading on this computer. Let it finish, then try again.",
            ),
        )
        notice.add_action(
            QCoreApplication.translate("AppController", "Try again"), self.start_again
        )

    @Slot()
    def start_again(self) -> None:
        """Sign in again once the other instance has finished (the notice's "Try again")."""
        if self._release_lock is not None or self._shut_down:
            return
        if self.services.session.is_signed_in:
            self._start_queue()
        else:
            self._sign_in_at_start()

    @Slot()
    def sign_in(self, reason: str = "") -> bool:
        """Show the sign-in form (once at a time); True when the user signed in."""
        if self._signing_in or self._shut_down:
            return False
        self._signing_in = True
        try:
            config = self.config
            result = SignInDialog.ask(
                self.window if self.window.isVisible() else None,
                self.services.session,
                server_url=config.server_url,
                username=config.username or (self.services.session.username or ""),
                remember=config.remember_me,
                server_locked=config.server_url_locked,
                allow_insecure_http=config.allow_insecure_http,
                reason=reason,
            )
        finally:
            self._signing_in = False
        if result is None:
            self.window.show_summary(self.model.summary)
            if not self.services.session.is_signed_in:
                notice = self.window.notices.post(
                    Level.INFO.value,
                    QCoreApplication.translate("AppController", "You are not signed in"),
                    QCoreApplication.translate(
                        "AppController",
                        "Sign in to upload recordings. Files you add wait until then.",
                    ),
                )
                notice.add_action(
                    QCoreApplication.translate("AppController", "Sign in"),
                    self._on_sign_in_triggered,
                )
            return False
        self._on_signed_in(result, save=True)
        return True

    def _on_signed_in(self, result: SignInResult, *, save: bool) -> None:
        host = urlsplit(result.server_url).netloc or result.server_url
        self.receipt_keys.check(result.server_url)
        self.window.set_account(f"{result.username} @ {host}")
        self.window.show_summary(self.model.summary)
        if save:
            self.update_config(
                dataclasses.replace(
                    self.config,
                    server_url=result.server_url,
                    username=result.username,
                    remember_me=result.remembered,
                )
            )
        queue = self.queue
        if queue is not None and queue.api.server_url == result.server_url:
            self.command(queue.login_restored, doing="resuming after sign-in")
            self._process_pending_adds()
        elif queue is None:
            self._start_queue()
        else:
            # A different server: the old queue's uploads belong there; start afresh here.
            old, self.queue = queue, None
            self.command(lambda: old.shutdown(pause=True), doing="switching servers")
            self._start_queue()

    @Slot()
    def _on_bridge_login_required(self) -> None:
        title = QCoreApplication.translate("AppController", "Sign in to continue uploading")
        message = QCoreApplication.translate(
            "AppController",
            "Your sign-in has ended. Uploads are waiting, and nothing is lost: sign in again and "
            "they continue where they stopped.",
        )
        self.tray.notify(Level.WARNING, title, message)
        if self._signing_in:
            return
        notice = self.window.notices.post(Level.WARNING.value, title, message)
        notice.add_action(
            QCoreApplication.translate("AppController", "Sign in"), self._on_sign_in_triggered
        )
        if self.window.isVisible():
            QTimer.singleShot(0, self, lambda: self.sign_in(message))

    @Slot()
    def _on_sign_in_triggered(self) -> None:
        self.sign_in()

    @Slot()
    def _on_sign_out_triggered(self) -> None:
        if self.model.summary.active and not ConfirmDialog.ask(
            self.window,
            QCoreApplication.translate("AppController", "Sign out while uploading?"),
            QCoreApplication.translate(
                "AppController",
                "Uploads wait until you sign in again, then continue where they stopped.",
            ),
            confirm=QCoreApplication.translate("AppController", "Sign out"),
            cancel=QCoreApplication.translate("AppController", "Stay signed in"),
        ):
            return
        session = self.services.session

        def signed_out(_: object) -> None:
            self.window.set_account("")
            self.sign_in()

        run_in_background(
            session.sign_out,
            signed_out,
            lambda exc: self.messages.error(exc, doing="signing out"),
            context=self,
        )
