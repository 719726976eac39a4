"""Vertical lines that mark moments on the epoch plots: a live settings change, the end of
a run, the best epoch, where validation loss turned upwards.

Lines are reused across runs (creating one with its label costs a few ms of a frame):
a reused line gets its text, colour and position before it is shown again."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from gui.plotting.axes import marker_font


def set_label(line: pg.InfiniteLine, text: str) -> None:
    """Change a line's label text. pyqtgraph redraws the text only while the label is
    visible, so a hidden line (kept for reuse) would keep its old text: set it directly."""
    line.label.format = text
    line.label.setText(text)


class MarkerLines:
    """Labelled dotted lines on several plots at once, for events of the current run."""

    def __init__(self, plots: dict[str, pg.PlotWidget], on: tuple[str, ...]):
        self.plots, self.on = plots, on
        self.shown: list[tuple[str, pg.InfiniteLine]] = []
        self._spare: dict[str, list[pg.InfiniteLine]] = {}

    def add(self, x: float, text: str, color: str = "#555") -> None:
        pen = pg.mkPen(color, width=1, style=Qt.PenStyle.DotLine)
        for name in self.on:
            spare = self._spare.get(name)
            if spare:  # a line of an earlier run's marker
                line = spare.pop()
                line.setPen(pen)
                line.setPos(x)
                line.label.setColor(color)
            else:
                line = pg.InfiniteLine(pos=x, angle=90, pen=pen, label=text,
                                       labelOpts={"position": 0.05, "color": color, "rotateAxis": (1, 0),  # up from the bottom, left of the line
                                                  "anchors": [(0, 1), (0, 1)]})
                self.plots[name].addItem(line, ignoreBounds=True)
            set_label(line, text)
            line.label.setFont(marker_font(self.plots[name]))
            line.show()
            self.shown.append((name, line))

    def labels(self, plot: str) -> list[str]:
        """The texts shown on one plot, as a reader sees them."""
        return [line.label.textItem.toPlainText() for name, line in self.shown if name == plot]

    def clear(self) -> None:
        for name, line in self.shown:  # hidden and kept for the next run's markers
            line.hide()
            self._spare.setdefault(name, []).append(line)
        self.shown.clear()


class EpochLine:
    """One dashed line per plot that moves with the data (the best epoch, the turn of the
    validation loss), named in the plot's legend rather than by a label on the line: a
    label floating in the plot sat on the curves of small plots."""

    def __init__(self, plots: dict[str, pg.PlotWidget], color: str, named_on: tuple[str, ...] = ("loss",)):
        """named_on: the plots whose legend names the line (elsewhere its colour says it)."""
        self.plots, self.color, self.named_on = plots, color, named_on
        self.pen = pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine)
        self.lines: dict[str, pg.InfiniteLine] = {}
        self.entries: dict[str, pg.PlotDataItem] = {}  # a legend's sample for the line

    def draw(self, plot: str, x: float, label: str) -> pg.InfiniteLine:
        line = self.lines.get(plot)
        if line is None:
            line = self.lines[plot] = pg.InfiniteLine(angle=90, pen=self.pen)
            self.plots[plot].addItem(line, ignoreBounds=True)
            self.entries[plot] = pg.PlotDataItem(pen=self.pen)  # no data: a legend sample only
        line.setPos(x)
        line.show()
        if plot not in self.named_on:
            return line
        legend = self.plots[plot].getPlotItem().legend
        entry = self.entries[plot]
        shown = [lab for sample, lab in legend.items if sample.item is entry]
        if shown:
            shown[0].setText(label)
        else:
            legend.addItem(entry, label)
        return line

    def label(self, plot: str) -> str | None:
        """The legend's text for this line on `plot`, while it is shown."""
        legend = self.plots[plot].getPlotItem().legend
        entry = self.entries.get(plot)
        return next((lab.text for sample, lab in legend.items if sample.item is entry), None)

    def value(self, plot: str) -> float | None:
        line = self.lines.get(plot)
        return None if line is None or not line.isVisible() else line.value()

    def hide(self) -> None:
        for plot, line in self.lines.items():
            line.hide()
            self.plots[plot].getPlotItem().legend.removeItem(self.entries[plot])
