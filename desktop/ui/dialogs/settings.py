"""Settings: uploads and bandwidth, watch folder, general, connection. Returns a new `AppConfig`."""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtCore import QEvent, Qt, QTime, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.config import PARALLEL_FILES_RANGE, PARALLEL_PARTS_RANGE, AppConfig, BandwidthWindow
from desktop.errors import ConfigError
from desktop.recordings import KINDS
from desktop.ui.assets import icon
from desktop.ui.dialogs.add_files import exam_id_problem
from desktop.ui.text import labels
from desktop.ui.text.errors import error_text
from desktop.ui.text.i18n import SHIPPED

logger = logging.getLogger(__name__)

# Form labels sit level with the middle of their field, whatever its height.
_LABELS = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

_PART_SIZES_MIB = (0, 8, 16, 32, 64, 128, 256, 512)
# Room between a label and its field: Qt's default lets a long label ("Parts per file at the same
# time", and longer in Korean) run right up against the field.
_LABEL_GAP = 16


def _form(parent: QWidget) -> QFormLayout:
    form = QFormLayout(parent)
    form.setLabelAlignment(_LABELS)
    form.setHorizontalSpacing(_LABEL_GAP)
    return form


def _mb(kib: int) -> float:
    return kib / 1024


def _kib(mb: float) -> int:
    return round(mb * 1024)


