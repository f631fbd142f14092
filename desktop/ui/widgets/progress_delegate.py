"""Paints the progress column as a slim rounded bar with the percentage beside it."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop.engine.events import JobSnapshot, JobState
from desktop.ui.queue_model import JobRole, ProgressRole

_TRACK = QColor("#e2e8f0")
_COLOURS = {
    JobState.UPLOADING: QColor("#2563eb"),
    JobState.VERIFYING: QColor("#2563eb"),
    JobState.QUEUED: QColor("#94a3b8"),
    JobState.COMPLETED: QColor("#16a34a"),
    JobState.PAUSED: QColor("#d97706"),
    JobState.WAITING_NETWORK: QColor("#d97706"),
    JobState.NEEDS_LOGIN: QColor("#d97706"),
    JobState.FAILED: QColor("#dc2626"),
    JobState.SOURCE_CHANGED: QColor("#dc2626"),
    JobState.CANCELLED: QColor("#94a3b8"),
}
_BAR_HEIGHT = 8
_TEXT_WIDTH = 44


class ProgressDelegate(QStyledItemDelegate):
    """Draws `ProgressRole` (0.0-1.0) as a bar coloured by the job's state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create the delegate."""
        super().__init__(parent)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Paint the selection background, the bar and the percentage."""
        job = index.data(JobRole)
        fraction = index.data(ProgressRole)
        if not isinstance(job, JobSnapshot) or not isinstance(fraction, float):
            super().paint(painter, option, index)
            return
        style = option.widget.style() if option.widget is not None else None
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        if style is not None:
            style.drawControl(
                QStyle.ControlElement.CE_ItemViewItem, background, painter, option.widget
            )
        rect = option.rect.adjusted(8, 0, -8, 0)
        bar_width = max(10, rect.width() - _TEXT_WIDTH - 8)
        top = rect.center().y() - _BAR_HEIGHT / 2 + 1
        track = QRectF(rect.left(), top, bar_width, _BAR_HEIGHT)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_TRACK)
        painter.drawRoundedRect(track, _BAR_HEIGHT / 2, _BAR_HEIGHT / 2)
        if fraction > 0:
            filled = QRectF(track)
            filled.setWidth(max(_BAR_HEIGHT, track.width() * fraction))
            painter.setBrush(_COLOURS.get(job.state, _COLOURS[JobState.UPLOADING]))
            painter.drawRoundedRect(filled, _BAR_HEIGHT / 2, _BAR_HEIGHT / 2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(option.palette.color(role))
        text_rect = QRectF(track.right() + 8, rect.top(), _TEXT_WIDTH, rect.height())
        painter.drawText(
            text_rect,
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight),
            f"{int(fraction * 100)}%",
        )
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """Wide enough for a readable bar."""
        hint = super().sizeHint(option, index)
        return QSize(max(hint.width(), 160), hint.height())
