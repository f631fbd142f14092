"""The small prompt shown when files are added: which exam, which kind, add the others too?"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.file_scan import FoundFile, Selection
from desktop.recordings import KINDS, guess_kind, kind_for
from desktop.ui.assets import icon
from desktop.ui.text import labels

# Form labels sit level with the middle of their field, whatever its height.
_LABELS = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
# The backend's rule for exam ids (they become a storage key segment).
_EXAM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_AUTO = "auto"
_LIST_LIMIT = 200  # more rows than this only slow the dialog down; the count says the rest


@dataclass(frozen=True, slots=True)
class AddRequest:
    """What the user confirmed.

    Attributes:
        files: Each file with the kind it will be uploaded as.
        exam_id: The exam they belong to.
        chosen_kind: The kind picked in the prompt (`auto` when detected from names).
    """

    files: tuple[tuple[Path, str], ...]
    exam_id: str
    chosen_kind: str


def exam_id_problem(exam_id: str) -> str | None:
    """Why `exam_id` is not acceptable (translated), or None when it is fine."""
    if not exam_id:
        return QCoreApplication.translate(
            "AddFilesDialog", "Enter the exam ID, for example BIO-101."
        )
    if not _EXAM_ID.match(exam_id) or ".." in exam_id:
        return QCoreApplication.translate(
            "AddFilesDialog",
            "Use only letters, digits, '.', '_' and '-', starting with a letter or digit.",
        )
    return None


class AddFilesDialog(QDialog):
    """Asks for the exam ID and the kind of the files being added."""

    def __init__(
        self,
        parent: QWidget | None,
        selection: Selection,
        *,
        last_exam_id: str,
        last_kind: str,
        known_exams: list[str],
    ) -> None:
        """Build the prompt for `selection`."""
        super().__init__(parent)
        self.setObjectName("addFilesDialog")
        self.setMinimumWidth(520)
        self._selection = selection
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        self.headline = QLabel()
        self.headline.setObjectName("dialogHeadline")
        layout.addWidget(self.headline)
        self.summary = QLabel()
        self.summary.setObjectName("mutedLabel")
        layout.addWidget(self.summary)
        self.file_list = QListWidget()
        self.file_list.setObjectName("fileList")
        self.file_list.setIconSize(QSize(16, 16))
        self.file_list.setMaximumHeight(150)
        self.file_list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.file_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.file_list)

        form = QFormLayout()
        form.setLabelAlignment(_LABELS)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.exam_label = QLabel()
        self.exam_edit = QLineEdit(last_exam_id)
        self.exam_edit.setMaxLength(128)
        if known_exams:
            completer = QCompleter(sorted(set(known_exams)), self)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            self.exam_edit.setCompleter(completer)
        form.addRow(self.exam_label, self.exam_edit)
        self.exam_error = QLabel()
        self.exam_error.setObjectName("fieldError")
        self.exam_error.setWordWrap(True)
        self.exam_error.hide()
        form.addRow("", self.exam_error)
        self.kind_label = QLabel()
        self.kind_combo = QComboBox()
        for value in (_AUTO, *KINDS):
            self.kind_combo.addItem("", value)
        detected = any(guess_kind(f.path.name) for f in selection.recordings)
        default_kind = _AUTO if detected else last_kind
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(default_kind)))
        form.addRow(self.kind_label, self.kind_combo)
        layout.addLayout(form)

        self.others_box = QCheckBox()
        self.others_hint = QLabel()
        self.others_hint.setObjectName("hintLabel")
        self.others_hint.setWordWrap(True)
        layout.addWidget(self.others_box)
        layout.addWidget(self.others_hint)
        has_others = bool(selection.others)
        self.others_box.setVisible(has_others)
        self.others_hint.setVisible(has_others)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        # Set once the button is inside the dialog: before, the dialog ignores it and, when shown,
        # makes the first button in the tab order the default (Cancel, in some button orders).
        self.ok_button.setDefault(True)

        self.exam_edit.textChanged.connect(self._on_inputs_changed)
        self.kind_combo.currentIndexChanged.connect(self._on_inputs_changed)
        self.others_box.toggled.connect(self._on_inputs_changed)
        self.retranslate()
        # The exam is what people type here; when last time's is prefilled, it is selected, so
        # Enter accepts it and typing replaces it.
        self.exam_edit.selectAll()
        self.exam_edit.setFocus()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.setWindowTitle(self.tr("Add recordings"))
        self.exam_label.setText(self.tr("Exam ID"))
        self.exam_edit.setPlaceholderText(self.tr("for example BIO-101"))
        self.kind_label.setText(self.tr("Recording kind"))
        kinds = [self.tr("Detect from file names")] + [labels.kind_label(k) for k in KINDS]
        for i, label in enumerate(kinds):
            self.kind_combo.setItemText(i, label)
        self.ok_button.setText(self.tr("Add to queue"))
        others = self._selection.others
        names = ", ".join(f.path.name for f in others[:3]) + (", …" if len(others) > 3 else "")
        self.others_box.setText(
            self.tr("Also add %n file(s) that are not recordings", "", len(others))
        )
        self.others_hint.setText(
            self.tr("Not recordings: {names}. Usually these are notes or exports.").format(
                names=names
            )
        )
        self._on_inputs_changed()

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _chosen_files(self) -> list[FoundFile]:
        files = list(self._selection.recordings)
        if self.others_box.isChecked():
            files += self._selection.others
        return files

    def _kind_for(self, path: Path) -> str:
        choice = str(self.kind_combo.currentData())
        return kind_for(path.name, None if choice == _AUTO else choice)

    @Slot()
    def _on_inputs_changed(self) -> None:
        files = self._chosen_files()
        count = len(files)
        if self._selection.recordings:
            self.headline.setText(self.tr("Add %n recording(s)", "", count))
        else:
            self.headline.setText(self.tr("These files are not recordings"))
        self.summary.setText(
            self.tr("%n file(s), {size} in total", "", count).format(
                size=labels.format_size(sum(f.size for f in files))
            )
        )
        self.file_list.clear()
        for found in files[:_LIST_LIMIT]:
            kind = self._kind_for(found.path)
            item = QListWidgetItem(
                icon("video"),
                f"{found.path.name}   ·   {labels.format_size(found.size)}   ·   "
                f"{labels.kind_label(kind)}",
            )
            item.setToolTip(str(found.path))
            self.file_list.addItem(item)
        if count > _LIST_LIMIT:
            self.file_list.addItem(self.tr("… and %n more", "", count - _LIST_LIMIT))
        problem = exam_id_problem(self.exam_edit.text().strip())
        shown_problem = problem if self.exam_edit.text() else None
        self.exam_error.setText(shown_problem or "")
        self.exam_error.setVisible(shown_problem is not None)
        self.exam_edit.setProperty("invalid", shown_problem is not None)
        self.exam_edit.style().unpolish(self.exam_edit)
        self.exam_edit.style().polish(self.exam_edit)
        self.ok_button.setEnabled(count > 0 and problem is None)

    @Slot()
    def _on_buttons_accepted(self) -> None:
        if exam_id_problem(self.exam_edit.text().strip()) is None and self._chosen_files():
            self.accept()

    def request(self) -> AddRequest:
        """The confirmed files, exam and kinds (call after the dialog was accepted)."""
        files = tuple((f.path, self._kind_for(f.path)) for f in self._chosen_files())
        return AddRequest(
            files=files,
            exam_id=self.exam_edit.text().strip(),
            chosen_kind=str(self.kind_combo.currentData()),
        )

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        selection: Selection,
        *,
        last_exam_id: str,
        last_kind: str,
        known_exams: list[str],
    ) -> AddRequest | None:
        """Show the prompt; the confirmed request, or None when the user cancelled."""
        dialog = cls(
            parent,
            selection,
            last_exam_id=last_exam_id,
            last_kind=last_kind,
            known_exams=known_exams,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.request()
