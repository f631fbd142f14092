"""The Qt half of ``proctor-uploader --self-test`` (the runner is :mod:`desktop.selftest`).

Checks, each reported as it finishes:

- ``qt``: a QApplication starts on the platform plugin Qt picked (offscreen when there is no
  display). A platform plugin that cannot load kills the process from inside Qt (qFatal), so the
  plugin file is first loaded by hand, which turns "libxcb-cursor.so.0: cannot open shared object
  file" into a failed check instead of an abort.
- ``resources``: every icon the UI names exists and renders through Qt's SVG plugins, and the
  style sheet parses (Qt only warns about a bad one, so its warnings are caught).
- ``translations``: every shipped catalogue loads, is not empty and switches the UI language, and
  Qt's own catalogue for that language is found (standard buttons and dialogs).
- ``main-window``: the main window opens, paints, switches language live and closes.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import (
    QLibraryInfo,
    QMessageLogContext,
    QtMsgType,
    QTranslator,
    qInstallMessageHandler,
    qVersion,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QPushButton

from desktop.selftest import CheckFailed, CheckResult, run_check

__all__ = ["run_gui_checks"]

_ICON_SIZE = 32


class _QtMessages:
    """Qt's warnings while a check runs; Qt reports bad SVGs and style sheets only this way."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        del context
        if kind != QtMsgType.QtDebugMsg and kind != QtMsgType.QtInfoMsg:
            self.messages.append(message)

    def matching(self, *needles: str) -> list[str]:
        """The messages that mention any of ``needles`` (case-insensitive)."""
        return [m for m in self.messages if any(n in m.lower() for n in needles)]


@contextlib.contextmanager
def _capture_qt_messages() -> Iterator[_QtMessages]:
    capture = _QtMessages()
    previous = qInstallMessageHandler(capture)
    try:
        yield capture
    finally:
        qInstallMessageHandler(previous)


def _platform_plugin_file(name: str) -> Path | None:
    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    if sys.platform == "win32":
        candidates = [folder / f"q{name}.dll"]
    elif sys.platform == "darwin":
        candidates = [folder / f"libq{name}.dylib"]
    else:
        candidates = [folder / f"libq{name}.so"]
    return next((c for c in candidates if c.is_file()), None)


def _check_platform_plugin() -> None:
    """Fail with the reason when the requested platform plugin cannot load."""
    requested = os.environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if not requested:
        return  # Qt picks the platform's default; nothing to pre-check
    plugin = _platform_plugin_file(requested)
    if plugin is None:
        raise CheckFailed(f"Qt's '{requested}' platform plugin is missing from this installation")
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(str(plugin))
        except OSError as exc:
            raise CheckFailed(
                f"Qt's '{requested}' platform plugin cannot load: {exc} (install the missing "
                "library; docs/packaging.md lists them)"
            ) from exc


def _application() -> QApplication:
    existing = QApplication.instance()
    if existing is not None:
        if not isinstance(existing, QApplication):
            raise CheckFailed("a non-widget Qt application is already running in this process")
        return existing
    _check_platform_plugin()
    return QApplication(sys.argv[:1])


def _check_qt(app_holder: list[QApplication]) -> str:
    app = _application()
    app_holder.append(app)
    return f"Qt {qVersion()} on the '{app.platformName()}' platform"


