"""The languages the window speaks: one gettext catalog shared by the engine and the window.

gettext rather than Qt's .ts files: the engine's messages (bad input, run states) reach the
window, and the engine never imports Qt; Python's own gettext serves both halves, and Babel
extracts, updates and compiles the catalogs (`make catalogs`).

Marking, as Babel extracts it (babel.cfg):
    _("Stop the run")                              a message, translated now
    _("Trained {count} epochs of {total}").format(count=..., total=...)   whole patterns, named fields
    n_("{count} epoch", "{count} epochs", n).format(count=integer(n))     plural forms
    C_("setting choice", "uniform")                a short text that needs its context
    N_("Loss")                                     marked here, translated where shown: _(value)

Numbers in messages go through `number`, `integer` and `percent`, which the window points at
QLocale (decimal comma in Spanish, French, German, Portuguese); without a window they are Python's.

Nothing here changes until `set_language` is called: the command line stays English.
"""

from __future__ import annotations

import gettext
import io
import logging
import math
import os
import string
import struct
import threading
from collections.abc import Callable
from pathlib import Path

from engine.core.files import resources_dir

log = logging.getLogger(__name__)

DOMAIN = "overfit_lab"
ENGLISH = "en"
# The shipped languages, each named in its own language (View ▸ Language lists them so).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "pt_BR": "Português (Brasil)",
    "de": "Deutsch",
    "zh_CN": "简体中文",
}
TRADITIONAL_CHINESE = {"TW", "HK", "MO", "HANT"}  # regions and the script of zh-Hant
EXTRA_LOCALES_ENV = "OVERFIT_LAB_LOCALE_DIR"  # another folder of catalogs (the tests' pseudo-locale)

_lock = threading.Lock()
_translations: gettext.NullTranslations = gettext.NullTranslations()
_current = ENGLISH


class UnknownLanguage(ValueError):
    """A language code that no catalog here speaks; the message names those that are."""


def locale_dirs() -> list[Path]:
    """Where catalogs are looked for: the shipped ones, then $OVERFIT_LAB_LOCALE_DIR."""
    dirs = [resources_dir() / "locale"]
    extra = os.environ.get(EXTRA_LOCALES_ENV)
    if extra:
        dirs.append(Path(extra))
    return dirs


def _catalog_files(code: str) -> tuple[Path | None, Path | None]:
    for base in locale_dirs():
        folder = base / code / "LC_MESSAGES"
        mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
        if mo.is_file() or po.is_file():
            return (mo if mo.is_file() else None), (po if po.is_file() else None)
    return None, None


