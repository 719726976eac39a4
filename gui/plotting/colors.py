"""The plots' colours, chosen so that every eye can tell the series apart.

Measured (Machado 2009 simulation at full severity, CIEDE2000, WCAG contrast on the white
plot background; tests/gui/colour_vision.py): of Okabe–Ito, Paul Tol's bright, muted,
vibrant and dark sets, petroff10 and tab10, only three colours at 3:1 or more on white stay
20 apart under protanopia, deuteranopia and tritanopia at once, and Okabe–Ito's blue,
vermillion and black do it best (38 at the closest; the best four of any of these sets
reach 16.7, petroff10's). So the plots use those three colours, and a series beyond the third
of a plot takes a dash pattern as its second cue (series_style): two series drawn alike
always differ by ≥ 20 for every eye. Train is solid, validation dashed wherever both show."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

BLUE, VERMILLION, BLACK = "#0072b2", "#d55e00", "#000000"  # Okabe–Ito; 5.2, 3.9 and 21:1 on white
SERIES = (BLUE, VERMILLION, BLACK)
BLUISH_GREEN = "#009e73"  # Okabe–Ito, 3.4:1: the best-epoch line, which has a dash pattern of its own
REFERENCE = "#767676"  # 4.5:1: a reference line that is not data (the reliability diagram's diagonal)
TEXT_RED = "#b3261e"  # 6.5:1: a warning in text (text needs 4.5:1)

TRAIN, VAL = BLUE, VERMILLION
TRAIN_STYLE, VAL_STYLE = Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine
STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine,
          Qt.PenStyle.DashDotDotLine)


def series_color(i: int) -> str:
    return SERIES[i % len(SERIES)]


def series_style(i: int) -> Qt.PenStyle:
    """The dash pattern of the i-th series of a plot: solid for the first three colours, then
    dashed, dotted ...: no two series share both colour and pattern until the 15th."""
    return STYLES[(i // len(SERIES)) % len(STYLES)]


def series_pen(i: int, width: float = 2) -> pg.QtGui.QPen:
    return pg.mkPen(series_color(i), width=width, style=series_style(i))


# A series colour as text (a run's name in a table): text needs 4.5:1, vermillion has 3.9.
TEXT_OF = {VERMILLION: "#a94a00"}
GLYPHS = {Qt.PenStyle.SolidLine: "━━", Qt.PenStyle.DashLine: "╍╍", Qt.PenStyle.DotLine: "┈┈",
          Qt.PenStyle.DashDotLine: "━·━", Qt.PenStyle.DashDotDotLine: "━··━"}


def as_text(color: str) -> str:
    return TEXT_OF.get(color, color)


def glyph(style: Qt.PenStyle) -> str:
    """A line's sample in text (a legend written in HTML), its dash pattern drawn alike."""
    return GLYPHS.get(style, "━━")


def train_dots(i: int) -> list[float]:
    """A dotted pattern of its own for the training curve of the i-th series (its validation
    curve has series_style(i)): dots with a longer gap after 1, 2, 3 ... of them."""
    return [1, 2] * (i // len(SERIES)) + [1, 5]


def train_pen(i: int, width: float = 1.5):
    """The i-th series' training curve: its colour, dotted in its own pattern (train_dots)."""
    pen = pg.mkPen(series_color(i), width=width)
    pen.setDashPattern(train_dots(i))
    return pen


def value_map():
    """Lines coloured by a value (a search's trials): cividis from its dark blue (16:1) to
    where it is still 3:1 on white, lightness rising with the value for every eye."""
    full = pg.colormap.get("cividis")
    stops = np.linspace(0, 1, 9)
    return pg.ColorMap(stops, [full.map(0.6 * x, mode="qcolor") for x in stops])


def matrix_lookup_table():
    """Kovesi's colour-blind-safe CET-CBL2, pale for few and dark for many (zero cells stay
    pale): its lightness rises steadily and its hues are blue and yellow, which protan and
    deutan eyes keep; a tritan eye still reads the order from the lightness."""
    return pg.colormap.get("CET-CBL2").getLookupTable(start=1.0, stop=0.0)


def luminance(rgb) -> float:
    """WCAG relative luminance of an sRGB colour given as 0-255 components."""
    c = np.asarray(rgb[:3], dtype=float) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def text_on(rgb) -> str:
    """Black or white, whichever contrasts more with a cell of colour rgb (0-255): ≥ 4.58:1."""
    y = luminance(rgb)
    return "#000000" if (y + 0.05) / 0.05 >= 1.05 / (y + 0.05) else "#ffffff"


def with_alpha(hex_color: str, alpha: int) -> QColor:
    c = QColor(hex_color)
    c.setAlpha(alpha)
    return c
