"""Measures what a plot shows to eyes with and without a colour-vision deficiency.

Each plot's visible lines are read from pyqtgraph (pens, symbol brushes, alpha blended over
the plot's background), simulated for protanopia, deuteranopia and tritanopia (Machado,
Oliveira and Fernandes 2009, severity 1.0, on linear RGB) and compared with CIEDE2000;
contrast is WCAG 2.2's, from relative luminance."""

from __future__ import annotations

import itertools
import sys
import warnings
from dataclasses import dataclass
from unittest import mock

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # colour warns that matplotlib is not installed
    import colour

# Without matplotlib, colour puts mocks in its place in sys.modules; torch then finds a module
# with no __spec__ and a run fails ("matplotlib.__spec__ is not set"). Take the mocks out again.
# (cycler and mpl_toolkits too.) Import this module at a test module's top: imported while a run
# trains, the engine thread can meet the mocks before they are gone.
for _name in [n for n, m in list(sys.modules.items()) if isinstance(m, mock.Mock)]:
    del sys.modules[_name]

DEFICIENCIES = {"protanopia": "Protanomaly", "deuteranopia": "Deuteranomaly", "tritanopia": "Tritanomaly"}
MATRICES = {name: colour.matrix_cvd_Machado2009(kind, 1.0) for name, kind in DEFICIENCIES.items()}
MATRICES["normal vision"] = np.eye(3)


def _linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance of an sRGB colour (components 0-1)."""
    r, g, b = _linear(np.asarray(rgb, dtype=float))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    lo, hi = sorted((luminance(a), luminance(b)))
    return (hi + 0.05) / (lo + 0.05)


def seen_lab(rgb, vision: str) -> np.ndarray:
    """CIELAB of an sRGB colour as an eye with `vision` sees it (Machado 2009 simulation)."""
    linear = np.clip(MATRICES[vision] @ _linear(np.asarray(rgb, dtype=float)), 0, 1)
    srgb = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return colour.XYZ_to_Lab(colour.sRGB_to_XYZ(srgb))


def delta_e(a, b, vision: str) -> float:
    return float(colour.delta_E(seen_lab(a, vision), seen_lab(b, vision), method="CIE 2000"))


def over(qcolor, background) -> tuple[float, float, float]:
    """The colour a (possibly translucent) pen paints on `background`, as sRGB 0-1."""
    a = qcolor.alphaF()
    bg = np.asarray(background)
    return tuple(a * np.array([qcolor.redF(), qcolor.greenF(), qcolor.blueF()]) + (1 - a) * bg)


@dataclass
class Line:
    """One thing drawn on a plot, as the eye meets it."""
    name: str
    rgb: tuple[float, float, float]
    cue: tuple  # what tells it apart besides colour: dash pattern, marker

    def __str__(self) -> str:
        hex_rgb = "".join(f"{round(255 * c):02x}" for c in self.rgb)
        return f"{self.name} #{hex_rgb} {self.cue}"


def _pen_cue(pen) -> tuple:
    style = pen.style()
    pattern = tuple(pen.dashPattern()) if style == Qt.PenStyle.CustomDashLine else ()
    return (style.name, pattern)


def lines_of(plot: pg.PlotWidget, same_series: dict | None = None) -> list[Line]:
    """The visible lines and marker series of a plot: data items with data, infinite lines.

    same_series maps an item to the name of the series it is part of (the per-step training
    loss is the training loss, drawn twice): such items share their series' name."""
    bg_color = plot.backgroundBrush().color()
    bg = (bg_color.redF(), bg_color.greenF(), bg_color.blueF())
    same_series = same_series or {}
    found = []
    for item in plot.getPlotItem().items:
        if not item.isVisible():
            continue
        name = same_series.get(id(item))
        if isinstance(item, pg.PlotDataItem):
            if item.xData is None or len(item.xData) == 0:
                continue
            name = name or item.name() or f"unnamed {type(item).__name__} {id(item)}"
            pen = pg.mkPen(item.opts["pen"])
            symbol = item.opts.get("symbol")
            if pen.style() != Qt.PenStyle.NoPen:
                found.append(Line(name, over(pen.color(), bg), (*_pen_cue(pen), symbol)))
            elif symbol is not None:
                brush = pg.mkBrush(item.opts["symbolBrush"])
                found.append(Line(name, over(brush.color(), bg), ("markers", symbol)))
        elif isinstance(item, pg.PlotCurveItem):
            if item.xData is None or len(item.xData) == 0:
                continue
            pen = pg.mkPen(item.opts["pen"])
            found.append(Line(name or f"curve {id(item)}", over(pen.color(), bg), (*_pen_cue(pen), None)))
        elif isinstance(item, pg.ScatterPlotItem):  # points coloured one by one (a class each)
            seen = {}
            for point in item.points():
                brush, pen = point.brush(), point.pen()
                filled = brush.style() != Qt.BrushStyle.NoBrush
                color = brush.color() if filled else pen.color()
                seen.setdefault(color.name(QColor.NameFormat.HexArgb), color)
            for key, color in seen.items():
                found.append(Line(f"{item.name()} {key}", over(color, bg), ("points", item.opts["symbol"])))
        elif isinstance(item, pg.InfiniteLine):
            label = getattr(item, "label", None)
            text = label.toPlainText() if label is not None else ""
            found.append(Line(name or f"vertical line {text!r} {id(item)}", over(item.pen.color(), bg),
                              (*_pen_cue(item.pen), None)))
    return found


