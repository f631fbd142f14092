"""The app's look: Fusion with a fixed light palette, plus `resources/style.qss`.

A fixed palette keeps the app legible and consistent whatever the desktop theme (a dark system
palette under a light style sheet would give dark text on dark fields).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleHintReturn,
    QStyleOption,
    QWidget,
)

from desktop.ui.assets import style_sheet

_PALETTE = {
    QPalette.ColorRole.Window: "#f8fafc",
    QPalette.ColorRole.WindowText: "#0f172a",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f8fafc",
    QPalette.ColorRole.ToolTipBase: "#0f172a",
    QPalette.ColorRole.ToolTipText: "#f8fafc",
    QPalette.ColorRole.PlaceholderText: "#94a3b8",
    QPalette.ColorRole.Text: "#0f172a",
    QPalette.ColorRole.Button: "#ffffff",
    QPalette.ColorRole.ButtonText: "#0f172a",
    QPalette.ColorRole.BrightText: "#ffffff",
    QPalette.ColorRole.Highlight: "#2563eb",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#1d4ed8",
    QPalette.ColorRole.Mid: "#cbd5e1",
    QPalette.ColorRole.Midlight: "#e2e8f0",
    QPalette.ColorRole.Dark: "#94a3b8",
    QPalette.ColorRole.Shadow: "#64748b",
}


class _AppStyle(QProxyStyle):
    """Fusion, without the desktop's icons on standard dialog buttons.

    On Linux desktops Qt takes "OK" and "Cancel" icons from the system's icon theme: colourful,
    emoji-like pictures that clash with the app's own flat icons (seen under Xvfb on the sign-in
    dialog). Our buttons say what they do in words.
    """

    def styleHint(
        self,
        hint: QStyle.StyleHint,
        option: QStyleOption | None = None,
        widget: QWidget | None = None,
        returnData: QStyleHintReturn | None = None,
    ) -> int:
        """Ask Fusion, except whether dialog buttons have icons (never)."""
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 0
        return super().styleHint(hint, option, widget, returnData)


def apply_theme(app: QApplication) -> None:
    """Give `app` the Proctor Uploader look."""
    app.setStyle(_AppStyle("Fusion"))
    palette = QPalette()
    for role, colour in _PALETTE.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#94a3b8"))
    app.setPalette(palette)
    app.setStyleSheet(style_sheet())
