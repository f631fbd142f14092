"""Load the app's translations (and Qt's own, for standard buttons and dialogs); switch live.

`apply_language("ko")` installs `resources/translations/proctor_ko.qm` plus Qt's `qtbase_ko.qm`.
Qt then sends every widget a `LanguageChange` event, on which our widgets re-run `retranslate()`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from desktop.ui.assets import translations_dir

logger = logging.getLogger(__name__)

#: Languages the app ships, by code, with their names written in that language.
SHIPPED = {"en": "English", "ko": "한국어"}

_current = "en"


def current_language() -> str:
    """The language in use now: a key of `SHIPPED`."""
    return _current


def resolve(setting: str, system_languages: list[str] | None = None) -> str:
    """Turn the `language` setting (`system`, `en`, `ko`) into a shipped language code.

    Args:
        setting: The configured value.
        system_languages: The OS's preferred UI languages (default: Qt's view of them).
    """
    if setting in SHIPPED:
        return setting
    for tag in system_languages if system_languages is not None else QLocale.system().uiLanguages():
        code = tag.replace("_", "-").split("-")[0].lower()
        if code in SHIPPED:
            return code
    return "en"


_translators: list[QTranslator] = []


def apply_language(setting: str) -> str:
    """Switch the UI to the language `setting` names (`system`, `en` or `ko`).

    Widgets receive a `LanguageChange` event and re-translate themselves.

    Returns:
        The language code now in use; English when a catalogue could not be loaded.
    """
    global _current
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("apply_language() needs a QCoreApplication")
    language = resolve(setting)
    for translator in _translators:
        app.removeTranslator(translator)
    # Unparented, so a translator lives exactly as long as `_translators` holds it: parented to the
    # application, every switch of language used to leave two loaded catalogues behind for good.
    _translators.clear()
    ours = QTranslator()
    # English has a catalogue too: only its plural forms ("1 file" / "2 files").
    if not ours.load(f"proctor_{language}", str(translations_dir())):
        logger.error("Translation proctor_%s.qm missing in %s", language, translations_dir())
        language = "en"
        if ours.load("proctor_en", str(translations_dir())):
            _translators.append(ours)
    else:
        _translators.append(ours)
        if language != "en":
            qt_own = QTranslator()
            qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            # Qt's catalogue translates standard buttons (OK, Cancel) and file dialogs.
            if qt_own.load(f"qtbase_{language}", qt_dir):
                _translators.append(qt_own)
            else:
                logger.info("Qt's own %s translation is not available", language)
    for translator in _translators:
        app.installTranslator(translator)
    locale_language = QLocale.Language.Korean if language == "ko" else QLocale.Language.English
    QLocale.setDefault(QLocale(locale_language))
    _current = language
    logger.info("User interface language: %s", language)
    return language
