"""Settings: edited in the dialog, saved off the GUI thread, applied live where they can be."""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import Slot

from desktop import wiring
from desktop.config import AppConfig
from desktop.ui.control.base import ControllerParts
from desktop.ui.dialogs.settings import SettingsDialog
from desktop.ui.tasks import run_in_background
from desktop.ui.text import i18n

logger = logging.getLogger(__name__)


class SettingsFlow(ControllerParts):
    """Adopting, saving and applying settings (language, concurrency, bandwidth, watch folder)."""

    def update_config(self, config: AppConfig) -> None:
        """Adopt `config` and save it off the GUI thread."""
        self.config = config
        path = self.services.paths.config_file
        run_in_background(
            lambda: config.save(path),
            None,
            lambda exc: self.messages.error(exc, doing="saving settings"),
            context=self,
        )

    @Slot()
    def _on_settings_triggered(self) -> None:
        session = self.services.session
        server = (session.server_url or "") if session.is_signed_in else ""
        edited = SettingsDialog.ask(self.window, self.config, server_url=server)
        if edited is not None:
            self.apply_settings(edited)

    def apply_settings(self, new: AppConfig) -> None:
        """Save `new` and apply what can change live."""
        old = self.config
        self.update_config(new)
        if new.language != old.language:
            i18n.apply_language(new.language)
            self.tray.retranslate()
        self.tray.notifications_enabled = new.notifications
        queue = self.queue
        if queue is not None and (new.parallel_files, new.parallel_parts) != (
            old.parallel_files,
            old.parallel_parts,
        ):
            files, parts = wiring.concurrency(new)
            self.command(
                lambda: queue.set_concurrency(files=files, parts=parts),
                doing="changing parallel uploads",
            )
        self._apply_bandwidth()
        self.watch.configure(
            enabled=new.watch_enabled,
            folder=new.watch_path,
            settle_seconds=new.watch_settle_seconds,
            follow=new.follow_recordings,
        )
        self._update_keep_awake(self.model.summary)

    @Slot()
    def _apply_bandwidth(self) -> None:
        queue = self.queue
        kib = self.config.effective_bandwidth_kib(datetime.now())
        if queue is None or kib == self._bandwidth_kib:
            return
        self._bandwidth_kib = kib
        logger.info("Bandwidth limit now %s", f"{kib} KiB/s" if kib else "unlimited")
        self.command(
            lambda: queue.set_bandwidth_limit(kib * 1024), doing="changing the bandwidth limit"
        )
