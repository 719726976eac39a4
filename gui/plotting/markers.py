"""Vertical lines that mark moments on the epoch plots: a live settings change, the end of
a run, the best epoch, where validation loss turned upwards.

Lines are reused across runs (creating one with its label costs a few ms of a frame):
a reused line gets its text, colour and position before it is shown again.

A marker's label is short ("hflip on", "dropout 0.3") and placed where it fits whole
inside the plot and clear of the legend and of the other labels; its full text
("augment_hflip False→True") is the tooltip of the line and of the label. Written along
the line and in full, it ran past the plot's top at 1280 x 720 ("augment_hflip Fa") and
over the legends. A live edit's texts are made from its values (change_text, change_label),
never re-read from shown text (German shows 2048 as "2.048", re-read as a decimal "2,048")."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetricsF

from engine.core.i18n import C_, _
from gui.plotting.axes import marker_font
from gui.plotting.values import setting_value

# (at the top?, text anchor): the text's top-left or top-right corner just below the top
# of the view, then its bottom corners just above the bottom. Right of the line first: a
# change marks what comes after it. Failing all four, the whole text is tried a row further
# in, up to ROWS rows from each edge, before any cut of it: two edits a second apart are lines
# a pixel apart, and the second label had no place in the top and bottom rows (its line was
# drawn without a word).
PLACES = ((True, (0, 0)), (True, (1, 0)), (False, (0, 1)), (False, (1, 1)))
ROWS = 4
GAP = 3.0  # px kept between a label and the plot's edge or the legend
ALARM_DASHES = [1, 2, 1, 2, 6, 2]  # dot, dot, dash: the end of a run that did not end well


def set_label(line: pg.InfiniteLine, text: str) -> None:
    """Change a line's label text. pyqtgraph redraws the text only while the label is
    visible, so a hidden line (kept for reuse) would keep its old text: set it directly."""
    line.label.format = text
    line.label.setText(text)


def change_text(changes: dict) -> str:
    """A live edit in full, from its values {key: (old, new)}: "augment_hflip False→True,
    dropout 0→0.3" (the line's tooltip and the status line), numbers in the language's format."""
    def value(v, key):
        if isinstance(v, bool):  # a switch's old and new value as the settings file has them
            # i18n: a switch's value before or after a live edit (augment_hflip False→True)
            return C_("setting choice", "True") if v else C_("setting choice", "False")
        return setting_value(v, key)

    # i18n: a setting changed mid-run: its short key, its value before and after (dropout 0→0.3)
    return ", ".join(_("{setting} {old}→{new}").format(setting=key.split(".")[-1], old=value(old, key),
                                                      new=value(new, key))
                     for key, (old, new) in changes.items())


def change_label(changes: dict) -> str:
    """What a live edit's marker label says, from its values {key: (old, new)}: the new value
    of each change ("hflip on, dropout 0.3", in the language's words and format)."""
    # i18n: a setting's short key and its value (dropout 0.3): a marker's label on the plots, a run's label
    return ", ".join(_("{setting} {value}").format(setting=key.split(".")[-1].removeprefix("augment_"),
                                                   value=setting_value(new, key))
                     for key, (_old, new) in changes.items())


