"""The History tab shows whether each receipt is signed and verified, and a changed server key is
reported to the proctor: real window, real engine, real backend signing receipts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from backend.receipts.signing_keys import KEYS_FILE, SigningKeys
from desktop.file_scan import Selection
from desktop.ui.controller import AppController
from desktop.ui.dialogs.add_files import AddFilesDialog, AddRequest
from desktop.ui.views.history import HistoryModel
from tests.ui.harness import MIB, Harness, UiStack, signed_in_config, write_recording

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TIMEOUT = 60_000


def _receipt_cell(model: HistoryModel, name: str) -> str | None:
    for row, receipt in enumerate(model.receipts()):
        if Path(receipt.path).name == name:
            return str(model.data(model.index(row, HistoryModel.SIGNED_COLUMN)))
    return None


def _upload(controller: AppController, qtbot: Any, path: Path) -> None:
    def ask(parent: Any, selection: Selection, **kwargs: Any) -> AddRequest | None:
        dialog = AddFilesDialog(parent, selection, **kwargs)
        qtbot.addWidget(dialog)
        dialog.exam_edit.setText("LAW-3")
        return dialog.request()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(AddFilesDialog, "ask", ask)
        controller.add_paths([str(path)])
        history = controller.window.history_view.model
        qtbot.waitUntil(lambda: _receipt_cell(history, path.name) is not None, timeout=TIMEOUT)


def _notice_titles(controller: AppController) -> list[str]:
    return [n.key[1] for n in controller.window.notices.notices()]


def test_history_shows_signed_and_verified_and_a_changed_key_is_reported(
    harness_factory: Any, stack: UiStack, qtbot: Any, tmp_path: Path
) -> None:
    harness: Harness = harness_factory(signed_in_config(stack))
    controller = harness.controller
    controller.start_signed_in(stack.url, stack.username, stack.password)
    qtbot.waitUntil(lambda: controller.queue is not None, timeout=TIMEOUT)
    history = controller.window.history_view.model
    assert history.headerData(HistoryModel.SIGNED_COLUMN, Qt.Orientation.Horizontal) == "Receipt"

    first = write_recording(tmp_path / "webcam_first.mp4", MIB)
    _upload(controller, qtbot, first)
    qtbot.waitUntil(lambda: _receipt_cell(history, first.name) == "Signed, verified")
    row = [Path(r.path).name for r in history.receipts()].index(first.name)
    tip = history.data(history.index(row, HistoryModel.SIGNED_COLUMN), Qt.ItemDataRole.ToolTipRole)
    assert "signature and claims hold" in str(tip)
    assert "The server's signing keys changed" not in _notice_titles(controller)

    # The server's key file is replaced behind the proctor's back; the next sign-in says so.
    data_dir = stack.backend.settings.data_dir
    (data_dir / KEYS_FILE).unlink()
    SigningKeys(data_dir)
    controller.start_signed_in(stack.url, stack.username, stack.password)
    qtbot.waitUntil(
        lambda: "The server's signing keys changed" in _notice_titles(controller), timeout=TIMEOUT
    )
    # Earlier receipts still verify with the pinned key; one signed with the new key does not.
    second = write_recording(tmp_path / "screen_second.mkv", MIB)
    _upload(controller, qtbot, second)
    qtbot.waitUntil(lambda: _receipt_cell(history, second.name) == "Signed, NOT verified")
    assert _receipt_cell(history, first.name) == "Signed, verified"
    # The details under the table say why, in full.
    view = controller.window.history_view
    view.search.setText(second.name)
    view.table.selectRow(0)
    detail = view.details.values["signed"].text()
    assert detail.startswith("NOT verified: signed by key "), detail
    assert "not among the trusted keys" in detail
    view.search.setText(first.name)
    view.table.selectRow(0)
    assert view.details.values["signed"].text().startswith("Verified: signature and claims hold")