@dataclass
class Measured:
    smallest_delta_e: dict  # vision -> (ΔE, pair)
    too_close: list  # (plot, vision, ΔE, a, b)
    lowest_contrast: tuple  # (ratio, plot, line)
    low_contrast: list  # (plot, line, ratio)


def measure(plots: dict[str, list[Line]], backgrounds: dict, min_delta_e=20.0, min_contrast=3.0) -> Measured:
    """Every pair of lines on one plot that share their cue, under every vision; every line
    against its background."""
    smallest = {v: (np.inf, None) for v in MATRICES}
    too_close, low, lowest = [], [], (np.inf, None, None)
    for plot, lines in plots.items():
        for line in lines:
            ratio = contrast(line.rgb, backgrounds[plot])
            lowest = min(lowest, (ratio, plot, str(line)), key=lambda t: t[0])
            if ratio < min_contrast:
                low.append((plot, str(line), round(ratio, 2)))
        for a, b in itertools.combinations(lines, 2):
            if a.cue != b.cue or a.name == b.name:
                continue
            for vision in MATRICES:
                d = delta_e(a.rgb, b.rgb, vision)
                if d < smallest[vision][0]:
                    smallest[vision] = (d, f"{plot}: {a} / {b}")
                if d < min_delta_e:
                    too_close.append((plot, vision, round(d, 1), str(a), str(b)))
    return Measured(smallest, too_close, lowest, low)


def _label_color(label) -> object:
    """A LabelItem's text colour (pyqtgraph's foreground unless it was given one)."""
    return pg.mkColor(label.opts.get("color") or pg.getConfigOption("foreground"))


def texts_of(plot: pg.PlotWidget) -> list[tuple[str, tuple[float, float, float]]]:
    """The text a plot shows: title, axis ticks and labels, legend entries, labels on lines."""
    bg_color = plot.backgroundBrush().color()
    bg = (bg_color.redF(), bg_color.greenF(), bg_color.blueF())
    item = plot.getPlotItem()
    found = []
    if item.titleLabel.isVisible() and item.titleLabel.text:
        found.append((f"title {item.titleLabel.text!r}", over(_label_color(item.titleLabel), bg)))
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        if axis.isVisible():
            found.append((f"{side} ticks", over(axis.textPen().color(), bg)))
            if axis.label.isVisible() and axis.label.toPlainText():
                found.append((f"{side} label", over(axis.label.defaultTextColor(), bg)))
    if item.legend is not None and item.legend.isVisible():
        for _sample, label in item.legend.items:
            if label.isVisible():
                found.append((f"legend {label.text!r}", over(_label_color(label), bg)))
    for child in item.items:
        label = getattr(child, "label", None)
        if isinstance(child, pg.InfiniteLine) and child.isVisible() and label is not None and label.isVisible():
            found.append((f"label {label.toPlainText()!r}", over(label.color, bg)))
        elif isinstance(child, pg.TextItem) and child.isVisible():
            found.append((f"text {child.toPlainText()!r}", over(child.color, bg)))
    return found
