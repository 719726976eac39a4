"""The window's language, set once at start before any widget is built: the catalog
(engine and window alike, engine/core/i18n.py), Qt's own strings (OK, Cancel, Yes, No in its
standard dialogs: qtbase_<code>.qm), pyqtgraph's plot menus (from the same catalog:
plot_menus_translator.py) and numbers (QLocale: decimal comma in Spanish, French, German,
Portuguese; fields accept what they show).

The choice: --language CODE, else the one picked in View ▸ Language (kept between launches),
else the OS's preferred languages, else English. Changing it takes effect at the next start,
as in Spyder, Mu and calibre: every text of the window is built in its language once.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QSettings, QTranslator

from engine.core import i18n
from engine.core.files import resources_dir
from gui.window.plot_menus_translator import PlotMenusTranslator

log = logging.getLogger(__name__)

LANGUAGE_KEY = "view/language"
_translators: list[QTranslator] = []  # installed in the application; kept alive here


def stored() -> str | None:
    """The language picked in View ▸ Language at an earlier launch (None: never picked)."""
    value = QSettings().value(LANGUAGE_KEY)
    return str(value) if value else None


def store(code: str) -> None:
    QSettings().setValue(LANGUAGE_KEY, code)


def choose(requested: str | None) -> tuple[str, str | None]:
    """(the code to speak, a warning to show or None). A --language no catalog speaks names
    those that are, and the window opens in English. Every launch reads the kept choice, a
    scripted one (--screenshot) too: a screenshot in another language passes --language."""
    speakable = i18n.available()
    if requested:
        code = i18n.normalize(requested)
        if code in speakable:
            return code, None
        return i18n.ENGLISH, i18n.unknown_language_message(requested) + " " + i18n._("Opening in English.")
    kept = stored()
    if kept and i18n.normalize(kept) in speakable:
        return i18n.normalize(kept), None
    if kept:
        log.warning("the language kept from an earlier launch (%s) has no catalog here; choosing again", kept)
    return i18n.from_system(list(QLocale.system().uiLanguages()) + _environment_languages()), None


def _environment_languages() -> list[str]:
    import os

    return [v for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG") for v in os.environ.get(var, "").split(":") if v]


def qt_translations_dirs() -> list[Path]:
    """Where Qt's own catalogs are: a bundle's copy, then PySide6's."""
    dirs = []
    if getattr(sys, "frozen", False):
        dirs.append(Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "PySide6" / "Qt" / "translations")
    dirs.append(resources_dir() / "locale" / "qt")
    dirs.append(Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)))
    return dirs


def _install_qt_catalog(app, code: str) -> bool:
    for translator in _translators:
        app.removeTranslator(translator)
    _translators.clear()
    if code == i18n.ENGLISH:
        return True
    for name in dict.fromkeys((f"qtbase_{code}", f"qtbase_{code.split('_')[0]}")):
        for folder in qt_translations_dirs():
            translator = QTranslator(app)
            if (folder / f"{name}.qm").is_file() and translator.load(name, str(folder)):
                app.installTranslator(translator)
                _translators.append(translator)
                return True
    log.warning("Qt's own catalog for %s was not found: its standard buttons stay in English", code)
    return False


def _install_plot_menus(app, code: str) -> None:
    """pyqtgraph's plot menus from the window's catalog; kept in _translators, so the next
    install (English included) removes it with Qt's."""
    if code == i18n.ENGLISH:
        return
    translator = PlotMenusTranslator(app)
    app.installTranslator(translator)
    _translators.append(translator)


def _qt_number(value: float, decimals: int | None) -> str:
    locale = QLocale()
    if decimals is None:
        return locale.toString(value, "g", QLocale.FloatingPointPrecisionOption.FloatingPointShortest)
    return locale.toString(value, "f", decimals)


def install(app, code: str) -> str:
    """Speak `code` from now on: the catalog, Qt's own strings, pyqtgraph's menus, numbers.
    Returns the code spoken (English when the catalog could not be read: logged, never raised)."""
    try:
        code = i18n.set_language(code)
    except i18n.UnknownLanguage as exc:
        log.warning("%s", exc)
        code = i18n.set_language(i18n.ENGLISH)
    locale = QLocale(code if code in i18n.LANGUAGES else i18n.ENGLISH)
    if code == i18n.ENGLISH:
        locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    QLocale.setDefault(locale)
    _install_qt_catalog(app, code)
    _install_plot_menus(app, code)
    i18n.set_number_formatter(_qt_number)
    log.info("speaking %s (numbers as %s)", code, locale.name())
    return code


def restart_command(launch=None, lesson: Path | str | None = None) -> list[str]:
    """How to start this installation again with the window's own arguments only: the runs
    folder and the size of `launch` (the parsed command line; None: none), and `lesson`, the
    lesson open now (it starts again at its first step). A settings file, --config, --preset
    and --set are left out: the next start restores the panel as it was left (kept on
    closing), so edits made since are not replaced; --language too (the new choice is kept).
    The bundle's executable, a Windows launcher, or this Python with main.py."""
    rest = []
    for option, value in (("--runs-dir", getattr(launch, "runs_dir", None)), ("--size", getattr(launch, "size", None)),
                          ("--lesson", lesson)):
        if value:
            rest += [option, str(value)]
    first = sys.argv[0] if sys.argv else ""
    if getattr(sys, "frozen", False):
        return [sys.executable, *rest]
    if first.lower().endswith(".exe"):
        return [first, *rest]
    return [sys.executable, first, *rest]
