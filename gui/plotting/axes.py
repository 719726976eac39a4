"""Plot axes that stay still: a value range that only grows to round numbers, a log axis
labelled by decades, and the one way every plot of the window is made.

Axes are the costly part of a pyqtgraph redraw (every tick label is laid out again when
a range moves), so ranges move as seldom as the data allow."""

from __future__ import annotations

import math
import weakref

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QPen

from engine.core.i18n import N_, _
from gui.plotting.numbers import exact_ticks, localized
from gui.plotting.titles import fit_title


def round_up(value: float) -> float:
    """The next of 1, 2, 2.5, 5 x 10^k at or above value (a loss-axis top)."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if m * base >= value:
            return m * base
    return 10 * base


class YRange:
    """A value axis that only grows, to round numbers, when data would leave it.

    mode "zero": [0, top] (loss, norms); "free": both ends (gap); "log": whole decades
    (pyqtgraph's log axes take log10 coordinates). `room_above`: keep the top of the plot
    free for its legend (zero: that share of the axis; log: one decade)."""

    def __init__(self, plot: pg.PlotWidget, mode: str, room_above: float = 0.0):
        self.plot, self.mode, self.room_above = plot, mode, room_above
        self.lo, self.hi = math.inf, -math.inf  # the data seen
        self.shown: tuple[float, float] | None = None

    def reset(self) -> None:
        self.lo, self.hi = math.inf, -math.inf
        self.shown = None

    def show_empty(self) -> None:
        """No data: a plain axis, not the last run's."""
        self.reset()
        self.plot.getPlotItem().setYRange(*((-1, 1) if self.mode in ("log", "free") else (0, 1)), padding=0.02)

    def include(self, *values: float) -> None:
        for v in values:
            if v is None or not math.isfinite(v) or (self.mode == "log" and v <= 0):
                continue
            self.lo, self.hi = min(self.lo, v), max(self.hi, v)

    def _target(self) -> tuple[float, float]:
        lo, hi = self.lo, self.hi
        if self.mode == "log":
            top = math.ceil(math.log10(hi)) + (1 if self.room_above else 0)
            return math.floor(math.log10(lo)), max(top, math.floor(math.log10(lo)) + 1)
        if self.mode == "zero":
            return 0.0, round_up(max(hi, 0) * (1.05 + self.room_above))
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        step = round_up((hi - lo) / 4 or 1.0)
        return math.floor(lo / step) * step, math.ceil(hi / step) * step

    def update(self) -> bool:
        """Move the axis if the data left it; True when it moved."""
        if self.lo > self.hi:
            return False
        if self.shown is not None:
            a, b = self.shown
            if self.mode == "log":
                lo, hi = math.log10(self.lo), math.log10(self.hi) + (1 if self.room_above else 0)
            else:
                lo, hi = self.lo, self.hi * (1 + self.room_above) if self.hi > 0 else self.hi
            if a <= lo and hi <= b:
                return False
        self.shown = self._target()
        self.plot.getPlotItem().setYRange(*self.shown, padding=0.02)
        return True



NICE_STEPS = (1.0, 2.0, 2.5, 5.0)


def nice_step(at_least: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above at_least."""
    base = 10 ** math.floor(math.log10(at_least))
    return next((m * base for m in NICE_STEPS if m * base >= at_least), 10 * base)


def nice_floor(at_most: float) -> float:
    """The largest of 1, 2, 2.5, 5 x 10^k at or below at_most."""
    base = 10 ** math.floor(math.log10(at_most))
    return next(m * base for m in (5.0, 2.5, 2.0, 1.0) if m * base <= at_most)


class LegibleAxis(pg.AxisItem):
    """An axis whose tick labels keep apart: no more major ticks than its length holds
    labels of its tick font, and only those labelled. pyqtgraph sizes its ticks by the
    axis's length alone, so with larger text on a short plot the labels overlapped
    (100/80/60 on accuracy 95 px tall)."""

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.setStyle(maxTextLevel=0)  # minor ticks are marks only: their labels crowded the major ones

    def label_pixels(self) -> float:
        """Pixels from one tick to the next that keep their labels apart, with air between."""
        from PySide6.QtGui import QFont, QFontMetricsF

        metrics = QFontMetricsF(self.style["tickFont"] or QFont())
        if self.orientation in ("left", "right"):
            return 1.6 * metrics.height()
        return metrics.horizontalAdvance("00000")  # a 4-digit label and a digit's air each side

    def tickSpacing(self, minVal, maxVal, size):
        levels = super().tickSpacing(minVal, maxVal, size)
        span = abs(maxVal - minVal)
        if not levels or span == 0 or size <= 0:
            return levels
        major = nice_step(span * self.label_pixels() / size)
        if major > span / 2 and self.orientation in ("left", "right"):
            # Two labelled ticks at least, even where they sit closer than is comfortable: one
            # label alone ("0" on the gap plot at Larger text) gives no scale.
            major = nice_floor(span / 2)
        if major <= levels[0][0]:
            return levels
        if self._tickSpacing is not None:  # spacing set by its plot (whole trials): a multiple of it
            base = levels[0][0]
            return [(math.ceil(major / base) * base, 0), (base, 0)]
        return [(major, 0), (major / (2 if major / 10 ** math.floor(math.log10(major)) == 1 else 5), 0)]

    def tickStrings(self, values, scale, spacing):
        """pyqtgraph's labels (its decimals, its 10² on a log axis) in the language's number
        format: 0,5 in German, French and Portuguese. Its decimals follow the spacing's
        magnitude, one for a 0.25 spacing, which labelled 0.25 and 0.75 as "0.2" and "0.8":
        as many as the ticks' own values need (up to three more)."""
        texts = super().tickStrings(values, scale, spacing)
        if not self.logMode and spacing > 0:
            texts = exact_ticks(values, scale, spacing, texts)
        return localized(texts)


class DecadeAxis(LegibleAxis):
    """A value axis that, on a log scale, labels whole decades only (0.1, 1, 10), and every
    second or third of them when a short axis would crowd them (10²/10¹/0.1 overlapped).

    pyqtgraph labels every 2..9 between decades when the axis is short, and they overlap."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        lo, hi = math.floor(minVal), math.ceil(maxVal)
        every = max(1, math.ceil(self.label_pixels() * (maxVal - minVal) / max(size, 1.0)))
        decades = [float(v) for v in range(lo, hi + 1) if minVal <= v <= maxVal]
        decades = decades[::every]  # from the lowest shown: two labels where two fit
        between = [v + math.log10(k) for v in range(lo, hi) for k in range(2, 10)
                   if minVal < v + math.log10(k) < maxVal]
        return [(float(every), decades), (None, between)]


def make_plot(title: str, y_label: str, x_label: str | None = None, log_capable: bool = False,
              legend_below: bool = False, legend_columns: int = 1) -> pg.PlotWidget:
    """Texts as shown (translated by the caller); x_label: "epoch" unless told.
    legend_below: the legend in the bottom-right corner, for curves that rise (accuracy,
    the gap), which would run through a legend in the top-right one."""
    axes = {"left": DecadeAxis("left") if log_capable else LegibleAxis("left"), "bottom": LegibleAxis("bottom")}
    w = pg.PlotWidget(title=title, axisItems=axes)
    item = w.getPlotItem()
    item.setLabel("left", y_label)
    # i18n: the horizontal axis's label of the plots over a run's epochs
    item.setLabel("bottom", _("epoch") if x_label is None else x_label)
    for side in ("left", "bottom"):
        # No quantity here is in SI units: pyqtgraph's prefixes read as fragments ("m" on a
        # margin axis, "×1e+27" on an empty log axis).
        item.getAxis(side).enableAutoSIPrefix(False)
    # No grid: pyqtgraph draws it with the axis, so every curve update would repaint the
    # axis and its labels too (measured: 10 ms instead of 1 ms per loss-plot frame).
    item.setDownsampling(auto=True, mode="peak")
    item.hideButtons()  # pyqtgraph's "A" (auto-range) corner button: the axes manage themselves
    item.setClipToView(True)
    # Below, it keeps clear of the end-of-run marker's label, which reads upwards from the
    # bottom at the right edge.
    # The legend's text above every curve; its white ground (LegendGround) beneath the live
    # run's curves: with the ground on top, a legend taking most of a short plot drew the
    # whole gap curve pale pink (the headline quantity, unreadable on a projector).
    legend = item.legend = FittedLegend(legend_columns, offset=(-25, -5) if legend_below else (-5, 5),
                                        labelTextSize=f"{LEGEND_PT}pt")
    legend.setParentItem(item.vb)
    legend.setZValue(1000)
    legend.ground = LegendGround(legend, item.vb)
    legend.setColumnCount(legend_columns)
    item.vb.sigResized.connect(legend.fit_soon)
    w.title_text = title
    title_timer = QTimer(w, singleShot=True, interval=0)  # once the resize is over
    plot_ref = weakref.ref(w)  # no cycle through the plot: it is freed when its panel goes
    title_timer.timeout.connect(lambda: plot_ref() is not None and fit_title(plot_ref()))
    item.vb.sigResized.connect(lambda *_args: title_timer.start())
    apply_text_scale([w], 1.0)
    return w


GROUND_Z = -15  # above earlier runs' faded curves (-20) and the per-step loss, below the live curves (0)


class LegendGround(pg.QtWidgets.QGraphicsRectItem):
    """A legend's white ground, drawn under the live curves: earlier runs' faded curves do
    not run through the legend's text, and the live run's curves keep their colour."""

    def __init__(self, legend: pg.LegendItem, view):
        super().__init__(view)
        self.legend = legend
        self.setBrush(pg.mkBrush(255, 255, 255, 225))
        self.setPen(pg.mkPen(None))
        self.setZValue(GROUND_Z)
        legend.geometryChanged.connect(self.follow)
        legend.visibleChanged.connect(self.follow)
        self.follow()

    def follow(self) -> None:
        self.setVisible(self.legend.isVisible() and bool(self.legend.items))
        self.setRect(self.legend.mapRectToParent(self.legend.boundingRect()))


TICK_PT, LABEL_PT, TITLE_PT, LEGEND_PT = 9, 10, 11, 9
MIN_LEGEND_PT = 8.0  # a legend shrinks to fit its plot, never below this (at 5 pt it was 7 px tall)


class FittedLegend(pg.LegendItem):
    """A legend that stays inside its plot: with larger text (or a smaller plot) it takes
    fewer columns, then a slightly smaller size, until it fits the plot's width and half its
    height.
    pyqtgraph anchors a right-aligned legend by its right edge, so a legend wider than the
    plot was cut at its left ("n" for "train") and drawn over the curves."""

    def __init__(self, columns: int, **kwargs):
        super().__init__(**kwargs)
        self.columns, self.text_pt = columns, float(LEGEND_PT)  # wanted: as many columns, this size
        self.shown_pt: float | None = float(LEGEND_PT)
        self._fitting = False
        self._fitted = None  # (room, entries, size) the legend was last fitted to
        from PySide6.QtCore import QTimer

        self._timer = QTimer(singleShot=True, interval=0)  # entries added one by one: fit once after
        self._timer.timeout.connect(self.fit)

    ground = None  # its LegendGround, once made

    def addItem(self, item, name) -> None:
        super().addItem(item, name)
        self.fit_soon()
        self._ground_follows()

    def removeItem(self, item) -> None:
        super().removeItem(item)
        self.fit_soon()
        self._ground_follows()

    def _ground_follows(self) -> None:
        if self.ground is not None:
            self.ground.follow()

    def fit_soon(self, *_args) -> None:
        if not self._fitting:
            self._timer.start()

    def relabel(self, pt: float) -> None:
        """Labels at `pt` points. pyqtgraph sizes new labels only, and a legend never
        shrinks: they are added anew (not through addItem: no fit is asked for)."""
        self.setLabelTextSize(f"{pt:.0f}pt")
        entries = [(sample.item, label.text) for sample, label in self.items]
        self.clear()
        for curve, name in entries:
            super().addItem(curve, name)
        self.shown_pt = pt

    def fit(self) -> None:
        view = self.parentItem()
        if view is None or not self.items:
            return
        width, height = view.boundingRect().width() - 10, view.boundingRect().height() * 0.5
        if width <= 0:
            return
        key = (round(width), round(height), tuple(label.text for _sample, label in self.items), self.text_pt)
        if key == self._fitted:  # the same entries in the same room: fitted already
            return
        fitted = self._fitted
        if fitted is not None and fitted[2:] == key[2:]:
            # The room moved a little (the value axis's labels grew a digit, every few epochs
            # of a run): refitting relabels every entry (~10 ms a legend). Only when the legend
            # no longer fits, or the room grew enough that a larger size might.
            box = self.boundingRect()
            fits = box.width() <= width and box.height() <= height
            full = self.shown_pt == self.text_pt and self.columnCount == self.columns
            if fits and (full or (key[0] <= fitted[0] * 1.15 and key[1] <= fitted[1] * 1.15)):
                return
        # Never below MIN_LEGEND_PT: at 0.6 of 9 pt its letters were 7 px high. A legend that
        # does not fit then takes more of the plot, on its white ground.
        sizes = [self.text_pt * f for f in (1.0, 0.85, 0.7) if self.text_pt * f >= MIN_LEGEND_PT] or [
            min(self.text_pt, MIN_LEGEND_PT)]
        if (fitted is not None and fitted[3] == self.text_pt and key[0] <= fitted[0] and key[1] <= fitted[1]
                and self.shown_pt in sizes):
            # No more room than at the last fit (new entries, say): the sizes above the one shown
            # did not fit then and would not now; relabelling every entry costs ~10 ms a legend.
            sizes = sizes[sizes.index(self.shown_pt):]
        self._fitting = True
        try:
            for pt in sizes:
                if getattr(self, "shown_pt", None) != pt:
                    self.relabel(pt)
                for columns in range(self.columns, 0, -1):
                    self.setColumnCount(columns)
                    box = self.boundingRect()
                    if box.width() <= width and box.height() <= height:
                        return
            for columns in range(self.columns, 0, -1):  # none fits: at least not cut at the sides
                self.setColumnCount(columns)
                if self.boundingRect().width() <= width:
                    return
        finally:
            self._fitted = key
            self._fitting = False
            self._ground_follows()


def marker_font(plot: pg.PlotWidget):
    """The font of a marker line's label on `plot`, at the plot's text scale."""
    from PySide6.QtGui import QFont

    font = QFont()
    font.setPointSizeF(LABEL_PT * getattr(plot, "text_scale", 1.0))
    return font


def apply_text_scale(plots, scale: float) -> None:
    """Tick labels, axis labels, titles, legends and curve widths at `scale` x their size."""
    from PySide6.QtGui import QFont

    for w in plots:
        item = w.getPlotItem()
        font = QFont()
        font.setPointSizeF(TICK_PT * scale)
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setTickFont(font)
            axis.setStyle(tickTextOffset=max(2, int(3 * scale)))
            axis.label.setFont(QFont(font.family(), max(1, round(LABEL_PT * scale))))
        w.text_scale = scale
        fit_title(w)
        if isinstance(item.legend, FittedLegend):
            item.legend.text_pt = LEGEND_PT * scale
            item.legend.relabel(item.legend.text_pt)  # at the new size now, then fitted to the plot
            item.legend.fit_soon()
        for line in item.items:
            if isinstance(line, pg.InfiniteLine) and getattr(line, "label", None) is not None:
                line.label.setFont(marker_font(w))
        for curve in item.listDataItems():
            pen = curve.opts.get("pen")
            if isinstance(pen, QPen):
                base = curve.__dict__.setdefault("base_width", pen.widthF())
                scaled = QPen(pen)
                scaled.setWidthF(base * scale)
                curve.setPen(scaled)


# By optim.loss; translated where shown: _(LOSS_TITLES[loss]).
LOSS_TITLES = {"cross_entropy": N_("Loss (cross-entropy)"), "mse": N_("Loss (squared error)")}


def retitle(plot: pg.PlotWidget, title: str) -> None:
    """A plot's title changed (the loss a run trains with), at the plot's text size."""
    if getattr(plot, "title_text", None) != title:
        plot.title_text = title
        fit_title(plot)
