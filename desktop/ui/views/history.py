"""History: the receipts of every finished upload, searchable and exportable to CSV.

The last column says whether the server signed the receipt and whether the signature holds under
the keys pinned for that server (checked on demand, row by row, and remembered).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

import jwt
from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.engine.receipt import Receipt, to_dict
from desktop.engine.receipts import export
from desktop.trust.verify import NOT_SIGNED, Verdict, verify_signed
from desktop.ui.assets import icon
from desktop.ui.tasks import run_in_background
from desktop.ui.text import labels
from desktop.ui.text.verdicts import reason_text
from desktop.ui.widgets.receipt_details import ReceiptDetailsWidget

logger = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex
#: The receipt of a row.
ReceiptRole = Qt.ItemDataRole.UserRole + 1
_SORT_ROLE = Qt.ItemDataRole.UserRole + 2


def local_time(iso: str) -> str:
    """An ISO 8601 UTC time as local `YYYY-MM-DD HH:MM` (the text itself when it cannot parse)."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def write_csv(path: Path, receipts: list[Receipt]) -> int:
    """Write `receipts` as the engine's CSV export (the CLI's too), with a byte order mark so
    spreadsheet apps open Hangul correctly.

    Returns:
        The number of rows written.
    """
    export(receipts, path, fmt="csv", bom=True)
    return len(receipts)


