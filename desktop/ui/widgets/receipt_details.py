"""The selected receipt in full, under the history table: key, SHA-256, ETag and the rest.

The table has to cut the storage key and the checksum to fit; a proctor comparing a checksum with
an auditor's, or reading a key aloud, needs them whole. Every value is selectable text.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QWidget

from desktop.engine.receipt import Receipt
from desktop.trust.verify import Verdict
from desktop.ui.text import labels
from desktop.ui.text.verdicts import reason_text

# Form labels sit level with the first line of their (possibly wrapped) value.
_LABELS = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop


class ReceiptDetailsWidget(QFrame):
    """Shows one receipt's fields whole; hidden while zero or several rows are selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Build the empty, hidden panel."""
        super().__init__(parent)
        self.setObjectName("receiptDetails")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        form = QFormLayout(self)
        form.setLabelAlignment(_LABELS)
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(4)
        form.setContentsMargins(12, 8, 12, 8)
        self._names: dict[str, QLabel] = {}
        self.values: dict[str, QLabel] = {}
        for field in ("path", "key", "sha256", "etag", "size", "upload_id", "signed"):
            name = QLabel()
            name.setObjectName("mutedLabel")
            value = QLabel()
            value.setObjectName(f"receipt_{field}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            form.addRow(name, value)
            self._names[field] = name
            self.values[field] = value
        self._receipt: Receipt | None = None
        self._verdict: Verdict | None = None
        self.retranslate()
        self.hide()

    def retranslate(self) -> None:
        """Set every label in the current language."""
        titles = {
            "path": self.tr("File"),
            "key": self.tr("Storage key"),
            "sha256": self.tr("SHA-256"),
            "etag": self.tr("ETag"),
            "size": self.tr("Size"),
            "upload_id": self.tr("Upload ID"),
            "signed": self.tr("Signed receipt"),
        }
        for field, title in titles.items():
            self._names[field].setText(title)
        self.show_receipt(self._receipt, self._verdict)

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def show_receipt(self, receipt: Receipt | None, verdict: Verdict | None = None) -> None:
        """Show `receipt` whole (and whether its signature holds), or hide the panel for None."""
        self._receipt = receipt
        self._verdict = verdict
        if receipt is None:
            self.hide()
            return
        size = self.tr("{size} ({bytes} bytes)").format(
            size=labels.format_size(receipt.size), bytes=f"{receipt.size:,}"
        )
        texts = {
            "path": receipt.path,
            "key": receipt.key,
            "sha256": receipt.sha256,
            "etag": receipt.etag,
            "size": size,
            "upload_id": receipt.upload_id,
            "signed": self._signed_text(receipt, verdict),
        }
        for field, text in texts.items():
            self.values[field].setText(text)
        self.show()

    def _signed_text(self, receipt: Receipt, verdict: Verdict | None) -> str:
        if not receipt.signed:
            return self.tr("None: the server did not sign this receipt.")
        if verdict is None:
            return self.tr("Signed; not checked yet.")
        # The reason is the verifier's own words: it names the key and the claim that differ.
        if verdict.ok:
            return self.tr("Verified: {reason}").format(reason=reason_text(verdict))
        return self.tr("NOT verified: {reason}").format(reason=reason_text(verdict))
