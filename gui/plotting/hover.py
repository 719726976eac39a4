"""Hover read-outs: the values of every curve at the epoch under the mouse."""

from __future__ import annotations

import re

import pyqtgraph as pg
from PySide6.QtCore import Qt

from engine.core.i18n import _, integer, number, percent
from gui.plotting.colors import REFERENCE
from gui.plotting.numbers import significant
from gui.plotting.series import Series

FORMAT = re.compile(r"\{:\.(\d+)([fg])\}( %)?")  # "{:.4g}", "{:.1f} %"


def value_text(fmt: str, value: float) -> str:
    """A value as `fmt` says, as Python would write it ("{:.4g}": four significant digits,
    "{:.1f} %": a percentage with one decimal), in the language's number format."""
    found = FORMAT.fullmatch(fmt)
    if found is None:
        return fmt.format(value)
    places, kind, is_percent = int(found[1]), found[2], bool(found[3])
    if is_percent and kind == "f":
        return percent(value, places)
    text = number(value, places) if kind == "f" else significant(value, places)
    return _("{value} %").format(value=text) if is_percent else text


class HoverReadout:
    """Shows the values of every curve at the epoch under the mouse. Its owner keeps a
    reference (nothing else does: a read-out nobody refers to loses its connection) and
    calls `hide()` when the mouse leaves the plot or the plot's run is cleared. The names
    are shown as given (translated by the owner); `fmt`: see value_text."""

    def __init__(self, plot: pg.PlotWidget, series: dict[str, Series], fmt: str = "{:.4g}"):
        self.plot, self.series, self.fmt = plot, series, fmt
        self.text = pg.TextItem(color="#222", anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 220))
        self.text.setZValue(100)
        self.text.hide()
        plot.addItem(self.text, ignoreBounds=True)
        self.line = pg.InfiniteLine(angle=90, pen=pg.mkPen(REFERENCE, style=Qt.PenStyle.DotLine))  # 4.5:1
        self.line.hide()
        plot.addItem(self.line, ignoreBounds=True)
        plot.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)

    def hide(self) -> None:
        self.text.hide()
        self.line.hide()

    def _on_scene_mouse_moved(self, pos) -> None:
        vb = self.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(pos):
            self.hide()
            return
        point = vb.mapSceneToView(pos)
        epoch = round(point.x())
        parts = [_("epoch {epoch}").format(epoch=integer(epoch))]
        for name, s in self.series.items():
            v = s.value_at(epoch)
            if v is not None:
                # i18n: a line of a plot's hover read-out: a curve's name and its value (val: 70.0 %)
                parts.append(_("{name}: {value}").format(name=name, value=value_text(self.fmt, v)))
        if len(parts) == 1:
            self.hide()
            return
        self.text.setText("\n".join(parts))
        (x0, x1), (y0, y1) = vb.viewRange()
        self.text.setPos(x0, y1)
        self.line.setPos(epoch)
        self.text.show()
        self.line.show()
