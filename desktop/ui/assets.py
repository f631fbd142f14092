"""The one place that finds resource files: icons, the style sheet, translations.

Resources are plain files under `resources/`: next to the package in a source checkout, under
`sys._MEIPASS` in a PyInstaller bundle. Nothing else reads `sys._MEIPASS`.
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

from PySide6.QtGui import QIcon

logger = logging.getLogger(__name__)

#: Icons the UI asks for by name; tests/ui/test_widgets.py checks each one exists.
ICON_NAMES = (
    "add-file", "add-file-light", "add-folder", "app", "awake", "browse", "cancel", "check",
    "chevron-down", "chevron-up", "close", "copy", "drop", "error", "export", "eye", "eye-off",
    "history", "info", "log", "pause", "quit", "remove", "resume", "retry", "search", "settings",
    "show-folder", "show-window", "sign-in", "sign-out", "state-cancelled", "state-completed",
    "state-failed", "state-needs-login", "state-paused", "state-queued", "state-source-changed",
    "state-uploading", "state-verifying", "state-waiting", "success", "tray", "uploads", "user",
    "video", "warning", "watch",
)  # fmt: skip


def resources_dir() -> Path:
    """The `resources/` folder: inside the frozen bundle, or at the repository root."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def icon_path(name: str) -> Path:
    """Path of the SVG icon `name` (without extension)."""
    return resources_dir() / "icons" / f"{name}.svg"


@functools.cache
def icon(name: str) -> QIcon:
    """The icon `name`, loaded once. A missing file logs and returns an empty icon (never raises).

    Call only after the QApplication exists (Qt needs it to rasterise SVGs).
    """
    path = icon_path(name)
    if not path.is_file():
        logger.error("Missing icon %s", path)
        return QIcon()
    return QIcon(str(path))


def app_icon() -> QIcon:
    """The application icon, plus pre-rendered PNG sizes when present (crisper at 16 px)."""
    result = QIcon(str(icon_path("app")))
    for png in sorted((resources_dir() / "app").glob("app-*.png")):
        result.addFile(str(png))
    return result


def style_sheet() -> str:
    """The application style sheet (empty when missing, so the app still runs).

    `@ICONS@` in the file stands for the icons folder: style sheets resolve relative `url()`s
    against the working directory, which is anywhere.
    """
    path = resources_dir() / "style.qss"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        logger.error("Missing style sheet %s", path)
        return ""
    return text.replace("@ICONS@", (resources_dir() / "icons").as_posix())


def translations_dir() -> Path:
    """Folder holding the compiled `proctor_<lang>.qm` catalogues."""
    return resources_dir() / "translations"
