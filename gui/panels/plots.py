"""The live plots: which metric goes on which plot, fed from engine events.

Each curve is created once, fed from growing buffers (gui.plotting.series) and redrawn
from a timer (5 Hz, only what changed), with peak downsampling and clip-to-view. The
epoch axis spans the current run from its start, accuracy 0-100 %, and the other value
axes only grow, to round numbers (gui.plotting.axes)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Slot
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from engine.core import events as ev
from engine.core.i18n import C_, _, integer
from gui.panels.boundary import BoundaryView
from gui.panels.comparison import RunComparison, RunCurves
from gui.panels.plot_grid import PlotGrid
from gui.panels.plot_hovers import live_hovers
from gui.plotting import colors as c
from gui.plotting.axes import LOSS_TITLES, YRange, apply_text_scale, make_plot, retitle
from gui.plotting.layer_groups import LayerGroups
from gui.plotting.markers import EpochLine, MarkerLines
from gui.plotting.redraw import Redrawer, cache_static_items, make_room_in_the_pixmap_cache
from gui.plotting.series import Series, StepSeries

pg.setConfigOptions(antialias=False, background="w", foreground="#333")

REDRAW_MS = 200  # 5 Hz: live enough for training curves; each frame costs the training thread
PERCENT_PLOTS = ("accuracy", "noise")
SERIES_PLOTS = {"loss": ("train_loss", "val_loss"), "accuracy": ("train_acc", "val_acc"),
                "gap": ("acc_gap", "loss_gap", "val_ece"), "noise": ("clean_acc", "noisy_acc")}
STAGGERED_PLOTS = ["accuracy", "gap", "norms", "grads", "noise"]
EPOCH_PLOTS = ("loss", "accuracy", "gap", "norms", "grads", "noise")


class PlotsPanel(QWidget):
    """All live plots of one window. Feed it engine events; it redraws from its own timer."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[str, pg.PlotWidget] = {
            # Legends in one row: they cover less of a small plot (a projector's 1280 x 720).
            "loss": make_plot(_(LOSS_TITLES["cross_entropy"]), _("loss"), legend_columns=2),
            "accuracy": make_plot(_("Accuracy"), "%", legend_below=True, legend_columns=2),
            "gap": make_plot(_("Gap: train − validation"), _("gap"), legend_below=True, legend_columns=2),
            # Layers' legends in rows across the top, over room kept free of curves (YRange).
            "norms": make_plot(_("Weight norm per layer (L2)"), "‖W‖", log_capable=True, legend_columns=4),
            "grads": make_plot(_("Gradient norm per layer"), "‖∇W‖", log_capable=True, legend_columns=6),
            "boundary": make_plot(_("Decision boundary"), "x₂", "x₁"),
            "noise": make_plot(_("Train accuracy by label"), "%", legend_below=True),
        }
        self.grid = PlotGrid(self.plots)
        self.grid.log_norms.toggled.connect(self._on_log_norms_toggled)
        self.grid.calibration.toggled.connect(self._on_calibration_toggled)
        self._ece: list[tuple[int, float]] = []  # the run's validation ECE, drawn when asked
        # The plots scroll when they cannot all have their minimum height (larger text on a
        # projector's 1280 x 720); the comparison table below stays in view.
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        grid_holder = QWidget()
        grid_holder.setLayout(self.grid)
        self.scroll.setWidget(grid_holder)
        layout.addWidget(self.scroll, 1)
        self.plots["grads"].getPlotItem().setLogMode(y=True)
        for name in ("grads", "norms"):
            self.plots[name].getPlotItem().getAxis("left").setStyle(maxTextLevel=0)  # see DecadeAxis

        def curve(plot, name, color, width=2, style=Qt.PenStyle.SolidLine, dot=True):
            # A dot while a curve has one point: the first epoch shows before there is a
            # line to draw. Not on the loss plot, whose per-step curve shows it anyway.
            item = self.plots[plot].plot(name=name, pen=pg.mkPen(color, width=width, style=style),
                                         symbol=None, symbolSize=5, symbolBrush=color, symbolPen=None)
            return Series(item, first_dot=dot)

        step_pen = pg.mkPen(c.with_alpha(c.TRAIN, 185), width=1)  # faded, yet 3:1 on white (WCAG's for lines)
        tail = pg.PlotCurveItem(pen=step_pen)
        self.plots["loss"].addItem(tail, ignoreBounds=True)
        # The thin per-step curve stays out of the legend: it is plainly the training loss.
        self.step_loss = StepSeries(self.plots["loss"].plot(pen=step_pen), tail)
        self.step_loss.curve.setZValue(-10)
        tail.setZValue(-10)
        train, val = C_("split", "train"), C_("split", "validation")
        self.series = {
            # Colour and dash pattern both tell each pair apart (gui.plotting.colors).
            "train_loss": curve("loss", train, c.TRAIN, style=c.TRAIN_STYLE, dot=False),
            "val_loss": curve("loss", val, c.VAL, style=c.VAL_STYLE, dot=False),
            "train_acc": curve("accuracy", train, c.TRAIN, style=c.TRAIN_STYLE),
            "val_acc": curve("accuracy", val, c.VAL, style=c.VAL_STYLE),
            "acc_gap": curve("gap", _("accuracy gap (pts)"), c.BLACK),
            "loss_gap": curve("gap", _("loss gap × 10"), c.VERMILLION, style=Qt.PenStyle.DashLine),
            # Over-confidence grows with overfitting: calibration error on the same scale.
            "val_ece": curve("gap", _("val calibration error (pts)"), c.BLUE, style=Qt.PenStyle.DotLine),
            "clean_acc": curve("noise", _("label kept"), c.BLUE),
            "noisy_acc": curve("noise", _("label replaced (memorized)"), c.VERMILLION, style=Qt.PenStyle.DashLine),
        }
        loss_item = self.plots["loss"].getPlotItem()
        self.comparison = RunComparison(self.plots, lambda: cache_static_items(loss_item, skip=tail))
        self.earlier, self.table = self.comparison.earlier, self.comparison.table
        layout.addWidget(self.table)
        self.layer_series: dict[str, Series] = {}
        self.grad_series: dict[str, Series] = {}
        self.layer_groups = LayerGroups([])
        self.markers = MarkerLines(self.plots, ("loss", "accuracy", "gap", "norms"))
        # Dash patterns no curve uses: the lines stay apart from the curves for every eye.
        self.best_lines = EpochLine(self.plots, c.BLUISH_GREEN, Qt.PenStyle.DashDotLine)
        self.rise_lines = EpochLine(self.plots, c.VERMILLION, Qt.PenStyle.DashDotDotLine)
        self.run_label, self.dataset = C_("noun", "run"), ""
        self._min_val_loss = (math.inf, 0)
        self.y_ranges = {"loss": YRange(self.plots["loss"], "zero"), "gap": YRange(self.plots["gap"], "free"),
                         "norms": YRange(self.plots["norms"], "zero", room_above=0.45),
                         "grads": YRange(self.plots["grads"], "log", room_above=1)}
        self._prepared = False  # prepare_run has run for the next RunStarted
        self.boundary = BoundaryView(self.plots["boundary"])
        self.text_scale = 1.0
        self.runs_started = 0
        self._ready_for: tuple | None = None  # (epochs, dataset) the axes are set up for

        # Kept: a read-out nothing refers to would lose its connection.
        self.hovers = live_hovers(self.plots, self.series, self.layer_series, self.grad_series)
        for hover in self.hovers:
            hover.plot.viewport().installEventFilter(self)  # see eventFilter
        self.show_toy(False)
        self.show_noise(False)
        self.table.show_runs([], None)

        make_room_in_the_pixmap_cache()
        self._cache_loss_plot()
        # Functions over the panel's parts, not methods of the panel: a reference cycle
        # through the panel would keep a closed panel alive until the garbage collector
        # frees it at some later moment, possibly while Qt paints (a crash, seen here).
        series, layers, grads = self.series, self.layer_series, self.grad_series
        by_plot = {"norms": lambda: list(layers.values()), "grads": lambda: list(grads.values()),
                   **{p: (lambda keys=keys: [series[k] for k in keys]) for p, keys in SERIES_PLOTS.items()}}
        loss_item, tail = self.plots["loss"].getPlotItem(), self.step_loss.tail

        def on_line_drawn(plot: str) -> None:
            if plot == "loss":
                cache_static_items(loss_item, skip=tail)

        self.redrawer = Redrawer("loss", STAGGERED_PLOTS, lambda plot: by_plot[plot](), self.y_ranges,
                                 self.step_loss, on_line_drawn)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()

    def eventFilter(self, obj, event) -> bool:
        """The mouse left a plot: its read-out goes (no mouse move tells it so)."""
        if event.type() == QEvent.Type.Leave:
            for hover in self.hovers:
                if hover.plot.viewport() is obj:
                    hover.hide()
        return False

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event) -> None:
        # Nothing to redraw while hidden (a closed window, a hidden tab): no timer
        # waking the GUI thread, and with it the GIL, 10 times a second.
        super().hideEvent(event)
        self.timer.stop()

    def _cache_loss_plot(self) -> None:
        cache_static_items(self.plots["loss"].getPlotItem(), skip=self.step_loss.tail)

    def show_toy(self, on: bool) -> None:
        """A toy run: the decision boundary, as large as the other plots."""
        self.grid.arrange(toy=on)

    def show_noise(self, on: bool) -> None:
        """Label noise: training accuracy on labels kept and replaced."""
        self.grid.arrange(noise=on)

    def show_layer_plots(self, on: bool) -> None:
        """Weight and gradient norms per layer; without them (View menu) the remaining plots
        get their room, for a projector."""
        self.grid.arrange(layers=on)

    @Slot(bool)
    def _on_calibration_toggled(self, on: bool) -> None:
        ece = self.series["val_ece"]
        ece.clear()
        if on and self._ece:
            xs, ys = zip(*self._ece, strict=True)
            ece.extend(np.asarray(xs, dtype=float), np.asarray(ys))
            self.y_ranges["gap"].include(*ys)
        self.refresh()

    @Slot(bool)
    def _on_log_norms_toggled(self, on: bool) -> None:
        self.plots["norms"].getPlotItem().setLogMode(y=on)
        r = self.y_ranges["norms"]
        r.mode, r.shown = ("log" if on else "zero"), None
        r.update()

    # ---- redraw ---------------------------------------------------------------------
    @Slot()
    def _on_timer_timeout(self) -> None:
        self.redrawer.tick()

    def refresh(self, staggered: bool = False, others: bool = True) -> int:
        """Push changed buffers to their curves (see gui.plotting.redraw); returns how many."""
        return self.redrawer.refresh(staggered, others)

    def pending(self) -> list[str]:
        return self.redrawer.pending()

    @property
    def budget(self):
        return self.redrawer.budget

    @budget.setter
    def budget(self, budget) -> None:
        self.redrawer.budget = budget

    def finish_run(self) -> None:
        """The run has ended: draw what the budget held back, one plot per frame."""
        self.redrawer.catching_up = True
        self.comparison.finished(self._current_curves())

    # ---- runs -------------------------------------------------------------------------
    def prepare_run(self, label: str, epochs: int | None = None, dataset: str | None = None) -> None:
        """Clear the plots for a new run, keeping the last runs as faded curves.

        The window calls this when Start is pressed, before the engine trains, with the
        run's length and dataset: it is the costly part of a new run (curves, legend
        entries, every axis moved and repainted), and done from RunStarted it stalled the
        window for 40-90 ms while the new run trained. Plot items are reused where they can
        be (a new curve with its legend entry costs ~5 ms here)."""
        self.comparison.keep(self._current_curves())
        self.clear_run()
        self.refresh()  # the cleared plots now, before the run trains: no old lines linger
        self.runs_started += 1
        # i18n: a run's name in the legend and the table; {number} tells two runs of one preset apart
        self.run_label = _("#{number} {label}").format(number=integer(self.runs_started), label=label)
        self._prepared = True
        self._ready_for = None
        if epochs is not None and dataset is not None:
            self._set_up(epochs, dataset)

    def _set_up(self, epochs: int, dataset: str) -> None:
        """Axes, earlier runs and the table for a run of `epochs` on `dataset`."""
        self.dataset = dataset
        self.comparison.running(self.run_label, dataset)
        self._fix_ranges(epochs)
        self._cache_loss_plot()  # the earlier runs' curves
        self._ready_for = (epochs, dataset)

    def _current_curves(self) -> RunCurves | None:
        s = self.series
        if s["val_acc"].n == 0:
            return None
        keys = ("train_loss", "val_loss", "train_acc", "val_acc", "acc_gap")
        return RunCurves(self.run_label, self.dataset,
                         {k: (s[k].x[: s[k].n].copy(), s[k].y[: s[k].n].copy()) for k in keys})

    def subscribe(self, router) -> None:
        for event_type, handler in ((ev.RunStarted, self.start_run), (ev.StepMetrics, self.add_step),
                                    (ev.EpochMetrics, self.add_epoch), (ev.DecisionBoundary, self.set_boundary)):
            router.subscribe(event_type, handler)

    def start_run(self, started: ev.RunStarted, label: str | None = None) -> None:
        """Set the plots up for the run that has started (its layers, its length)."""
        if not self._prepared:
            self.prepare_run(label or C_("noun", "run"))
        self._prepared = False
        if self._ready_for != (started.epochs, started.dataset):
            self._set_up(started.epochs, started.dataset)
        self.layer_groups = LayerGroups(started.layer_names)  # a deep network's layers grouped by module name
        if list(self.layer_series) != self.layer_groups.labels:
            self._drop_layer_series()
            self.layer_groups.add_series(self.plots["norms"], self.plots["grads"], self.layer_series, self.grad_series)
        retitle(self.plots["loss"], _(LOSS_TITLES.get(started.config["optim"].get("loss"), LOSS_TITLES["cross_entropy"])))
        toy = started.train_points is not None
        self.show_toy(toy)
        self.show_noise(started.config["data"]["label_noise"] > 0 and not toy)
        if toy:
            self.boundary.set_points(started.train_points, started.val_points)

    def _fix_ranges(self, epochs: int) -> None:
        """The epoch axis fits the current run; earlier runs are drawn as far as it goes."""
        self.x_end = float(max(1, epochs))
        for name in EPOCH_PLOTS:
            item = self.plots[name].getPlotItem()
            # Room on the right for the label of the end-of-run marker.
            item.setXRange(-0.02 * self.x_end, 1.04 * self.x_end, padding=0)
            if name in PERCENT_PLOTS:
                item.setYRange(0, 100, padding=0.02)
        for r in self.y_ranges.values():
            r.reset()
        for run in self.earlier.shown():  # earlier runs stay in view
            for plot, key in (("loss", "val_loss"), ("loss", "train_loss"), ("gap", "acc_gap")):
                x, y = run.curves[key]
                y = y[x <= self.x_end]
                if len(y):
                    self.y_ranges[plot].include(float(np.nanmin(y)), float(np.nanmax(y)))

    def clear_run(self) -> None:
        self.step_loss.clear()
        for s in (*self.series.values(), *self.layer_series.values(), *self.grad_series.values()):
            s.clear()
        self.markers.clear()
        self.best_lines.hide()
        self.rise_lines.hide()
        self.redrawer.clear()
        self._ece.clear()
        for hover in self.hovers:  # a read-out of the last run's values would mislead
            hover.hide()
        self._min_val_loss = (math.inf, 0)
        self.boundary.clear()

    def _drop_layer_series(self) -> None:
        for store, plot in ((self.layer_series, "norms"), (self.grad_series, "grads")):
            for s in store.values():
                self.plots[plot].getPlotItem().legend.removeItem(s.curve)
                self.plots[plot].removeItem(s.curve)
            store.clear()

    def reset(self) -> None:
        self.clear_run()
        self._drop_layer_series()
        self.comparison.clear()
        self._fix_ranges(1)  # empty plots show no scale of a run that is gone
        for r in self.y_ranges.values():
            r.show_empty()

    # ---- events ---------------------------------------------------------------------
    def add_step(self, e: ev.StepMetrics) -> None:
        self.step_loss.append(e.epoch_fraction, e.train_loss)
        self.y_ranges["loss"].include(e.train_loss)

    def add_epoch(self, e: ev.EpochMetrics) -> None:
        e = self.layer_groups.apply(e)  # (grouped norms: the run folder keeps every layer's)
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
        if e.val_ece is not None:
            self._ece.append((x, 100 * e.val_ece))
            if self.grid.calibration.isChecked():  # off by default: one curve less per frame
                s["val_ece"].append(x, 100 * e.val_ece)
                r["gap"].include(100 * e.val_ece)
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
            self.redrawer.place_line("best", self.best_lines, x, _("best epoch ({epoch})").format(epoch=integer(x)),
                                    ("loss", "accuracy", "gap"))
        best_loss, best_epoch = self._min_val_loss
        if e.val_loss < best_loss:
            self._min_val_loss = (e.val_loss, x)
            self.redrawer.lines.pop("rise", None)
            self.rise_lines.hide()  # it fell to a new low: it had not turned up for good
        elif x - best_epoch >= 2 and e.val_loss > best_loss * 1.02:
            # Validation loss has risen for two epochs: mark where it turned.
            self.redrawer.place_line("rise", self.rise_lines, best_epoch, _("val loss turns up"), ("loss", "gap"))

    def add_marker(self, x: float, text: str, color: str = "#555", short: str | None = None) -> None:
        """A labelled vertical line on every epoch plot (settings change, end of run); `short`
        its label where it differs from `text`, its tooltip (markers.change_label)."""
        self.markers.add(x, text, color, short)
        self._cache_loss_plot()

    def set_boundary(self, b: ev.DecisionBoundary) -> None:
        self.boundary.set_boundary(b)

    # ---- legibility -------------------------------------------------------------------
    def scale_text(self, factor: float) -> None:
        """Larger or smaller text and lines on every plot (View menu), for the back row."""
        self.text_scale = min(3.0, max(0.6, self.text_scale * factor))
        apply_text_scale(self.plots.values(), self.text_scale)
        self.grid.set_text_scale(self.text_scale)
        self.table.set_text_scale(self.text_scale)
        self._cache_loss_plot()