class SettingsDialog(QDialog):
    """Edits a copy of the settings; `result_config` holds the validated result when accepted."""

    def __init__(self, parent: QWidget | None, config: AppConfig, *, server_url: str) -> None:
        """Build the dialog showing `config`.

        Args:
            parent: Owner window.
            config: The settings to edit.
            server_url: The server signed in to now ("" when signed out); a session-only sign-in
                is not in `config`, yet the proctor should see where uploads go.
        """
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setMinimumWidth(560)
        self._config = config
        self._server_url = server_url or config.server_url
        self.result_config: AppConfig | None = None
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._uploads_tab(config), "")
        self.tabs.addTab(self._watch_tab(config), "")
        self.tabs.addTab(self._general_tab(config), "")
        self.tabs.addTab(self._connection_tab(config), "")
        layout.addWidget(self.tabs)
        self.error_label = QLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        # Enter in any field saves. Without this the dialog would make the first button in the
        # tab order the default when shown ("Browse…"), and Enter would open a file chooser.
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setDefault(True)
        for browse in (self.watch_browse, self.ca_browse):
            browse.setAutoDefault(False)
        self.retranslate()
        self._on_toggles_changed()

    # -- building -------------------------------------------------------------------------------

    def _uploads_tab(self, config: AppConfig) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.transfer_group = QGroupBox()
        form = _form(self.transfer_group)
        self.files_label, self.parts_label, self.part_size_label = QLabel(), QLabel(), QLabel()
        self.files_spin = QSpinBox()
        self.files_spin.setRange(*PARALLEL_FILES_RANGE)
        self.files_spin.setValue(config.parallel_files)
        self.parts_spin = QSpinBox()
        self.parts_spin.setRange(*PARALLEL_PARTS_RANGE)
        self.parts_spin.setValue(config.parallel_parts)
        self.part_size_combo = QComboBox()
        sizes = list(_PART_SIZES_MIB)
        if config.part_size_mib not in sizes:
            sizes.append(config.part_size_mib)
        for size in sorted(sizes):
            self.part_size_combo.addItem("", size)
        self.part_size_combo.setCurrentIndex(self.part_size_combo.findData(config.part_size_mib))
        form.addRow(self.files_label, self.files_spin)
        form.addRow(self.parts_label, self.parts_spin)
        form.addRow(self.part_size_label, self.part_size_combo)
        layout.addWidget(self.transfer_group)

        self.bandwidth_group = QGroupBox()
        bandwidth = _form(self.bandwidth_group)
        self.limit_box = QCheckBox()
        self.limit_box.setChecked(config.bandwidth_limit_kib > 0)
        self.limit_spin = self._mb_spin(config.bandwidth_limit_kib or 10 * 1024)
        bandwidth.addRow(self.limit_box, self.limit_spin)
        window = config.schedule[0] if config.schedule else None
        self.schedule_box = QCheckBox()
        self.schedule_box.setChecked(window is not None)
        bandwidth.addRow(self.schedule_box)
        times = QHBoxLayout()
        self.start_edit = QTimeEdit(QTime.fromString(window.start if window else "08:00", "HH:mm"))
        self.end_edit = QTimeEdit(QTime.fromString(window.end if window else "18:00", "HH:mm"))
        for edit in (self.start_edit, self.end_edit):
            edit.setDisplayFormat("HH:mm")
        self.until_label = QLabel()
        times.addWidget(self.start_edit)
        times.addWidget(self.until_label)
        times.addWidget(self.end_edit)
        times.addStretch(1)
        self.window_label = QLabel()
        bandwidth.addRow(self.window_label, times)
        self.window_limit_label = QLabel()
        self.window_limit_spin = self._mb_spin(window.limit_kib if window else 2 * 1024)
        bandwidth.addRow(self.window_limit_label, self.window_limit_spin)
        self.schedule_hint = QLabel()
        self.schedule_hint.setObjectName("hintLabel")
        self.schedule_hint.setWordWrap(True)
        bandwidth.addRow(self.schedule_hint)
        layout.addWidget(self.bandwidth_group)
        layout.addStretch(1)
        self.limit_box.toggled.connect(self._on_toggles_changed)
        self.schedule_box.toggled.connect(self._on_toggles_changed)
        return page

    @staticmethod
    def _mb_spin(kib: int) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0.1, 9000.0)
        spin.setDecimals(1)
        spin.setSingleStep(0.5)
        spin.setSuffix(" MiB/s")
        spin.setValue(max(0.1, _mb(kib)))
        return spin

    def _watch_tab(self, config: AppConfig) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.watch_box = QCheckBox()
        self.watch_box.setChecked(config.watch_enabled)
        layout.addWidget(self.watch_box)
        self.watch_group = QGroupBox()
        form = _form(self.watch_group)
        self.watch_path_label = QLabel()
        row = QHBoxLayout()
        self.watch_path_edit = QLineEdit(config.watch_path)
        self.watch_browse = QPushButton(icon("browse"), "")
        self.watch_browse.clicked.connect(self._on_watch_browse_clicked)
        row.addWidget(self.watch_path_edit, 1)
        row.addWidget(self.watch_browse)
        form.addRow(self.watch_path_label, row)
        self.watch_exam_label = QLabel()
        self.watch_exam_edit = QLineEdit(config.watch_exam_id)
        form.addRow(self.watch_exam_label, self.watch_exam_edit)
        self.watch_kind_label = QLabel()
        self.watch_kind_combo = QComboBox()
        for kind in KINDS:
            self.watch_kind_combo.addItem("", kind)
        self.watch_kind_combo.setCurrentIndex(self.watch_kind_combo.findData(config.watch_kind))
        form.addRow(self.watch_kind_label, self.watch_kind_combo)
        self.watch_hint = QLabel()
        self.watch_hint.setObjectName("hintLabel")
        self.watch_hint.setWordWrap(True)
        form.addRow(self.watch_hint)
        layout.addWidget(self.watch_group)
        # Following applies to dropped and added files too, not only to the watched folder.
        self.follow_group = QGroupBox()
        follow_form = QFormLayout(self.follow_group)
        follow_form.setLabelAlignment(_LABELS)
        self.follow_box = QCheckBox()
        self.follow_box.setChecked(config.follow_recordings)
        follow_form.addRow(self.follow_box)
        self.settle_label = QLabel()
        self.settle_spin = QSpinBox()
        self.settle_spin.setRange(1, 3600)
        self.settle_spin.setValue(config.watch_settle_seconds)
        follow_form.addRow(self.settle_label, self.settle_spin)
        layout.addWidget(self.follow_group)
        layout.addStretch(1)
        self.watch_box.toggled.connect(self._on_toggles_changed)
        return page

    def _general_tab(self, config: AppConfig) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        form_frame = QGroupBox()
        self.general_group = form_frame
        form = _form(form_frame)
        self.language_label = QLabel()
        self.language_combo = QComboBox()
        self.language_combo.addItem("", "system")
        for code, name in SHIPPED.items():
            self.language_combo.addItem(name, code)
        self.language_combo.setCurrentIndex(self.language_combo.findData(config.language))
        form.addRow(self.language_label, self.language_combo)
        self.minimized_box = QCheckBox()
        self.minimized_box.setChecked(config.start_minimized)
        self.awake_box = QCheckBox()
        self.awake_box.setChecked(config.keep_awake)
        self.notify_box = QCheckBox()
        self.notify_box.setChecked(config.notifications)
        for box in (self.minimized_box, self.awake_box, self.notify_box):
            form.addRow(box)
        layout.addWidget(form_frame)
        layout.addStretch(1)
        return page

    def _connection_tab(self, config: AppConfig) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.connection_group = QGroupBox()
        form = _form(self.connection_group)
        self.server_label = QLabel()
        self.server_value = QLabel(self._server_url or "—")
        self.server_value.setObjectName("mutedLabel")
        self.server_value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.server_label, self.server_value)
        self.ca_label = QLabel()
        row = QHBoxLayout()
        self.ca_edit = QLineEdit(config.ca_bundle)
        self.ca_edit.setEnabled(not config.server_url_locked)
        self.ca_browse = QPushButton(icon("browse"), "")
        self.ca_browse.setEnabled(not config.server_url_locked)
        self.ca_browse.clicked.connect(self._on_ca_browse_clicked)
        row.addWidget(self.ca_edit, 1)
        row.addWidget(self.ca_browse)
        # The label above its field: beside it, the long label left the field too narrow for
        # its own placeholder ("Use the system's certificates").
        form.addRow(self.ca_label)
        form.addRow(row)
        self.insecure_box = QCheckBox()
        self.insecure_box.setChecked(config.allow_insecure_http)
        self.insecure_box.setEnabled(not config.server_url_locked)
        form.addRow(self.insecure_box)
        self.connection_hint = QLabel()
        self.connection_hint.setObjectName("hintLabel")
        self.connection_hint.setWordWrap(True)
        form.addRow(self.connection_hint)
        layout.addWidget(self.connection_group)
        layout.addStretch(1)
        return page

    # -- texts ----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.setWindowTitle(self.tr("Settings"))
        for i, title in enumerate(
            (self.tr("Uploads"), self.tr("Watch folder"), self.tr("General"), self.tr("Connection"))
        ):
            self.tabs.setTabText(i, title)
        self.transfer_group.setTitle(self.tr("Speed and parallel uploads"))
        self.files_label.setText(self.tr("Files at the same time"))
        self.parts_label.setText(self.tr("Parts per file at the same time"))
        self.part_size_label.setText(self.tr("Part size"))
        for i in range(self.part_size_combo.count()):
            size = int(self.part_size_combo.itemData(i))
            label = self.tr("Automatic (recommended)") if size == 0 else f"{size} MiB"
            self.part_size_combo.setItemText(i, label)
        self.bandwidth_group.setTitle(self.tr("Bandwidth"))
        self.limit_box.setText(self.tr("Limit upload speed to"))
        self.schedule_box.setText(self.tr("Use a different limit during part of the day"))
        self.window_label.setText(self.tr("From"))
        self.until_label.setText(self.tr("until"))
        self.window_limit_label.setText(self.tr("Limit then"))
        self.schedule_hint.setText(
            self.tr(
                "For example, stay gentle on the school's network during lessons and upload at "
                "full speed in the evening."
            )
        )
        self.watch_box.setText(self.tr("Upload new recordings from a folder automatically"))
        self.watch_group.setTitle(self.tr("Watched folder"))
        self.watch_path_label.setText(self.tr("Folder"))
        self.watch_browse.setText(self.tr("Browse…"))
        self.watch_exam_label.setText(self.tr("Exam ID"))
        self.watch_exam_edit.setPlaceholderText(self.tr("for example BIO-101"))
        self.watch_kind_label.setText(self.tr("Recording kind"))
        for i, kind in enumerate(KINDS):
            self.watch_kind_combo.setItemText(i, labels.kind_label(kind))
        self.follow_group.setTitle(self.tr("Recordings in progress"))
        self.follow_box.setText(self.tr("Send recordings while they are being recorded"))
        self.follow_box.setToolTip(
            self.tr(
                "New recordings in the folder, and added files still being written, are sent as "
                "they grow, so only the end is left when the exam ends."
            )
        )
        self.settle_label.setText(self.tr("A recording has ended when unchanged for"))
        self.settle_spin.setSuffix(self.tr(" s"))
        self.watch_hint.setText(
            self.tr(
                "Subfolders are included. A new recording is queued at once when recordings are "
                "sent while being recorded (below), otherwise once it has stopped growing; never "
                "twice, even after a restart. Webcam and screen files are recognised by their "
                "names."
            )
        )
        self.general_group.setTitle(self.tr("General"))
        self.language_label.setText(self.tr("Language"))
        self.language_combo.setItemText(0, self.tr("System default"))
        self.minimized_box.setText(self.tr("Start minimised to the tray"))
        self.awake_box.setText(self.tr("Keep the computer awake while uploading"))
        self.notify_box.setText(self.tr("Show notifications"))
        self.connection_group.setTitle(self.tr("Connection"))
        self.server_label.setText(self.tr("Server"))
        self.ca_label.setText(self.tr("Certificate authority (PEM file)"))
        self.ca_edit.setPlaceholderText(self.tr("Use the system's certificates"))
        self.ca_browse.setText(self.tr("Browse…"))
        self.insecure_box.setText(
            self.tr("Allow unencrypted http:// to other computers (not recommended)")
        )
        self.connection_hint.setText(
            self.tr(
                "Change these only when your IT department asks you to. The server address is "
                "changed by signing out and in again."
            )
        )

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- behaviour ------------------------------------------------------------------------------

    @Slot()
    def _on_toggles_changed(self) -> None:
        self.limit_spin.setEnabled(self.limit_box.isChecked())
        scheduled = self.schedule_box.isChecked()
        for widget in (self.start_edit, self.end_edit, self.window_limit_spin):
            widget.setEnabled(scheduled)
        self.watch_group.setEnabled(self.watch_box.isChecked())

    @Slot()
    def _on_watch_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Choose the folder to watch"), self.watch_path_edit.text()
        )
        if folder:
            self.watch_path_edit.setText(folder)

    @Slot()
    def _on_ca_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Choose the certificate authority file"),
            self.ca_edit.text(),
            self.tr("Certificates (*.pem *.crt *.cer);;All files (*)"),
        )
        if path:
            self.ca_edit.setText(path)

    def edited_config(self) -> AppConfig:
        """The settings as edited.

        Raises:
            ConfigError: A value is invalid (the message is in English; `key` names the setting).
        """
        schedule = list(self._config.schedule)
        if self.schedule_box.isChecked():
            window = BandwidthWindow(
                start=self.start_edit.time().toString("HH:mm"),
                end=self.end_edit.time().toString("HH:mm"),
                limit_kib=_kib(self.window_limit_spin.value()),
            )
            schedule[:1] = [window]
        else:
            schedule = schedule[1:]
        watch_enabled = self.watch_box.isChecked()
        watch_exam = self.watch_exam_edit.text().strip()
        if watch_enabled:
            if not self.watch_path_edit.text().strip():
                raise ConfigError(self.tr("Choose the folder to watch."), key="watch_path")
            problem = exam_id_problem(watch_exam)
            if problem is not None:
                raise ConfigError(problem, key="watch_exam_id")
        return dataclasses.replace(
            self._config,
            parallel_files=self.files_spin.value(),
            parallel_parts=self.parts_spin.value(),
            part_size_mib=int(self.part_size_combo.currentData()),
            bandwidth_limit_kib=_kib(self.limit_spin.value()) if self.limit_box.isChecked() else 0,
            schedule=tuple(schedule),
            watch_enabled=watch_enabled,
            watch_path=self.watch_path_edit.text().strip(),
            watch_exam_id=watch_exam,
            watch_kind=str(self.watch_kind_combo.currentData()),
            watch_settle_seconds=self.settle_spin.value(),
            follow_recordings=self.follow_box.isChecked(),
            language=str(self.language_combo.currentData()),
            start_minimized=self.minimized_box.isChecked(),
            keep_awake=self.awake_box.isChecked(),
            notifications=self.notify_box.isChecked(),
            ca_bundle=self.ca_edit.text().strip(),
            allow_insecure_http=self.insecure_box.isChecked(),
        )

    @Slot()
    def _on_buttons_accepted(self) -> None:
        try:
            self.result_config = self.edited_config()
        except ConfigError as exc:
            # Our own checks are already translated; the config's own are mapped by title.
            message = exc.message if exc.key.startswith("watch_") else error_text(*_pair(exc))[1]
            self.error_label.setText(message)
            self.error_label.show()
            if exc.key.startswith("watch_"):
                self.tabs.setCurrentIndex(1)
            return
        self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None, config: AppConfig, *, server_url: str) -> AppConfig | None:
        """Show the settings; the new settings when saved, None when cancelled."""
        dialog = cls(parent, config, server_url=server_url)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.result_config


def _pair(exc: ConfigError) -> tuple[str, str]:
    return exc.title, exc.message
