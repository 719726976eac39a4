"""The settings panel's number fields: a number typed out of range is set to the nearest
allowed value and said, text that is not a number is refused and said (the field keeps its
value), each naming the field and its range; a float keeps its full precision."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

FULL_PRECISION = 323  # Qt rounds every value to `decimals` places: with these, a double is kept whole


class SaysWhatItChanged:
    """A spin box that takes a number typed outside its range and sets the nearest allowed
    value, saying so (Qt's own kept the digits that fit, 99999999 -> 99, or went back to the
    previous value, 0 epochs -> 40, without a word), and refuses text that is not a number,
    saying so (Qt's own dropped each key it could not take: "abc-5xyz" became 5 training
    examples). `said` holds the last such note; `label` names the field in it."""

    said = ""
    label = "this field"

    def validate(self, text, pos):
        result = super().validate(text, pos)
        state = result[0] if isinstance(result, tuple) else result
        if state == QValidator.State.Invalid:
            # Kept as typed, a number or not: judged (set or refused, and said) when committed.
            return QValidator.State.Intermediate, text, pos
        return result

    def kind(self) -> str:
        return "a whole number" if isinstance(self, QSpinBox) else "a number"

    def allowed(self) -> str:
        lo, hi = (self.textFromValue(v).strip() for v in (self.minimum(), self.maximum()))
        return f"{self.kind()} from {lo} to {hi}"

    def fixup(self, text):
        value = _number(text)
        whole = value is not None and (not isinstance(self, QSpinBox) or float(value).is_integer())
        if not whole:
            kept = self.textFromValue(self.value())
            self.said = (f"{self.label}: “{text.strip()}” is not {self.kind()}: "
                         f"kept {kept.strip()}. Allowed: {self.allowed()}.")
            return kept
        lo, hi = self.minimum(), self.maximum()
        if lo <= value <= hi:
            return super().fixup(text)
        kept = lo if value < lo else hi
        shown = self.textFromValue(kept)
        self.said = (f"{self.label}: {text.strip()} is {'below the minimum' if value < lo else 'above the maximum'} "
                     f"{shown.strip()}: set to {shown.strip()}. Allowed: {self.allowed()}.")
        return shown


def _number(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", ""))
    except ValueError:
        return None


class SaidSpinBox(SaysWhatItChanged, QSpinBox):
    pass


class SaidDoubleSpinBox(SaysWhatItChanged, QDoubleSpinBox):
    """Keeps a value's full precision: it shows the shortest text that reads back as the same
    number (a search trial's lr 0.00060314… reopened here is still that trial's run, not
    0.000603), and takes what is typed, 6e-4 included."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(FULL_PRECISION)

    def textFromValue(self, value: float) -> str:
        return np.format_float_positional(float(value), unique=True, trim="-")

    def valueFromText(self, text: str) -> float:
        value = _number(text)
        return self.value() if value is None else value

    def validate(self, text, pos):
        value = _number(text)
        if value is None:  # part of a number being typed, or not a number: judged when committed
            return QValidator.State.Intermediate, text, pos
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos  # out of range: fixup says what it is set to