def available() -> dict[str, str]:
    """The languages this installation can speak: English, and each with a catalog here."""
    found = {ENGLISH: LANGUAGES[ENGLISH]}
    for base in locale_dirs():
        if not base.is_dir():
            continue
        for folder in sorted(base.iterdir()):
            if (folder / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file() or (folder / "LC_MESSAGES" / f"{DOMAIN}.po").is_file():
                found.setdefault(folder.name, LANGUAGES.get(folder.name, folder.name))
    return found


def normalize(code: str) -> str:
    """'pt-br', 'pt_BR.UTF-8', 'de_AT' -> the code of an available catalog, or the code tidied
    ('zh_TW', 'zh-Hant' stay themselves unless a Traditional Chinese catalog ships)."""
    code = code.strip().split(".")[0].split("@")[0].replace("-", "_")
    if "_" in code:
        lang, region = code.split("_", 1)
        code = f"{lang.lower()}_{region.upper()}"
    else:
        code = code.lower()
    speakable = available()
    if code in speakable:
        return code
    lang, *rest = code.split("_")
    if lang == "zh" and TRADITIONAL_CHINESE & {part.upper() for part in rest}:
        return code  # Taiwan, Hong Kong, Macau read Traditional: no Simplified catalog stands in
    if lang in speakable:
        return lang
    for known in speakable:  # 'pt' or 'pt_PT' -> pt_BR; 'zh' or 'zh_SG' -> zh_CN
        if known.split("_")[0] == lang:
            return known
    return code


def from_system(names: list[str] | None = None) -> str:
    """The first default: the OS's preferred languages (QLocale's uiLanguages, or $LANGUAGE /
    $LC_ALL / $LC_MESSAGES / $LANG), the first one shipped; English otherwise."""
    if names is None:
        names = []
        for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
            value = os.environ.get(var)
            if value:
                names.extend(value.split(":"))
                break
    speakable = available()
    for name in names:
        if not name or name in ("C", "POSIX"):
            continue
        code = normalize(name)
        if code in speakable:
            return code
    return ENGLISH


def _fields(text: str) -> set[str] | None:
    """The named fields of a str.format pattern; None when it is not a valid pattern."""
    try:
        return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


def mismatched(source: str, translated: str, plural_source: str | None = None) -> str | None:
    """Why a translation cannot stand in for its source, or None: a field the source does not
    have (a KeyError when formatted) or a broken pattern. A plural's forms may leave out the
    count ('one file'), so only fields that would fail are refused there."""
    want = _fields(source)
    if plural_source is not None:
        plural = _fields(plural_source)
        want = None if want is None or plural is None else want | plural
    got = _fields(translated)
    if want is None:
        return None  # not a pattern in the source either (a literal brace): compared as text
    if got is None:
        return "its braces do not make a pattern"
    if got - want:
        return "it has field(s) the source lacks: " + ", ".join(sorted(got - want))
    if plural_source is None and want - got:
        return "it drops field(s): " + ", ".join(sorted(want - got))
    return None


class _Catalog(gettext.GNUTranslations):
    """A compiled catalog that also keeps each plural's plural source: gettext keys a plural
    by its singular only, and a form may use the plural source's fields ({count})."""

    plural_sources: dict[str, str]

    def _parse(self, fp) -> None:
        data = fp.read()
        super()._parse(io.BytesIO(data))
        self.plural_sources = {}
        order = "<" if data[:4] == b"\xde\x12\x04\x95" else ">"
        count, originals = struct.unpack(order + "2I", data[8:16])  # the sources' table
        charset = self._charset or "ascii"
        for i in range(count):
            length, offset = struct.unpack(order + "2I", data[originals + 8 * i:originals + 8 * i + 8])
            singular, _nul, plural = data[offset:offset + length].partition(b"\x00")
            if plural:
                self.plural_sources[singular.decode(charset)] = plural.decode(charset)


def _load(code: str) -> gettext.NullTranslations:
    mo, po = _catalog_files(code)
    if mo is None and po is None:
        raise UnknownLanguage(unknown_language_message(code))
    if mo is not None and (po is None or mo.stat().st_mtime >= po.stat().st_mtime):
        with open(mo, "rb") as fp:
            translations = _Catalog(fp)
    else:  # a checkout whose catalogs were not compiled (`make catalogs`): compiled in memory
        import polib

        translations = _Catalog(io.BytesIO(polib.pofile(str(po)).to_binary()))
    _drop_mismatched(translations, code)
    return translations


def _drop_mismatched(translations: _Catalog, code: str) -> None:
    """A translation whose fields differ from its source's falls back to English (logged),
    so a bad catalog can never make a message raise. A plural's form is checked against both
    its sources, as the catalog check does."""
    catalog = translations._catalog  # gettext keeps {msgid: msgstr, (msgid, n): form}
    for key, text in list(catalog.items()):
        if key == "" or not text:
            continue
        msgid = key[0] if isinstance(key, tuple) else key  # "context\x04message" with a context
        source = msgid.split("\x04", 1)[-1]
        plural = translations.plural_sources.get(msgid, source) if isinstance(key, tuple) else None
        why = mismatched(source, text, plural_source=plural)
        if why:
            log.warning("catalog %s: the translation of %r is not used (%s)", code, source, why)
            del catalog[key]


def unknown_language_message(code: str) -> str:
    names = ", ".join(f"{c} ({name})" for c, name in available().items())
    return _("No catalog speaks “{code}”; these are shipped: {names}.").format(code=code, names=names)


def set_language(code: str) -> str:
    """Speak this language from now on (engine messages and the window's). Returns the code
    set. An unknown code raises UnknownLanguage naming the shipped ones; a catalog that cannot
    be read falls back to English with a logged warning."""
    global _translations, _current
    code = normalize(code)
    if code == ENGLISH:
        with _lock:
            _translations, _current = gettext.NullTranslations(), ENGLISH
        return ENGLISH
    try:
        translations = _load(code)
    except UnknownLanguage:
        raise
    except Exception as exc:  # a damaged or unreadable catalog: English, and said in the log
        log.warning("the %s catalog could not be read (%s: %s); speaking English", code, type(exc).__name__, exc)
        with _lock:
            _translations, _current = gettext.NullTranslations(), ENGLISH
        return ENGLISH
    with _lock:
        _translations, _current = translations, code
    return code


def language() -> str:
    """The code of the language spoken now ('en' until set_language)."""
    return _current


def _(message: str) -> str:
    """The message in the language spoken now."""
    return _translations.gettext(message)


def N_(message: str) -> str:
    """Marks a message for the catalog without translating it (translated where shown, _(x))."""
    return message


def n_(singular: str, plural: str, count: int) -> str:
    """The plural form the language uses for `count` (one, few, many…)."""
    return _translations.ngettext(singular, plural, count)


def C_(context: str, message: str) -> str:
    """A short message whose meaning needs its context ('setting choice', 'uniform')."""
    return _translations.pgettext(context, message)


# --- numbers ---------------------------------------------------------------------------------

def _python_number(value: float, decimals: int | None) -> str:
    if decimals is None:
        return f"{value:g}"
    if decimals == 0 and value.is_integer():
        return f"{int(value):,}"
    return f"{value:.{decimals}f}"


_number_formatter: Callable[[float, int | None], str] = _python_number


def set_number_formatter(formatter: Callable[[float, int | None], str] | None) -> None:
    """The window points numbers at QLocale: formatter(value, decimals or None for the
    shortest form). None restores Python's."""
    global _number_formatter
    _number_formatter = formatter or _python_number


def number(value: float, decimals: int | None = None) -> str:
    """A number in the language's format: `decimals` places, or its shortest form (like %g)."""
    value = float(value)
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return _number_formatter(value, decimals)


def integer(value: int) -> str:
    """A whole number in the language's format (its group separators)."""
    return _number_formatter(float(int(value)), 0)


def percent(value: float, decimals: int = 1) -> str:
    """A percentage (value already ×100): '52.2 %', '52,2 %'."""
    return _("{value} %").format(value=number(value, decimals))
