"""History: the selected receipt is shown whole (key, SHA-256, ETag), not cut as in the table."""

from __future__ import annotations

import hashlib
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt

from desktop.engine.receipt import Receipt
from desktop.ui.text import i18n
from desktop.ui.views.history import HistoryView


def _receipt(n: int) -> Receipt:
    name = f"webcam_candidate_{n:03}_with_a_long_descriptive_name.mp4"
    return Receipt(
        job_id=f"j{n}",
        path=f"/home/proctor/Recordings/BIO-101/room-214/{name}",
        key=f"recordings/webcam/2024/05/0{n}/BIO-101/proctor.kim/{name}",
        size=2_480_343_613 + n,
        sha256=hashlib.sha256(bytes([n])).hexdigest(),
        etag=f'"{n:032x}-127"',
        completed_at=f"2024-05-0{n}T10:00:00Z",
        exam_id="BIO-101",
        kind="webcam",
        upload_id=f"up_{n:022}",
    )


def test_the_selected_receipt_is_shown_whole(qtbot: Any) -> None:
    view = HistoryView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    receipts = [_receipt(1), _receipt(2)]
    view.model.set_receipts(receipts)
    assert not view.details.isVisible()  # nothing selected

    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Home)  # the keyboard selects the newest row
    newest = receipts[1]
    assert view.details.isVisible()
    shown = {field: label.text() for field, label in view.details.values.items()}
    assert shown["key"] == newest.key
    assert shown["sha256"] == newest.sha256
    assert shown["etag"] == newest.etag
    assert shown["path"] == newest.path
    assert shown["upload_id"] == newest.upload_id
    assert f"{newest.size:,} bytes" in shown["size"]
    # The table itself cuts the checksum: the panel is the only place it is whole.
    cell = view.proxy.index(0, 6).data()
    assert cell != newest.sha256
    assert view.details.values["sha256"].textInteractionFlags() & (
        Qt.TextInteractionFlag.TextSelectableByMouse
    )

    # Two rows selected: no single receipt to show.
    view.table.selectionModel().select(
        view.proxy.index(1, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert not view.details.isVisible()


def test_receipt_details_in_korean(qtbot: Any) -> None:
    view = HistoryView()
    qtbot.addWidget(view)
    view.model.set_receipts([_receipt(3)])
    view.table.selectRow(0)
    i18n.apply_language("ko")
    qtbot.waitUntil(lambda: "바이트" in view.details.values["size"].text())