class MarkerLines:
    """Labelled dotted lines on several plots at once, for events of the current run."""

    def __init__(self, plots: dict[str, pg.PlotWidget], on: tuple[str, ...]):
        self.plots, self.on = plots, on
        self.shown: list[tuple[str, pg.InfiniteLine]] = []
        self._spare: dict[str, list[pg.InfiniteLine]] = {}
        # Labels are placed again once the plot or its legend has its new size (the legend
        # is fitted in the next event-loop turn too): after a resize or larger text.
        self._timer = QTimer(singleShot=True, interval=0)
        self._timer.timeout.connect(self.place)
        for name in on:
            item = plots[name].getPlotItem()
            item.vb.sigResized.connect(self.place_soon)
            if item.legend is not None:
                item.legend.geometryChanged.connect(self.place_soon)

    def add(self, x: float, text: str, color: str = "#555", short: str | None = None) -> None:
        """A line at `x` on each plot: `text` its tooltip, `short` its label (`text` when None;
        a live edit's from change_label, made of the values, not re-read from the text)."""
        pen = pg.mkPen(color, width=1, style=Qt.PenStyle.DotLine)
        if QColor(color) != QColor("#555"):
            # A run that failed or diverged: red and grey are 17 apart for a protan eye, so
            # dots and dashes tell it from the settings changes too (no other line has them).
            pen.setDashPattern(ALARM_DASHES)
        for name in self.on:
            spare = self._spare.get(name)
            if spare:  # a line of an earlier run's marker
                line = spare.pop()
                line.setPen(pen)
                line.setPos(x)
                line.label.setColor(color)
            else:
                line = pg.InfiniteLine(pos=x, angle=90, pen=pen, label=text,
                                       labelOpts={"position": 0.95, "color": color,
                                                  "anchors": [PLACES[0][1]] * 2})
                self.plots[name].addItem(line, ignoreBounds=True)
            line.full_text, line.short_text = text, text if short is None else short
            line.setToolTip(text)
            line.label.setToolTip(text)
            line.show()
            self.shown.append((name, line))
        self.place()

    def place_soon(self, *_args) -> None:
        if self.shown:
            self._timer.start()

    def place(self) -> None:
        for name in self.on:
            self._place_on(name)

    def _place_on(self, name: str) -> None:
        """Each label of the plot at the first place where it fits whole, clear of the legend
        and of the labels placed before it; failing that, cut to the room it has."""
        plot = self.plots[name]
        item = plot.getPlotItem()
        view = item.vb.sceneBoundingRect().adjusted(GAP, GAP, -GAP, -GAP)
        legend = item.legend
        taken = [legend.sceneBoundingRect().adjusted(-GAP, -GAP, GAP, GAP)] \
            if legend is not None and legend.isVisible() and legend.items else []
        font = marker_font(plot)
        for _plot, line in (s for s in self.shown if s[0] == name):
            label = line.label
            label.setFont(font)
            x = item.vb.mapViewToScene(line.pos()).x()
            rect = self._fit(label, line.short_text, font, x, view, taken)
            if rect is None:  # no room anywhere: the line alone, its tooltip says what it marks
                set_label(line, "")
            else:
                taken.append(rect)

    @staticmethod
    def _fit(label, text: str, font, x: float, view: QRectF, taken: list[QRectF]) -> QRectF | None:
        """The whole text at the first place it fits; failing that, the longest cut of it."""
        cuts = [text] + [text[:n].rstrip(", ") + "…" for n in range(len(text) - 1, 2, -1)]
        metrics = QFontMetricsF(font)
        height = max(view.height(), 1.0)
        set_label(label.line, text)
        row = (label.sceneBoundingRect().height() + GAP) / height  # one row further in, along the line
        for i, shown in enumerate(cuts):
            # Rows further in for the whole text only: a cut is tried in the edge rows, as each
            # try lays the label out (at most 16 + 4 per cut, not 16 per cut, for a label with no room).
            for n in range(ROWS if i == 0 else 1):
                for top, anchor in PLACES:
                    rect = MarkerLines._try(label, shown, metrics, x, view, top, anchor, 2 * GAP / height + n * row)
                    if rect is None:
                        continue
                    # Apart by a space's width, not just not overlapping: two labels side by side
                    # read as one ("weight_decay 15finished").
                    apart = rect.adjusted(-2 * GAP, 0, 2 * GAP, 0)
                    if view.contains(rect) and not any(apart.intersects(t) for t in taken):
                        return rect
        return None

    @staticmethod
    def _try(label, shown: str, metrics, x: float, view: QRectF, top: bool, anchor, inward: float) -> QRectF | None:
        """The label's rect with `shown` at one place, `inward` (a share of the line's length)
        from the top or bottom edge; None when it cannot fit on that side of the line."""
        room = view.right() - x if anchor[0] == 0 else x - view.left()
        if metrics.horizontalAdvance(shown) > room or inward >= 0.5:
            return None  # cannot fit on that side, or past the middle: not laid out to find it out
        set_label(label.line, shown)
        label.anchors = [anchor, anchor]
        label.setPosition(1 - inward if top else inward)
        return label.sceneBoundingRect()

    def labels(self, plot: str) -> list[str]:
        """The full texts of the markers on one plot (each line's tooltip)."""
        return [line.full_text for name, line in self.shown if name == plot]

    def drawn(self, plot: str) -> list[str]:
        """The labels as drawn on one plot, as a reader sees them ("" for a line without room)."""
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

    def __init__(self, plots: dict[str, pg.PlotWidget], color: str, style: Qt.PenStyle = Qt.PenStyle.DashLine,
                 named_on: tuple[str, ...] = ("loss",)):
        """named_on: the plots whose legend names the line (elsewhere its colour and dash say it)."""
        self.plots, self.color, self.named_on = plots, color, named_on
        self.pen = pg.mkPen(color, width=1.5, style=style)
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
