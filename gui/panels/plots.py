"""Live plots: each curve is created once, fed from growing numpy buffers and redrawn from a
timer (10 Hz, only what changed), with peak downsampling and clip-to-view.

Axes are the costly part of a pyqtgraph redraw (every tick label is laid out again when
a range moves), so ranges move as seldom as the data allow: the epoch axis spans the
whole run from its start, accuracy spans 0-100 %, and the other value axes (YRange) only
grow, to round numbers, when a value would leave them."""

from __future__ import annotations

import math
import time
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QColor, QPixmapCache
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QGridLayout, QVBoxLayout, QWidget

from engine import events as ev

pg.setConfigOptions(antialias=False, background="w", foreground="#333")

TRAIN = "#1f77b4"
VAL = "#ff7f0e"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
GHOSTS = ["#9e9e9e", "#b39ddb", "#a5d6a7"]
CLASS_COLORS = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40],
                         [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127],
                         [188, 189, 34], [23, 190, 207]], dtype=np.float32)
REDRAW_MS = 100  # 10 Hz: smooth enough for training curves, and each frame costs the training thread
PERCENT_PLOTS = ("accuracy", "noise")
SERIES_PLOTS = {"loss": ("train_loss", "val_loss"), "accuracy": ("train_acc", "val_acc"),
                "gap": ("acc_gap", "loss_gap"), "noise": ("clean_acc", "noisy_acc")}
STAGGERED_PLOTS = ["accuracy", "gap", "norms", "grads", "noise"]


