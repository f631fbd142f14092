"""A yes/no question before what a proctor may regret (quitting or signing out mid-upload).

`parent_window` is shared with the crash dialog.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QApplication,
    QMessageBox,
    QWidget,
)


def parent_window(parent: QWidget | None) -> QWidget | None:
    """`parent`, or else the active window, so a modal dialog opens over the app."""
    return parent if parent is not None else QApplication.activeWindow()


class ConfirmDialog:
    """A yes/no question with explicit verbs on the buttons."""

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        title: str,
        text: str,
        *,
        confirm: str,
        cancel: str,
        destructive: bool = False,
    ) -> bool:
        """Ask, and return True when the user chose `confirm`.

        Args:
            parent: The window the question is about.
            title: Window title and headline.
            text: One or two sentences explaining the consequence.
            confirm: Label of the confirming button ("Cancel uploads").
            cancel: Label of the safe button ("Keep uploading"); it is the default.
            destructive: Show a warning icon.
        """
        box = QMessageBox(parent_window(parent))
        box.setIcon(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(title)
        box.setInformativeText(text)
        yes = box.addButton(confirm, QMessageBox.ButtonRole.AcceptRole)
        no = box.addButton(cancel, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.exec()
        return box.clickedButton() is yes