def _check_resources(app: QApplication) -> str:
    from desktop.ui.assets import ICON_NAMES, app_icon, icon_path, resources_dir, style_sheet
    from desktop.ui.theme import apply_theme

    missing = [name for name in ICON_NAMES if not icon_path(name).is_file()]
    if missing:
        raise CheckFailed(f"icons missing from {resources_dir() / 'icons'}: {', '.join(missing)}")
    svgs = sorted((resources_dir() / "icons").glob("*.svg"))
    with _capture_qt_messages() as qt:
        blank = [p.stem for p in svgs if QIcon(str(p)).pixmap(_ICON_SIZE, _ICON_SIZE).isNull()]
        if app_icon().pixmap(_ICON_SIZE, _ICON_SIZE).isNull():
            blank.append("app icon")
        if blank:
            raise CheckFailed(
                f"icons do not render (is Qt's SVG plugin missing?): {', '.join(blank[:5])}"
                + (f" and {len(blank) - 5} more" if len(blank) > 5 else "")
            )
        sheet = style_sheet()
        if not sheet.strip():
            raise CheckFailed(
                f"the style sheet {resources_dir() / 'style.qss'} is missing or empty"
            )
        apply_theme(app)
        probe = QPushButton("Proctor Uploader")  # a style sheet is parsed when a widget is polished
        probe.ensurePolished()
        probe.grab()
        probe.deleteLater()
    broken = qt.matching("style sheet", "stylesheet", "svg")
    if broken:
        raise CheckFailed(f"Qt rejected a resource: {broken[0]}")
    return f"{len(svgs)} SVG icons render; style sheet ({len(sheet) // 1024} KiB) parses"


def _check_translations(app: QApplication) -> str:
    from desktop.ui.assets import translations_dir
    from desktop.ui.text.i18n import SHIPPED, apply_language

    folder = translations_dir()
    qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    found = []
    for code in sorted(SHIPPED):
        if code == "en":
            continue  # the source language: no catalogue
        ours = QTranslator(app)
        if not ours.load(f"proctor_{code}", str(folder)):
            raise CheckFailed(f"proctor_{code}.qm is missing or unreadable in {folder}")
        if ours.isEmpty():
            raise CheckFailed(f"proctor_{code}.qm in {folder} holds no translations")
        if not QTranslator(app).load(f"qtbase_{code}", qt_folder):
            raise CheckFailed(f"Qt's own qtbase_{code}.qm is missing from {qt_folder}")
        if apply_language(code) != code:
            raise CheckFailed(f"switching the interface to {SHIPPED[code]} ({code}) failed")
        found.append(f"{code} ({SHIPPED[code]})")
    apply_language("en")
    for extra in sorted(folder.glob("*.qm")):
        if not QTranslator(app).load(str(extra)):
            raise CheckFailed(f"{extra} is not a loadable translation catalogue")
    return f"{', '.join(found) or 'none besides English'} load, with Qt's own catalogues"


def _check_main_window(app: QApplication) -> str:
    from desktop.ui.queue_model import UploadQueueModel
    from desktop.ui.text.i18n import SHIPPED, apply_language
    from desktop.ui.views.main_window import MainWindow

    model = UploadQueueModel()
    window = MainWindow(model, log_lines=[], log_path=None)
    try:
        window.show()
        app.processEvents()
        if not window.isVisible():
            raise CheckFailed("the main window did not open")
        if window.grab().isNull():
            raise CheckFailed("the main window did not paint")
        english_title = window.windowTitle()
        others = []
        for code in (c for c in SHIPPED if c != "en"):
            # Widgets retranslate themselves on LanguageChange; a missing catalogue is the
            # translations check's failure, so here only what really switched is claimed.
            if apply_language(code) == code:
                others.append(code)
            app.processEvents()
            window.grab()
        apply_language("en")
        app.processEvents()
    finally:
        window.allow_close()
        window.close()
        app.processEvents()
    if window.isVisible():
        raise CheckFailed("the main window did not close")
    window.deleteLater()
    model.deleteLater()
    app.processEvents()
    languages = f", switched to {', '.join(others)} and back" if others else ""
    return f'opened "{english_title}", painted{languages}, closed'


def run_gui_checks(report: Callable[[CheckResult], None]) -> None:
    """Run the Qt checks in order, passing each result to ``report`` as soon as it is known.

    When Qt itself does not start, the later checks are reported as failed, not silently skipped.
    """
    holder: list[QApplication] = []
    started = run_check("qt", lambda: _check_qt(holder))
    report(started)
    later: tuple[tuple[str, Callable[[QApplication], str]], ...] = (
        ("resources", _check_resources),
        ("translations", _check_translations),
        ("main-window", _check_main_window),
    )
    for name, check in later:
        if not holder:
            report(CheckResult(name, False, "not run: Qt did not start"))
            continue
        report(run_check(name, functools.partial(check, holder[0])))