def round_up(value: float) -> float:
    """The next of 1, 2, 2.5, 5 x 10^k at or above value (a loss-axis top)."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if m * base >= value:
            return m * base
    return 10 * base
MAX_GHOST_RUNS = 3
CACHED = QGraphicsItem.CacheMode.DeviceCoordinateCache
# Cached plot items live in Qt's pixmap cache; the loss plot alone keeps a dozen pixmaps
# the size of its view box, more than the default 10 MB holds without evicting them.
PIXMAP_CACHE_KB = 64 * 1024


class YRange:
    """A value axis that only grows, to round numbers, when data would leave it.

    mode "zero": [0, top] (loss, norms); "free": both ends (gap); "log": whole decades
    (pyqtgraph's log axes take log10 coordinates)."""

    def __init__(self, plot: pg.PlotWidget, mode: str):
        self.plot, self.mode = plot, mode
        self.lo, self.hi = math.inf, -math.inf  # the data seen
        self.shown: tuple[float, float] | None = None

    def reset(self) -> None:
        self.lo, self.hi = math.inf, -math.inf
        self.shown = None

    def include(self, *values: float) -> None:
        for v in values:
            if v is None or not math.isfinite(v) or (self.mode == "log" and v <= 0):
                continue
            self.lo, self.hi = min(self.lo, v), max(self.hi, v)

    def _target(self) -> tuple[float, float]:
        lo, hi = self.lo, self.hi
        if self.mode == "log":
            return math.floor(math.log10(lo)), max(math.ceil(math.log10(hi)), math.floor(math.log10(lo)) + 1)
        if self.mode == "zero":
            return 0.0, round_up(max(hi, 0) * 1.05)
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        step = round_up((hi - lo) / 4 or 1.0)
        return math.floor(lo / step) * step, math.ceil(hi / step) * step

    def update(self) -> bool:
        """Move the axis if the data left it; True when it moved."""
        if self.lo > self.hi:
            return False
        if self.shown is not None:
            a, b = self.shown
            lo, hi = (math.log10(self.lo), math.log10(self.hi)) if self.mode == "log" else (self.lo, self.hi)
            if a <= lo and hi <= b:
                return False
        self.shown = self._target()
        self.plot.getPlotItem().setYRange(*self.shown, padding=0.02)
        return True


class DrawBudget:
    """Keeps the window's drawing to a share of one core, so that training keeps its speed.

    Torch keeps every core busy; each millisecond the GUI thread draws comes off training
    (here, on 2 cores, the window plotting freely cost training up to a third of its
    speed). The loss plot is
    drawn every frame regardless; `allow` says whether a frame may also redraw one of the
    other plots: yes while the GUI thread has used less than `share` of a core over the
    last `span` seconds, and in any case once `max_wait` seconds have passed since the last
    one, so no plot falls far behind. On a fast machine it never holds anything back."""

    def __init__(self, share: float = 0.05, span: float = 1.0, max_wait: float = 0.5,
                 clock=time.monotonic, cpu=time.thread_time):
        self.share, self.span, self.max_wait = share, span, max_wait
        self.clock, self.cpu = clock, cpu
        self.samples: deque[tuple[float, float]] = deque()
        self.last_drawn = -math.inf

    def load(self) -> float:
        """The GUI thread's CPU time per second over the last `span` seconds."""
        now, cpu = self.clock(), self.cpu()
        self.samples.append((now, cpu))
        while len(self.samples) > 2 and now - self.samples[1][0] >= self.span:
            self.samples.popleft()
        t0, c0 = self.samples[0]
        return (cpu - c0) / (now - t0) if now > t0 else 0.0

    def allow(self) -> bool:
        return self.load() < self.share or self.clock() - self.last_drawn >= self.max_wait

    def drawn(self) -> None:
        self.last_drawn = self.clock()


class Series:
    """A growing (x, y) buffer behind one curve; redrawn only when it changed."""

    def __init__(self, curve: pg.PlotDataItem, first_dot: bool = False):
        self.curve = curve
        # Peak downsampling keeps each pixel column's min and max: one sample per pixel
        # draws the same picture as pyqtgraph's default of five, with a fifth of the lines
        # (measured: a 100,000-point curve's redraw 25 -> 10 ms).
        curve.opts["autoDownsampleFactor"] = 1.0
        self.first_dot, self._dotted = first_dot, False
        self.x = np.empty(256)
        self.y = np.empty(256)
        self.n = 0
        self.dirty = False

    def append(self, x: float, y: float | None) -> None:
        if y is None:
            return
        if self.n == len(self.x):
            self.x = np.resize(self.x, 2 * self.n)
            self.y = np.resize(self.y, 2 * self.n)
        self.x[self.n], self.y[self.n] = x, y
        self.n += 1
        self.dirty = True

    def extend(self, xs: np.ndarray, ys: np.ndarray) -> None:
        need = self.n + len(xs)
        if need > len(self.x):
            size = max(need, 2 * len(self.x))
            self.x, self.y = np.resize(self.x, size), np.resize(self.y, size)
        self.x[self.n:need], self.y[self.n:need] = xs, ys
        self.n = need
        self.dirty = True

    def clear(self) -> None:
        self.n = 0
        self.dirty = True

    def flush(self) -> bool:
        if not self.dirty:
            return False
        self.curve.setData(self.x[: self.n], self.y[: self.n])
        self.dirty = False
        if self.first_dot and (self.n == 1) != self._dotted:
            # A dot while the curve is one point (nothing to draw a line through yet);
            # dots on every epoch cost a scatter item's upkeep on each redraw.
            self._dotted = self.n == 1
            self.curve.setSymbol("o" if self._dotted else None)
        return True

    def value_at(self, x: float) -> float | None:
        if self.n == 0:
            return None
        i = int(np.argmin(np.abs(self.x[: self.n] - x)))
        return float(self.y[i]) if abs(self.x[i] - x) <= 0.5 else None


class StepSeries(Series):
    """The running loss per step: a curve that gains a point nearly every frame.

    Redrawn whole, it would repaint the loss plot's whole view box, and every item under
    it, every frame. So its newest points are a short curve of their own (`tail`) whose
    small rectangle is all that a frame repaints; every TAIL_POINTS points the tail is
    folded into the long curve (one whole repaint every few seconds)."""

    TAIL_POINTS = 24

    def __init__(self, curve: pg.PlotDataItem, tail: pg.PlotCurveItem):
        super().__init__(curve)
        self.tail = tail
        self.sealed = -1  # index of the last point the long curve draws

    def clear(self) -> None:
        super().clear()
        self.sealed = -1

    def flush(self) -> bool:
        if not self.dirty:
            return False
        n = self.n
        if n == 0 or n - 1 - self.sealed > self.TAIL_POINTS:
            self.sealed = n - 1
            self.curve.setData(self.x[:n], self.y[:n])
        start = max(self.sealed, 0)  # the tail starts at the long curve's last point
        self.tail.setData(self.x[start:n], self.y[start:n])
        self.dirty = False
        return True

    def drawn(self) -> tuple[np.ndarray, np.ndarray]:
        """Every point on screen, in order (the long curve, then the tail after the shared point)."""
        x0, y0 = self.curve.getData()
        x1, y1 = self.tail.getData()
        x0 = np.empty(0) if x0 is None else x0
        y0 = np.empty(0) if y0 is None else y0
        skip = 1 if len(x0) else 0
        x1 = np.empty(0) if x1 is None else x1[skip:]
        y1 = np.empty(0) if y1 is None else y1[skip:]
        return np.concatenate([x0, x1]), np.concatenate([y0, y1])


class DecadeAxis(pg.AxisItem):
    """A value axis that, on a log scale, labels whole decades only (0.1, 1, 10).

    pyqtgraph labels every 2..9 between decades when the axis is short, and they overlap."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        lo, hi = math.floor(minVal), math.ceil(maxVal)
        decades = [float(v) for v in range(lo, hi + 1) if minVal <= v <= maxVal]
        between = [v + math.log10(k) for v in range(lo, hi) for k in range(2, 10)
                   if minVal < v + math.log10(k) < maxVal]
        return [(1.0, decades), (None, between)]


def make_plot(title: str, y_label: str, x_label: str = "epoch", log_capable: bool = False,
              legend_below: bool = False) -> pg.PlotWidget:
    """legend_below: the legend in the bottom-right corner, for curves that rise (accuracy,
    the gap), which would run through a legend in the top-right one."""
    axes = {"left": DecadeAxis("left")} if log_capable else None
    w = pg.PlotWidget(title=title, axisItems=axes)
    item = w.getPlotItem()
    item.setLabel("left", y_label)
    item.setLabel("bottom", x_label)
    # No grid: pyqtgraph draws it with the axis, so every curve update would repaint the
    # axis and its labels too (measured: 10 ms instead of 1 ms per loss-plot frame).
    item.setDownsampling(auto=True, mode="peak")
    item.setClipToView(True)
    # Below, it keeps clear of the end-of-run marker's label, which reads upwards from the
    # bottom at the right edge.
    item.addLegend(offset=(-25, -5) if legend_below else (-5, 5), labelTextSize="8pt")
    return w


class HoverReadout:
    """Shows the values of every curve at the epoch under the mouse."""

    def __init__(self, plot: pg.PlotWidget, series: dict[str, Series], fmt: str = "{:.4g}"):
        self.plot, self.series, self.fmt = plot, series, fmt
        self.text = pg.TextItem(color="#222", anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 220))
        self.text.setZValue(100)
        self.text.hide()
        plot.addItem(self.text, ignoreBounds=True)
        self.line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#999", style=Qt.PenStyle.DotLine))
        self.line.hide()
        plot.addItem(self.line, ignoreBounds=True)
        plot.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)

    def _on_scene_mouse_moved(self, pos) -> None:
        vb = self.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(pos):
            self.text.hide()
            self.line.hide()
            return
        point = vb.mapSceneToView(pos)
        epoch = round(point.x())
        parts = [f"epoch {epoch}"]
        for name, s in self.series.items():
            v = s.value_at(epoch)
            if v is not None:
                parts.append(f"{name}: {self.fmt.format(v)}")
        if len(parts) == 1:
            self.text.hide()
            return
        self.text.setText("\n".join(parts))
        (x0, x1), (y0, y1) = vb.viewRange()
        self.text.setPos(x0, y1)
        self.line.setPos(epoch)
        self.text.show()
        self.line.show()


class PlotsPanel(QWidget):
    """All live plots of one window. Feed it engine events; it redraws from its own timer."""

    EPOCH_PLOTS = ("loss", "accuracy", "gap", "norms", "grads", "noise")

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.grid = QGridLayout()
        layout.addLayout(self.grid, 1)
        self.plots: dict[str, pg.PlotWidget] = {
            "loss": make_plot("Loss (cross-entropy)", "loss"),
            "accuracy": make_plot("Accuracy", "%", legend_below=True),
            "gap": make_plot("Generalization gap", "gap", legend_below=True),
            "norms": make_plot("Weight norm per layer (L2)", "‖W‖", log_capable=True),
            "grads": make_plot("Gradient norm per layer", "‖∇W‖", log_capable=True),
            "boundary": make_plot("Decision boundary", "x₂", "x₁"),
            "noise": make_plot("Training accuracy: clean vs corrupted labels", "%", legend_below=True),
        }
        self.grid.addWidget(self.plots["loss"], 0, 0)
        self.grid.addWidget(self.plots["accuracy"], 0, 1)
        self.grid.addWidget(self.plots["gap"], 1, 0)
        self.grid.addWidget(self._norms_holder(), 1, 1)
        self.grid.addWidget(self.plots["grads"], 2, 0, 1, 2)
        self.grid.addWidget(self.plots["boundary"], 2, 1)
        self.grid.addWidget(self.plots["noise"], 2, 1)
        for row, stretch in enumerate((3, 3, 2)):  # the bottom row tall enough for a log axis
            self.grid.setRowStretch(row, stretch)
        self.plots["grads"].getPlotItem().setLogMode(y=True)
        for name in ("grads", "norms"):
            self.plots[name].getPlotItem().getAxis("left").setStyle(maxTextLevel=0)  # see DecadeAxis

        def curve(plot, name, color, width=2, style=Qt.PenStyle.SolidLine, dot=True):
            # A dot while a curve has one point: the first epoch shows before there is a
            # line to draw. Not on the loss plot, whose per-step curve shows it anyway.
            item = self.plots[plot].plot(name=name, pen=pg.mkPen(color, width=width, style=style),
                                         symbol=None, symbolSize=5, symbolBrush=color, symbolPen=None)
            return Series(item, first_dot=dot)

        step_pen = pg.mkPen(with_alpha(TRAIN, 70), width=1)
        tail = pg.PlotCurveItem(pen=step_pen)
        self.plots["loss"].addItem(tail, ignoreBounds=True)
        self.step_loss = StepSeries(self.plots["loss"].plot(name="train (per step)", pen=step_pen), tail)
        self.step_loss.curve.setZValue(-10)
        tail.setZValue(-10)
        self.series = {
            "train_loss": curve("loss", "train", TRAIN, dot=False),
            "val_loss": curve("loss", "validation", VAL, dot=False),
            "train_acc": curve("accuracy", "train", TRAIN),
            "val_acc": curve("accuracy", "validation", VAL),
            "acc_gap": curve("gap", "accuracy gap (train − val, pts)", "#d62728"),
            "loss_gap": curve("gap", "loss gap (val − train) × 10", "#9467bd", style=Qt.PenStyle.DashLine),
            "clean_acc": curve("noise", "clean labels", "#2ca02c"),
            "noisy_acc": curve("noise", "corrupted labels", "#d62728"),
        }
        self.layer_series: dict[str, Series] = {}
        self.grad_series: dict[str, Series] = {}
        self.ghosts: list[list[pg.PlotDataItem]] = []
        self.markers: list[tuple[pg.PlotWidget, pg.InfiniteLine]] = []
        self.best_lines: dict[str, pg.InfiniteLine] = {}
        self.rise_lines: dict[str, pg.InfiniteLine] = {}
        self.run_label = "run"
        self._min_val_loss = (math.inf, 0)
        self.y_ranges = {"loss": YRange(self.plots["loss"], "zero"), "gap": YRange(self.plots["gap"], "free"),
                         "norms": YRange(self.plots["norms"], "zero"), "grads": YRange(self.plots["grads"], "log")}
        self._x_end = 1.0
        self._pending_lines: dict[str, tuple] = {}
        self._spare_markers: dict[pg.PlotWidget, list[pg.InfiniteLine]] = {}
        self._ghosted = 0  # runs ghosted so far: picks the next ghost colour
        self._prepared = False  # prepare_run has run for the next RunStarted
        self._next_plot = 0

        self.boundary_image = pg.ImageItem()
        self.plots["boundary"].addItem(self.boundary_image)
        self.train_scatter = pg.ScatterPlotItem(size=6, pen=pg.mkPen("k", width=0.5), name="train")
        self.val_scatter = pg.ScatterPlotItem(size=4, pen=None, name="validation", symbol="x")
        self.plots["boundary"].addItem(self.val_scatter)
        self.plots["boundary"].addItem(self.train_scatter)
        self.plots["boundary"].getPlotItem().setAspectLocked(True)

        s = self.series
        HoverReadout(self.plots["loss"], {"train": s["train_loss"], "val": s["val_loss"]})
        HoverReadout(self.plots["accuracy"], {"train": s["train_acc"], "val": s["val_acc"]}, "{:.1f} %")
        HoverReadout(self.plots["gap"], {"accuracy gap": s["acc_gap"], "loss gap ×10": s["loss_gap"]})
        HoverReadout(self.plots["norms"], self.layer_series)
        HoverReadout(self.plots["grads"], self.grad_series)
        HoverReadout(self.plots["noise"], {"clean": s["clean_acc"], "corrupted": s["noisy_acc"]}, "{:.1f} %")
        self.show_toy(False)
        self.show_noise(False)

        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))
        self._cache_loss_plot()
        self.redraws = 0
        self.budget = DrawBudget()
        self._catching_up = False  # a run ended: plots beyond the loss redraw without waiting
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event) -> None:
        # Nothing to redraw while hidden (a closed window, a hidden tab): no timer
        # waking the GUI thread, and with it the GIL, 10 times a second.
        super().hideEvent(event)
        self.timer.stop()

    def _cache_loss_plot(self) -> None:
        """Keep everything on the loss plot but the per-step curve's tail as pixmaps.

        The loss plot repaints the tail's rectangle every frame, and with it every item
        under it: the epoch curves, earlier runs, marker lines, the legend. Cached
        (DeviceCoordinateCache), Qt redraws those from pixmaps until they change instead of
        calling a dozen Python paint methods, each of which takes the GIL from training.
        Measured on a frame of a run with three earlier runs shown: median 1.6 -> 0.9 ms."""
        plot = self.plots["loss"].getPlotItem()
        todo = [*plot.vb.childGroup.childItems(), plot.legend]  # every item in the view, and the legend
        while todo:
            item = todo.pop()
            if item is self.step_loss.tail:
                continue
            if item.cacheMode() != CACHED:
                item.setCacheMode(CACHED)
            todo.extend(item.childItems())

    def _norms_holder(self) -> QWidget:
        holder = QWidget()
        lay = QVBoxLayout(holder)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.plots["norms"], 1)
        self.log_norms = QCheckBox("log scale")
        self.log_norms.setToolTip("Show weight norms on a logarithmic axis, to compare layers of very different size.")
        self.log_norms.toggled.connect(self._on_log_norms_toggled)
        lay.addWidget(self.log_norms, 0, Qt.AlignmentFlag.AlignRight)
        return holder

    @Slot(bool)
    def _on_log_norms_toggled(self, on: bool) -> None:
        self.plots["norms"].getPlotItem().setLogMode(y=on)
        r = self.y_ranges["norms"]
        r.mode, r.shown = ("log" if on else "zero"), None
        r.update()

    def show_toy(self, on: bool) -> None:
        self.plots["boundary"].setVisible(on)
        self._place_grads()

    def show_noise(self, on: bool) -> None:
        self.plots["noise"].setVisible(on)
        self._place_grads()

    def _place_grads(self) -> None:
        # The gradient plot takes the whole bottom row unless a situational plot needs half.
        extra = not self.plots["boundary"].isHidden() or not self.plots["noise"].isHidden()
        self.grid.removeWidget(self.plots["grads"])
        self.grid.addWidget(self.plots["grads"], 2, 0, 1, 1 if extra else 2)

    # ---- redraw ---------------------------------------------------------------------
    @Slot()
    def _on_timer_timeout(self) -> None:
        if self._catching_up and not any(self._plot_dirty(p) for p in STAGGERED_PLOTS):
            self._catching_up = False
        self.refresh(staggered=True, others=self._catching_up or self.budget.allow())

    def finish_run(self) -> None:
        """The run has ended: draw what the budget held back, one plot per frame."""
        self._catching_up = True

    def _series_of(self, plot: str) -> list[Series]:
        if plot == "norms":
            return list(self.layer_series.values())
        if plot == "grads":
            return list(self.grad_series.values())
        return [self.series[k] for k in SERIES_PLOTS[plot]]

    def _flush_plot(self, plot: str) -> int:
        changed = sum(s.flush() for s in self._series_of(plot))
        for kind, (store, x, label, color, plots) in list(self._pending_lines.items()):
            if plot in plots:
                self._draw_line(kind, store, x, label, color, plot)
                plots = tuple(p for p in plots if p != plot)
                if plots:
                    self._pending_lines[kind] = (store, x, label, color, plots)
                else:
                    del self._pending_lines[kind]
        if plot in self.y_ranges:
            self.y_ranges[plot].update()
        return changed

    def _plot_dirty(self, plot: str) -> bool:
        return (any(s.dirty for s in self._series_of(plot))
                or any(plot in args[4] for args in self._pending_lines.values()))

    def refresh(self, staggered: bool = False, others: bool = True) -> int:
        """Push changed buffers to their curves; returns how many curves were redrawn.

        staggered (the timer's way): the loss plot, which moves every step, and at most
        one other changed plot per frame, if `others` (the draw budget allows it). At the
        end of an epoch every plot changes at once, and repainting them all in one frame
        stalled the window for 100+ ms here (each axis lays out its labels again); one per
        frame keeps each frame short."""
        changed = self.step_loss.flush() + self._flush_plot("loss")
        if not others:
            self.redraws += bool(changed)
            return changed
        others = [p for p in STAGGERED_PLOTS if self._plot_dirty(p)]
        if staggered and others:
            # Round-robin, so a plot that changes every epoch cannot starve the others.
            start = self._next_plot % len(STAGGERED_PLOTS)
            order = STAGGERED_PLOTS[start:] + STAGGERED_PLOTS[:start]
            first = next(p for p in order if p in others)
            self._next_plot = STAGGERED_PLOTS.index(first) + 1
            others = [first]
        for plot in others:
            changed += self._flush_plot(plot)
        if others:
            self.budget.drawn()
        self.redraws += bool(changed)
        return changed

    # ---- events ---------------------------------------------------------------------
    def prepare_run(self, label: str) -> None:
        """Clear the plots for a new run, keeping the last runs as faded curves.

        The window calls this when Start is pressed, before the engine trains: it is the
        costly part of a new run (curves, legend entries), and done from RunStarted it
        stalled the window for 70-90 ms while the new run trained. Plot items are reused
        where they can be (a new curve with its legend entry costs ~5 ms here)."""
        self._ghost_current()
        self.clear_run()
        self.run_label = label
        self._prepared = True
        self._catching_up = False

    def start_run(self, started: ev.RunStarted, label: str) -> None:
        """Set the plots up for the run that has started (its layers, its length)."""
        if not self._prepared:
            self.prepare_run(label)
        self._prepared = False
        if list(self.layer_series) != list(started.layer_names):
            self._drop_layer_series()
            plot, grads = self.plots["norms"], self.plots["grads"]
            for i, layer in enumerate(started.layer_names):
                color = PALETTE[i % len(PALETTE)]
                self.layer_series[layer] = Series(plot.plot(name=layer, pen=pg.mkPen(color, width=2)))
                self.grad_series[layer] = Series(grads.plot(name=layer, pen=pg.mkPen(color, width=1.5)))
        self._fix_ranges(started.epochs)
        toy = started.train_points is not None
        self.show_toy(toy)
        noise = started.config["data"]["label_noise"] > 0
        self.show_noise(noise and not toy)
        if toy:
            self._draw_points(started.train_points, started.val_points)
        self._cache_loss_plot()  # the earlier runs' curves and their legend entries

    def _fix_ranges(self, epochs: int) -> None:
        longest = max([epochs, *(item.xData[-1] for items in self.ghosts for _, item in items
                                  if item.xData is not None and len(item.xData))])
        self._x_end = float(max(1, longest))
        for name in self.EPOCH_PLOTS:
            item = self.plots[name].getPlotItem()
            # Room on the right for the label of the end-of-run marker.
            item.setXRange(-0.02 * self._x_end, 1.05 * self._x_end, padding=0)
            if name in PERCENT_PLOTS:
                item.setYRange(0, 100, padding=0.02)
        for r in self.y_ranges.values():
            r.reset()
        for items in self.ghosts:  # earlier runs stay in view
            for name, item in items:
                if name in self.y_ranges and item.yData is not None and len(item.yData):
                    self.y_ranges[name].include(float(np.nanmin(item.yData)), float(np.nanmax(item.yData)))

    def clear_run(self) -> None:
        self.step_loss.clear()
        for s in (*self.series.values(), *self.layer_series.values(), *self.grad_series.values()):
            s.clear()
        for plot, line in self.markers:  # hidden and kept for the next run's markers
            line.hide()
            self._spare_markers.setdefault(plot, []).append(line)
        self.markers.clear()
        for lines in (self.best_lines, self.rise_lines):
            for line in lines.values():
                line.hide()
        self._pending_lines.clear()
        self._min_val_loss = (math.inf, 0)
        self.boundary_image.clear()
        self.train_scatter.clear()
        self.val_scatter.clear()

    def _drop_layer_series(self) -> None:
        for store, plot in ((self.layer_series, "norms"), (self.grad_series, "grads")):
            for s in store.values():
                self.plots[plot].getPlotItem().legend.removeItem(s.curve)
                self.plots[plot].removeItem(s.curve)
            store.clear()

    def reset(self) -> None:
        self.clear_run()
        self._drop_layer_series()
        for items in self.ghosts:
            for plot_name, item in items:
                self.plots[plot_name].getPlotItem().legend.removeItem(item)
                self.plots[plot_name].removeItem(item)
        self.ghosts.clear()
        for name in self.EPOCH_PLOTS:
            self.plots[name].getPlotItem().enableAutoRange()

    def _ghost_current(self) -> None:
        """Keep the previous run's validation and training curves, faded, for comparison."""
        s = self.series
        if s["val_acc"].n == 0:
            return
        if MAX_GHOST_RUNS == 0:
            return
        color = GHOSTS[self._ghosted % len(GHOSTS)]
        self._ghosted += 1
        # At the limit the oldest run's curves take the new data, name and colour.
        reuse = self.ghosts.pop(0) if len(self.ghosts) >= MAX_GHOST_RUNS else None
        items = []
        for i, (plot_name, key, part, style) in enumerate((
                ("loss", "val_loss", "val", Qt.PenStyle.DashLine),
                ("loss", "train_loss", "train", Qt.PenStyle.DotLine),
                ("accuracy", "val_acc", "val", Qt.PenStyle.DashLine),
                ("accuracy", "train_acc", "train", Qt.PenStyle.DotLine))):
            src = s[key]
            x, y = src.x[: src.n].copy(), src.y[: src.n].copy()
            name, pen = f"{self.run_label} ({part})", pg.mkPen(color, width=1.5, style=style)
            if reuse is None:
                item = self.plots[plot_name].plot(x, y, name=name, pen=pen)
                item.setZValue(-20)
            else:
                item = reuse[i][1]
                item.setData(x, y, pen=pen, name=name)
                legend = self.plots[plot_name].getPlotItem().legend
                for sample, text in legend.items:
                    if sample.item is item:
                        text.setText(name)
                        sample.update()
                legend.updateSize()
            items.append((plot_name, item))
        self.ghosts.append(items)

    def add_step(self, e: ev.StepMetrics) -> None:
        self.step_loss.append(e.epoch_fraction, e.train_loss)
        self.y_ranges["loss"].include(e.train_loss)

    def add_epoch(self, e: ev.EpochMetrics) -> None:
        s, x = self.series, e.epoch
        s["train_loss"].append(x, e.train_loss)
        s["val_loss"].append(x, e.val_loss)
        r = self.y_ranges
        r["loss"].include(e.train_loss, e.val_loss)
        r["gap"].include(100 * e.accuracy_gap, 10 * e.loss_gap)
        r["norms"].include(*e.weight_norms.values())
        r["grads"].include(*e.grad_norms.values())
        s["train_acc"].append(x, 100 * e.train_accuracy)
        s["val_acc"].append(x, 100 * e.val_accuracy)
        s["acc_gap"].append(x, 100 * e.accuracy_gap)
        s["loss_gap"].append(x, 10 * e.loss_gap)
        if e.train_accuracy_clean is not None:
            s["clean_acc"].append(x, 100 * e.train_accuracy_clean)
            s["noisy_acc"].append(x, 100 * e.train_accuracy_corrupted)
        for layer, value in e.weight_norms.items():
            if layer in self.layer_series:
                self.layer_series[layer].append(x, value)
        for layer, value in e.grad_norms.items():
            if layer in self.grad_series and value > 0:
                self.grad_series[layer].append(x, value)
        if e.is_best:
            self._place("best", self.best_lines, x, f"best (epoch {x})", "#2ca02c")
        best_loss, best_epoch = self._min_val_loss
        if e.val_loss < best_loss:
            self._min_val_loss = (e.val_loss, x)
        elif x - best_epoch >= 2 and e.val_loss > best_loss * 1.02:
            # Validation loss has risen for two epochs: mark where it turned.
            self._place("rise", self.rise_lines, best_epoch, "val loss rising →", "#c0392b",
                        plots=("loss", "gap"))

    def _place(self, kind, store, x, label, color, plots=("loss", "accuracy", "gap")) -> None:
        """Move the best-epoch / val-loss-rising line when its plot is next redrawn, with
        the curves: one repaint per plot and epoch instead of two."""
        self._pending_lines[kind] = (store, x, label, color, plots)

    def _draw_line(self, kind, store, x, label, color, name) -> None:
        line = store.get(name)
        if line is not None:
            line.show()
        else:
            line = pg.InfiniteLine(angle=90, pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine),
                                   label=label, labelOpts={"position": 0.92 if kind == "best" else 0.75,
                                                           "color": color, "movable": False})
            self.plots[name].addItem(line, ignoreBounds=True)
            store[name] = line
            if name == "loss":
                self._cache_loss_plot()
        line.setPos(x)
        line.label.setFormat(label)

    def add_marker(self, x: float, text: str, color: str = "#555") -> None:
        """A labelled vertical line on every epoch plot (settings change, end of run)."""
        pen = pg.mkPen(color, width=1, style=Qt.PenStyle.DotLine)
        for name in ("loss", "accuracy", "gap", "norms"):
            plot = self.plots[name]
            spare = self._spare_markers.get(plot)
            if spare:  # a line of an earlier run's marker
                line = spare.pop()
                line.setPen(pen)
                line.setPos(x)
                line.label.setFormat(text)
                line.label.setColor(color)
                line.show()
            else:
                line = pg.InfiniteLine(pos=x, angle=90, pen=pen, label=text,
                                       labelOpts={"position": 0.08, "color": color, "rotateAxis": (1, 0),
                                                  "anchors": [(0, 0), (0, 0)]})
                plot.addItem(line, ignoreBounds=True)
            self.markers.append((plot, line))
        self._cache_loss_plot()

    def _draw_points(self, train, val) -> None:
        train, val = np.asarray(train), np.asarray(val)
        colors = CLASS_COLORS[train[:, 2].astype(int) % len(CLASS_COLORS)]
        self.train_scatter.setData(train[:, 0], train[:, 1],
                                   brush=[pg.mkBrush(*c) for c in colors])
        vcolors = CLASS_COLORS[val[:, 2].astype(int) % len(CLASS_COLORS)]
        self.val_scatter.setData(val[:, 0], val[:, 1], pen=[pg.mkPen(*c) for c in vcolors],
                                 brush=None)

    def set_boundary(self, b: ev.DecisionBoundary) -> None:
        classes = np.asarray(b.classes)
        conf = np.asarray(b.confidence, dtype=np.float32)
        base = CLASS_COLORS[classes % len(CLASS_COLORS)]
        # Pale where the network is unsure, saturated where it is confident.
        k = len(CLASS_COLORS)
        strength = np.clip((conf - 1.0 / min(k, 2)) * 2, 0, 1)[..., None] * 0.55 + 0.1
        rgb = 255 - (255 - base) * strength
        # ImageItem's first axis is x: transpose the row-major (y, x) grid.
        self.boundary_image.setImage(rgb.transpose(1, 0, 2).astype(np.uint8), levels=(0, 255))
        (x0, x1), (y0, y1) = b.x_range, b.y_range
        self.boundary_image.setRect(x0, y0, x1 - x0, y1 - y0)



def with_alpha(hex_color: str, alpha: int) -> QColor:
    c = QColor(hex_color)
    c.setAlpha(alpha)
    return c