class HistoryModel(QAbstractTableModel):
    """Receipts, newest first."""

    COLUMNS = 8
    SIGNED_COLUMN = 7

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create an empty model."""
        super().__init__(parent)
        self._rows: list[Receipt] = []
        self._ids: set[str] = set()
        self._keys: jwt.PyJWKSet | None = None
        self._verdicts: dict[str, Verdict] = {}
        self._checking = False  # a batch check runs in the background
        self._generation = 0  # bumped by every batch check; a stale one's answer is dropped

    def set_trusted_keys(self, keys: jwt.PyJWKSet | None) -> None:
        """Check signed receipts against `keys` (the server's pinned keys) from now on."""
        self._keys = keys
        self._verify_all()

    def verdict(self, receipt: Receipt) -> Verdict | None:
        """Whether `receipt`'s signature holds; None while not known yet (no keys, or checking)."""
        if not receipt.signed:
            return Verdict(False, NOT_SIGNED)
        found = self._verdicts.get(receipt.upload_id)
        if found is None and self._keys is not None and not self._checking:
            # A receipt that arrived after the batch check: one Ed25519 check (~0.2 ms).
            found = verify_signed(to_dict(receipt), self._keys)
            self._verdicts[receipt.upload_id] = found
        return found

    def _verify_all(self) -> None:
        """Check every row off the GUI thread (a long history costs 0.2 ms a receipt)."""
        self._verdicts.clear()
        self._generation += 1
        keys, rows, generation = self._keys, list(self._rows), self._generation
        self._checking = keys is not None and bool(rows)
        self._signed_column_changed()
        if not self._checking or keys is None:
            return

        def check() -> dict[str, Verdict]:
            return {r.upload_id: verify_signed(to_dict(r), keys) for r in rows if r.signed}

        def done(verdicts: dict[str, Verdict]) -> None:
            if generation != self._generation:
                return  # other keys or rows arrived meanwhile; their own check is under way
            self._verdicts.update(verdicts)
            self._checking = False
            self._signed_column_changed()

        run_in_background(check, done, context=self)

    def _signed_column_changed(self) -> None:
        if self._rows:
            column = self.SIGNED_COLUMN
            self.dataChanged.emit(self.index(0, column), self.index(len(self._rows) - 1, column))

    def set_receipts(self, receipts: list[Receipt]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = sorted(receipts, key=lambda r: r.completed_at, reverse=True)
        self._ids = {r.job_id for r in self._rows}
        self.endResetModel()
        self._verify_all()

    @Slot(Receipt)
    def add_receipt(self, receipt: Receipt) -> None:
        """Add one receipt on top (a duplicate of a known job is ignored)."""
        self.add_receipts([receipt])

    @Slot(list)
    def add_receipts(self, receipts: list[Receipt]) -> None:
        """Add receipts on top in one insertion, the last one first (known jobs are ignored)."""
        new: dict[str, Receipt] = {}
        for receipt in receipts:
            if receipt.job_id not in self._ids:
                new[receipt.job_id] = receipt
        if not new:
            return
        self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
        self._rows[:0] = reversed(new.values())
        self._ids.update(new)
        self.endInsertRows()

    def receipts(self) -> list[Receipt]:
        """Every receipt, newest first."""
        return list(self._rows)

    def retranslate(self) -> None:
        """Re-read translated texts."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.COLUMNS - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        """Number of receipts."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        """Number of columns."""
        return 0 if parent.isValid() else self.COLUMNS

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        """Column titles."""
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        titles = (
            self.tr("Uploaded"),
            self.tr("File"),
            self.tr("Exam"),
            self.tr("Kind"),
            self.tr("Size"),
            self.tr("Storage key"),
            self.tr("SHA-256"),
            self.tr("Receipt"),
        )
        return titles[section] if 0 <= section < len(titles) else None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        """Selectable, read-only."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Cell values."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        receipt = self._rows[index.row()]
        column = index.column()
        if role == ReceiptRole:
            return receipt
        if role == _SORT_ROLE:
            sort_keys: tuple[object, ...] = (
                receipt.completed_at,
                os.path.basename(receipt.path).lower(),
                receipt.exam_id,
                receipt.kind,
                receipt.size,
                receipt.key,
                receipt.sha256,
                bool(receipt.signed),
            )
            return sort_keys[column]
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                local_time(receipt.completed_at),
                os.path.basename(receipt.path),
                receipt.exam_id,
                labels.kind_label(receipt.kind),
                labels.format_size(receipt.size),
                receipt.key,
                receipt.sha256[:16] + "…",
                self._signed_text(receipt),
            )
            return values[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            tips = (
                receipt.completed_at,
                receipt.path,
                None,
                None,
                f"{receipt.size:,}",
                receipt.key,
            )
            verdict = self.verdict(receipt) if column == self.SIGNED_COLUMN else None
            return (*tips, receipt.sha256, reason_text(verdict) if verdict else None)[column]
        if role == Qt.ItemDataRole.DecorationRole and column == self.SIGNED_COLUMN:
            verdict = self.verdict(receipt)
            if verdict is None or not receipt.signed:
                return None
            return icon("success" if verdict.ok else "warning")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _signed_text(self, receipt: Receipt) -> str:
        if not receipt.signed:
            return self.tr("Not signed")
        verdict = self.verdict(receipt)
        if verdict is None:
            return self.tr("Signed")
        return self.tr("Signed, verified") if verdict.ok else self.tr("Signed, NOT verified")


class HistoryView(QWidget):
    """Search box, receipts table, Copy key and Export CSV."""

    sig_export_finished = Signal(str, int)
    """A CSV export was written: (path, number of receipts)."""

    sig_export_failed = Signal(str)
    """A CSV export could not be written: (the OS error text)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Build the view with an empty model."""
        super().__init__(parent)
        self.model = HistoryModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortRole(_SORT_ROLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.search.textChanged.connect(self._on_search_text_changed)
        bar.addWidget(self.search, 1)
        self.count_label = QLabel()
        self.count_label.setObjectName("mutedLabel")
        bar.addWidget(self.count_label)
        self.copy_button = QPushButton(icon("copy"), "")
        self.copy_button.clicked.connect(self._on_copy_clicked)
        bar.addWidget(self.copy_button)
        self.export_button = QPushButton(icon("export"), "")
        self.export_button.clicked.connect(self._on_export_clicked)
        bar.addWidget(self.export_button)
        layout.addLayout(bar)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)  # whole rows: Tab leaves the table, as in Uploads
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 136), (1, 230), (2, 90), (3, 76), (4, 76), (6, 150), (7, 150)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        layout.addWidget(self.table, 1)
        self.details = ReceiptDetailsWidget()
        layout.addWidget(self.details)
        self.model.rowsInserted.connect(self._update_count)
        self.model.modelReset.connect(self._update_count)
        # A verdict that arrives from the background check updates the details shown.
        self.model.dataChanged.connect(self._on_model_data_changed)
        self.retranslate()
        self._on_selection_changed()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.search.setPlaceholderText(self.tr("Search by file, exam, key or checksum"))
        self.copy_button.setText(self.tr("Copy storage key"))
        self.export_button.setText(self.tr("Export CSV…"))
        self.model.retranslate()
        self._update_count()

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def selected_receipts(self) -> list[Receipt]:
        """The receipts of the selected rows, in view order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        found = [self.proxy.index(row, 0).data(ReceiptRole) for row in rows]
        return [r for r in found if isinstance(r, Receipt)]

    @Slot()
    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        if shown == total:
            self.count_label.setText(self.tr("%n upload(s)", "", total))
        else:
            self.count_label.setText(self.tr("{shown} of {total}").format(shown=shown, total=total))
        self.export_button.setEnabled(total > 0)

    @Slot(str)
    def _on_search_text_changed(self, _text: str) -> None:
        self._update_count()

    @Slot()
    def _on_model_data_changed(self) -> None:
        if self.details.isVisible():
            self._on_selection_changed()

    @Slot()
    def _on_selection_changed(self) -> None:
        self.copy_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
        selected = self.selected_receipts()
        receipt = selected[0] if len(selected) == 1 else None
        verdict = self.model.verdict(receipt) if receipt is not None else None
        self.details.show_receipt(receipt, verdict)

    @Slot()
    def _on_copy_clicked(self) -> None:
        keys = [r.key for r in self.selected_receipts()]
        if keys:
            QGuiApplication.clipboard().setText("\n".join(keys))

    @Slot()
    def _on_export_clicked(self) -> None:
        default = f"proctor-uploads-{datetime.now():%Y-%m-%d}.csv"
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export upload history"), default, self.tr("CSV files (*.csv)")
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write the receipts matching the current search to `path` as CSV, off the GUI thread."""
        rows = [self.proxy.index(r, 0).data(ReceiptRole) for r in range(self.proxy.rowCount())]
        receipts = [r for r in rows if isinstance(r, Receipt)]
        if path.suffix.lower() != ".csv":
            path = path.with_name(path.name + ".csv")
        run_in_background(
            lambda: write_csv(path, receipts),
            lambda count: self.sig_export_finished.emit(str(path), count),
            self._on_export_failed,
            context=self,
        )

    def _on_export_failed(self, exc: BaseException) -> None:
        logger.warning("CSV export failed: %s", exc)
        self.sig_export_failed.emit(str(exc))
