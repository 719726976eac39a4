"""The settings panel's number fields: a number typed out of range is set to the nearest
allowed value and said, text that is not a number is refused and said (the field keeps its
value), each naming the field and its range; a float keeps its full precision. Numbers are
shown and read in the language's format (QLocale's default when the field was made: "0,5" in
German and French), and "0.5" is still taken: in a decimal field a '.' is always read as the
decimal point, never as a group separator (see _number); a whole-number field takes group
separators only where they group thousands (see _whole)."""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtCore import QLocale
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

from engine.core.i18n import N_, _

FULL_PRECISION = 323  # Qt rounds every value to `decimals` places: with these, a double is kept whole


class SaysWhatItChanged:
    """A spin box that takes a number typed outside its range and sets the nearest allowed
    value, saying so (Qt's own kept the digits that fit, 99999999 -> 99, or went back to the
    previous value, 0 epochs -> 40, without a word), and refuses text that is not a number,
    saying so (Qt's own dropped each key it could not take: "abc-5xyz" became 5 training
    examples). `said` holds the last such note; `label` names the field in it."""

    said = ""
    label = N_("this field")  # (the panel sets each field's name, translated)

    def validate(self, text, pos):
        result = super().validate(text, pos)
        state = result[0] if isinstance(result, tuple) else result
        if state == QValidator.State.Invalid:
            # Kept as typed, a number or not: judged (set or refused, and said) when committed.
            return QValidator.State.Intermediate, text, pos
        return result

    def allowed(self) -> str:
        low, high = (self.textFromValue(v).strip() for v in (self.minimum(), self.maximum()))
        if isinstance(self, QSpinBox):
            return _("a whole number from {low} to {high}").format(low=low, high=high)
        return _("a number from {low} to {high}").format(low=low, high=high)

    def fixup(self, text):
        value = (_whole if isinstance(self, QSpinBox) else _number)(text, self.locale())
        whole = value is not None and (not isinstance(self, QSpinBox) or float(value).is_integer())
        fields = {"setting": _(self.label), "typed": text.strip(), "allowed": self.allowed()}
        if not whole:
            kept = self.textFromValue(self.value())
            if isinstance(self, QSpinBox):
                # i18n: {setting} is a setting's name on the panel; {typed} what was typed; {kept} its value
                said = _("{setting}: “{typed}” is not a whole number: kept {kept}. Allowed: {allowed}.")
            else:
                # i18n: {setting} is a setting's name on the panel; {typed} what was typed; {kept} its value
                said = _("{setting}: “{typed}” is not a number: kept {kept}. Allowed: {allowed}.")
            self.said = said.format(kept=kept.strip(), **fields)
            return kept
        lo, hi = self.minimum(), self.maximum()
        if lo <= value <= hi:
            return super().fixup(text)
        kept = lo if value < lo else hi
        shown = self.textFromValue(kept)
        if value < lo:
            # i18n: {setting} is a setting's name on the panel; {typed} the number typed
            said = _("{setting}: {typed} is below the minimum {limit}: set to {limit}. Allowed: {allowed}.")
        else:
            # i18n: {setting} is a setting's name on the panel; {typed} the number typed
            said = _("{setting}: {typed} is above the maximum {limit}: set to {limit}. Allowed: {allowed}.")
        self.said = said.format(limit=shown.strip(), **fields)
        return shown


def _number(text: str, locale: QLocale | None = None) -> float | None:
    """The number `text` writes in the language's format ("0,5" in German), or as Python reads
    it ("0.5", "6e-4"; an English "1,000"); None when it is not a number.

    A '.' is always a decimal point, never a group separator: in German and Portuguese Qt
    reads "0.001" as 1 (the '.' grouping thousands), and a learning rate typed as every
    tutorial writes it was set 1000 times too large, silently. So "1.250" is 1.25 in German
    too, and a decimal field refuses text with group separators in a comma-decimal language
    ("1.000,5", "1 000"; it never shows them). English keeps "1,000" as one thousand. (A
    whole-number field reads a well-grouped "1.000" as one thousand in German: see _whole.)"""
    strict = QLocale(locale or QLocale())
    strict.setNumberOptions(strict.numberOptions() | QLocale.NumberOption.RejectGroupSeparator)
    text = text.strip()
    value, ok = strict.toDouble(text)
    if ok:
        return value
    if strict.decimalPoint() == ".":  # ',' groups thousands here, as Qt's own fields show them
        text = text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def _whole(text: str, locale: QLocale) -> float | None:
    """The number a whole-number field's `text` writes: its group separators taken only where
    they group thousands ("1.000" or "12.500" in German, "1,000" in English); a '.' elsewhere is
    a decimal point, as _number reads it, and any other separator elsewhere is refused. Qt's
    own reading dropped every group separator: "1.0" typed in German was 10 epochs, silently;
    it is 1 here, and "1.5" is refused as not whole."""
    text = text.strip()
    group = locale.groupSeparator()
    if group in ("\u00a0", "\u202f"):  # French groups with a narrow no-break space: a typed space is one
        text = text.replace(" ", group).replace("\u00a0", group)
    if group and group in text:
        if re.fullmatch(rf"[-+]?\d{{1,3}}({re.escape(group)}\d{{3}})+", text):
            return float(text.replace(group, ""))
        if group != ".":  # "1,0" in English: neither grouped nor a decimal point, so not a number
            return None
    return _number(text, locale)


class SaidSpinBox(SaysWhatItChanged, QSpinBox):
    """Reads its text as _whole does."""

    def valueFromText(self, text: str) -> int:
        value = _whole(text, self.locale())
        return self.value() if value is None or not value.is_integer() else int(value)

    def validate(self, text, pos):
        value = _whole(text, self.locale())
        if value is None or not value.is_integer():  # being typed, or not whole: judged when committed
            return QValidator.State.Intermediate, text, pos
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos  # out of range: fixup says what it is set to


class SaidDoubleSpinBox(SaysWhatItChanged, QDoubleSpinBox):
    """Keeps a value's full precision: it shows the shortest text that reads back as the same
    number (a search trial's lr 0.00060314… reopened here is still that trial's run, not
    0.000603), and takes what is typed, 6e-4 included."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(FULL_PRECISION)

    def textFromValue(self, value: float) -> str:
        text = np.format_float_positional(float(value), unique=True, trim="-")
        locale = self.locale()  # in the language's format: 0,3 in German and French
        return text.replace("-", locale.negativeSign()).replace(".", locale.decimalPoint())

    def valueFromText(self, text: str) -> float:
        value = _number(text, self.locale())
        return self.value() if value is None else value

    def validate(self, text, pos):
        value = _number(text, self.locale())
        if value is None:  # part of a number being typed, or not a number: judged when committed
            return QValidator.State.Intermediate, text, pos
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos  # out of range: fixup says what it is set to
