"""Numbers on the plots in the language's format: tick labels, read-outs, marker labels.

Tick labels keep pyqtgraph's choice (how many decimals, %g for the very small and large, 10²
for a log axis's decades); only QLocale's symbols are put in: the decimal comma of German,
French and Portuguese. The window sets QLocale's default from its language before it is
built; English ticks read as pyqtgraph writes them."""

from __future__ import annotations

import math
import re

from PySide6.QtCore import QLocale

from engine.core.i18n import number

# What pyqtgraph's tickStrings and logTickStrings write: digits, a sign, a point, an exponent,
# and a log axis's "2·10⁻³". A tick text set by its plot (a class name) is left as it is.
PYTHON_NUMBER = re.compile(r"[-+0-9.e·⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+")
DECIMAL = re.compile(r"-?\d+\.(\d+)")


def localized(texts: list[str], locale: QLocale | None = None) -> list[str]:
    """Numbers as Python writes them ('0.5', '-1e-05', '10⁻²') with the locale's decimal
    point, signs and exponent; anything else unchanged."""
    locale = locale or QLocale()
    symbols = {".": locale.decimalPoint(), "-": locale.negativeSign(), "+": locale.positiveSign(),
               "e": locale.exponential().lower()}  # 1e-05 as pyqtgraph writes it, not 1E-05
    return ["".join(symbols.get(ch, ch) for ch in t) if PYTHON_NUMBER.fullmatch(t) else t for t in texts]


def significant(value: float, digits: int = 4) -> str:
    """`value` to `digits` significant digits, its shortest form (like '{:.4g}') in the
    language's format: 0.5, 0.1235, 123.5."""
    if value == 0 or not math.isfinite(value):
        return number(value)
    places = digits - 1 - math.floor(math.log10(abs(value)))
    return number(round(value, places))


def decimal_text(text: str) -> str:
    """A decimal written by Python ('0.3') in the language's format with as many places; any
    other text (a whole number, 1e-05, a word) as it is."""
    found = DECIMAL.fullmatch(text)
    return number(float(text), len(found[1])) if found else text


def exact_ticks(values, scale: float, spacing: float, texts: list[str]) -> list[str]:
    """pyqtgraph's linear tick labels with enough decimals for every tick's value (0.25, not
    0.2); labels it writes in %g form (very small or large) are kept."""
    places = max(0, math.ceil(-math.log10(spacing * scale)))
    scaled = [v * scale for v in values]
    for extra in range(4):
        d = places + extra
        if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in scaled):
            break
    else:
        return texts
    if d == places:
        return texts
    return [t if (abs(v) < .001 or abs(v) >= 10000) else f"{v:.{d}f}" for v, t in zip(scaled, texts, strict=True)]
