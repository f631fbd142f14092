"""After each sign-in: pin the server's receipt-signing keys, tell the proctor when they changed,
and hand the trusted keys to the History tab so it can show which receipts verify.

The network call and the pin file run on a worker thread; only the outcome reaches the GUI thread.
"""

from __future__ import annotations

import logging
from pathlib import Path

import jwt
from PySide6.QtCore import QObject

from desktop.auth.session import AuthSession
from desktop.errors import UploaderError
from desktop.trust.pins import KeyPins, PinCheck, PinStatus, check_server_keys
from desktop.trust.verify import KeySetError, load_key_set
from desktop.ui.messages import Level, MessageCenter
from desktop.ui.tasks import run_in_background
from desktop.ui.views.history import HistoryModel

logger = logging.getLogger(__name__)

_Result = tuple[PinCheck | None, jwt.PyJWKSet | None]


class ReceiptKeyCheck(QObject):
    """Checks the signed-in server's receipt keys against the pins in `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        session: AuthSession,
        messages: MessageCenter,
        history: HistoryModel,
        parent: QObject | None = None,
    ) -> None:
        """Keep pins in `data_dir`; report through `messages`; give the keys to `history`."""
        super().__init__(parent)
        self._pins = KeyPins(data_dir)
        self._session = session
        self._messages = messages
        self._history = history

    def check(self, server_url: str) -> None:
        """Fetch and compare the keys of `server_url` (the session's server) in the background."""
        pins, session = self._pins, self._session

        def work() -> _Result:
            check = None
            try:
                check = check_server_keys(pins, session.api())
            except UploaderError as exc:
                # Offline or an older server: receipts are still checked with the pinned keys.
                logger.info("Receipt keys of %s not checked: %s", server_url, exc.message)
            pinned = pins.keys_for(server_url)
            try:
                return check, load_key_set(pinned) if pinned else None
            except KeySetError:
                logger.warning("The pinned receipt keys of %s are unusable", server_url)
                return check, None

        run_in_background(work, self._on_checked, self._on_failed, context=self)

    def _on_checked(self, result: _Result) -> None:
        check, keys = result
        self._history.set_trusted_keys(keys)
        if check is None:
            return
        if check.status is PinStatus.CHANGED:
            self._messages.notify(
                Level.WARNING,
                self.tr("The server's signing keys changed"),
                self.tr(
                    "{server} no longer publishes the keys it signed receipts with when you first "
                    "signed in. New receipts will show as not verified. Ask your exam office "
                    "whether the keys were replaced."
                ).format(server=check.server_url),
            )
        elif check.status is PinStatus.ROTATED:
            self._messages.notify(
                Level.INFO,
                self.tr("The server has a new signing key"),
                self.tr(
                    "{server} signs receipts with a new key from now on; earlier receipts still "
                    "verify."
                ).format(server=check.server_url),
            )

    def _on_failed(self, exc: BaseException) -> None:
        self._messages.error(exc, doing="checking the server's receipt-signing keys")
