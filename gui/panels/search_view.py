"""The Search tab: an Optuna study, read from its storage as trials arrive — whichever
process or machine runs them (the window's engine thread, `main.py search-worker`s).

A trials table (sortable), every trial's validation curve (Optuna's intermediate values:
a pruned trial's ends where it was stopped), the optimization history (each trial's value
and the best so far), parallel coordinates of the parameters coloured by value, and the
parameter importances (Optuna's own evaluator). Double-click a trial for its run.

Opening the storage, reading the study and computing the importances happen on a pool
thread (gui.panels.off_thread): a database a second away, or a slow importance fit,
never stalls the window; only drawing happens on the GUI thread."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import C_, _, integer, number
from gui.panels.number_item import NumberItem
from gui.panels.off_thread import OffThread
from gui.panels.plot_grid import MIN_PLOT_PX
from gui.panels.search_study import Snapshot, read_study, state_count, state_word, study_title
from gui.plotting.axes import apply_text_scale, make_plot, nice_step
from gui.plotting.colors import BLUE, REFERENCE, TEXT_RED, VERMILLION, value_map

STATE_COLORS = {"COMPLETE": "#00704f", "PRUNED": "#666666", "FAIL": TEXT_RED, "RUNNING": BLUE, "WAITING": "#6f4a9a"}


def _item(text: str, number=None, color: str | None = None) -> NumberItem:
    item = NumberItem(number, text, right=False)
    if color:
        item.setForeground(QColor(color))
    return item


def _label(key: str) -> str:
    """A parameter's name on a category axis: two short lines, not one long one, so every
    label fits beside its neighbours (weight_decay was the one dropped)."""
    return key.split(".")[-1].replace("_", "\n", 1)


def whole_numbers(plot, span: float) -> None:
    """Ticks of a plot's bottom axis at whole numbers only (trials, epochs): no tick at 0.5."""
    step = max(1, int(nice_step(max(1.0, span / 6))))
    plot.getPlotItem().getAxis("bottom").setTickSpacing(step, step)


class SearchView(QWidget):
    trial_opened = Signal(Path)  # a trial's run folder, double-clicked
    settings_wanted = Signal(Path)  # "Open settings": the trial's run folder
    twin_wanted = Signal(Path)  # "Twin it": the trial's run folder
    test_wanted = Signal(Path)  # the best trial's run folder, to evaluate once on the locked test split
    study_read = Signal()  # a read of the study arrived and is shown

    def __init__(self, parent=None):
        super().__init__(parent)
        self.study_name = None
        self._opener, self._cache, self._attached = None, {}, 0
        self._reading = self._again = False
        self.off_thread = OffThread(self)  # the study is read there, never on the GUI thread
        self.trials: list = []
        self.direction = "maximize"
        self._seen = None  # what was drawn last (trial numbers, states, values)
        self._importances: dict[str, float] = {}
        self._importance_key = None
        self._lines: dict[str, list] = {}  # plot: its lines, reused from draw to draw
        layout = QVBoxLayout(self)
        self.title = QLabel(_("No study yet: Experiments ▸ Hyperparameter search…, or attach to a study."))
        self.title.setWordWrap(True)
        self.title.setAccessibleName(_("The study shown"))
        layout.addWidget(self.title)
        # The colour key wrapped above the plots: in the axis labels Larger text cut it ("llow: best…").
        self.key = QLabel(_("Curves and lines: lightest the best value, dark blue the worst; dashed: pruned."),
                          wordWrap=True)
        layout.addWidget(self.key)
        # i18n: axis labels: a trial's objective value, scaled 0-1, a parameter's share of the importance
        value, scaled, share, parameter = _("value"), _("scaled"), _("share"), _("parameter")
        self.plots = {"curves": make_plot(_("Validation curve of each trial"), value, _("epoch")),
                      "history": make_plot(_("Optimization history"), value, _("trial")),
                      "parallel": make_plot(_("Parallel coordinates"), scaled, parameter),
                      "importance": make_plot(_("Parameter importance"), share, parameter)}
        grid = QGridLayout()
        for i, p in enumerate(self.plots.values()):
            p.setMinimumWidth(150)
            for side in ("left", "bottom"):  # 0.77, not 770 × 0.001; trial 0, not "trial (x0.001)"
                p.getPlotItem().getAxis(side).enableAutoSIPrefix(False)
            grid.addWidget(p, i // 2, i % 2)
        holder = QWidget()
        holder.setLayout(grid)  # scrolled where the plots cannot be readable (Larger text: ~120 px tall, cut)
        plots = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame,
                            horizontalScrollBarPolicy=Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        plots.setWidget(holder)
        self.table = QTableWidget(0, 0)
        self.table.setAccessibleName(_("Trials of the study"))
        self.table.setToolTip(_("Every trial of the study; click a header to sort, double-click a trial for its run"))
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.cellDoubleClicked.connect(self._on_table_double_clicked)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for text, signal in ((_("Show its curves"), self.trial_opened), (_("Open its settings in the panel"),
                             self.settings_wanted), (_("Twin it (with the panel's changes)"), self.twin_wanted)):
            action = QAction(text, self.table)
            action.triggered.connect(lambda _=False, sig=signal: self._emit_selected(sig))
            self.table.addAction(action)
        self.best_on_test = QPushButton(_("Evaluate the best trial on the test set (once)"))
        self.best_on_test.setToolTip(_("The search never read the test split; look at it once, at the end, with the "
                                       "best trial's weights (recorded in its run folder)"))
        self.best_on_test.setEnabled(False)
        self.best_on_test.clicked.connect(self._on_best_on_test_clicked)
        layout.addWidget(self.best_on_test)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setHandleWidth(8)
        split.addWidget(plots)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(1500)
        self.timer.timeout.connect(self.refresh)

    def scale_text(self, scale: float) -> None:
        """View ▸ Larger / Smaller text: the plots' titles, ticks, labels and legends (the
        table follows the application's font)."""
        apply_text_scale(self.plots.values(), scale)
        for plot in self.plots.values():
            plot.setMinimumHeight(round(MIN_PLOT_PX * max(1.0, scale) ** 0.5))

    def attach(self, study_name: str, opener) -> None:
        """Follow a study: its name and opener(), which opens its Optuna storage (called once,
        on the pool thread; an already open storage: `lambda: storage`)."""
        self.study_name, self._opener, self._cache = study_name, opener, {}
        self._attached += 1
        self._seen = self._importance_key = None
        self._importances = {}
        self.title.setText(_("Study {name}: reading it…").format(name=study_name))
        self.refresh()
        self.timer.start()

    def detach(self) -> None:
        """Stop following the study (closing): no new read starts."""
        self.timer.stop()
        self._opener = None

    def refresh(self) -> None:
        """Read the study again on the pool thread (one read at a time; the view updates when
        it arrives, and `study_read` says so)."""
        if self._opener is None:
            return
        if self._reading:
            self._again = True
            return
        self._reading, self._again = True, False
        attached, opener, cache, name, key = self._attached, self._opener, self._cache, self.study_name, self._importance_key
        self.off_thread.submit(lambda: read_study(opener, cache, name, key),
                               lambda result: self._on_study_read(attached, result))

    def _on_study_read(self, attached: int, result) -> None:
        self._reading = False
        if attached == self._attached and self._show(result):
            # The plots in the event loop's next turn: the table and its paint in this one,
            # so neither turn stalls the window long.
            QTimer.singleShot(0, self, lambda: self._draw_then_say(attached))
        elif attached == self._attached:
            self.study_read.emit()
        if self._again:
            self.refresh()

    def _draw_then_say(self, attached: int) -> None:
        if attached == self._attached:
            self._draw()
            self.study_read.emit()

    def _show(self, snap) -> bool:
        """The title and the table; True where the plots are to be drawn anew."""
        if isinstance(snap, Exception):  # a storage not there yet, a blip of the database
            # i18n: {error} is the storage's error, as Optuna or the database said it
            self.title.setText(_("Study {name}: cannot read it now ({error})").format(
                name=self.study_name, error=f"{type(snap).__name__}: {snap}"))
            return False
        if snap.importances is not None:
            self._importances, self._importance_key = snap.importances, snap.done
        elif snap.done >= 3:
            self._importance_key = snap.done  # tried at this count: not again until one more is done
        self.trials, self.direction = snap.trials, snap.direction
        key = [(t.number, t.state.name, t.value, len(t.intermediate_values)) for t in self.trials]
        if key == self._seen and snap.importances is None:
            return False
        self._seen = key
        self._title(snap)
        self.best_on_test.setEnabled(self.best_run_dir() is not None)
        self._fill_table()
        return True

    # ---- drawing --------------------------------------------------------------------------
    def _title(self, snap: Snapshot) -> None:
        states = [t.state.name for t in self.trials]
        counts = [state_count(s, states.count(s)) for s in STATE_COLORS if states.count(s)]
        self.title.setText(study_title(self.study_name, snap.objective, self.direction, counts, snap.best))

    def _fill_table(self) -> None:
        params = sorted({k for t in self.trials for k in t.params})
        # (The parameters by their settings' names: keys, not words.)
        headers = [C_("column", "trial"), C_("column", "state"), *[k.split(".")[-1] for k in params],
                   C_("column", "value"), C_("column", "epochs"), C_("column", "seconds")]
        self.table.setSortingEnabled(False)
        self.table.clearContents()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(self.trials))
        for row, t in enumerate(self.trials):
            duration = (t.datetime_complete - t.datetime_start).total_seconds() if t.datetime_complete and \
                t.datetime_start else None
            cells = [_item(str(t.number), t.number), _item(state_word(t.state.name), None, STATE_COLORS.get(t.state.name))]
            for k in params:
                v = t.params.get(k)  # a float to 3 significant digits, as '.3g' rounds it
                cells.append(_item("–" if v is None else number(float(f"{v:.3g}")) if isinstance(v, float) else str(v),
                                   v if isinstance(v, (int, float)) else None))
            epochs = t.user_attrs.get("epochs", len(t.intermediate_values))
            cells += [_item("–" if t.value is None else number(t.value, 4), t.value),
                      _item(integer(epochs) if isinstance(epochs, int) else str(epochs), epochs),
                      _item("–" if duration is None else number(duration, 1), duration)]
            for col, cell in enumerate(cells):
                self.table.setItem(row, col, cell)
            self.table.item(row, 0).setData(Qt.ItemDataRole.UserRole + 1, t.user_attrs.get("run_dir"))
        self.table.setSortingEnabled(True)
        # Measured once a fill: a header that resizes to its contents re-measures every cell
        # at every layout pass.
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.resizeColumnsToContents()

    def _line(self, plot: str, i: int):
        """The i-th line of a plot, made once and kept: adding a plot item costs about 2 ms,
        so a study of 60 trials redrawn from scratch stalled the window for 300 ms."""
        lines = self._lines.setdefault(plot, [])
        while len(lines) <= i:
            lines.append(pg.PlotCurveItem())
            self.plots[plot].addItem(lines[-1])
        return lines[i]

    def _hide_lines(self, plot: str, used: int) -> None:
        for line in self._lines.get(plot, [])[used:]:
            line.setData([], [])

    def _draw(self) -> None:
        for name in ("history", "importance"):  # a few items: drawn anew
            self.plots[name].getPlotItem().clear()
        values = [t.value for t in self.trials if t.value is not None]
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        cmap = value_map()

        def color(v):
            if v is None:
                return QColor(REFERENCE)
            x = 0.5 if hi == lo else (v - lo) / (hi - lo)
            return cmap.map(x if self.direction == "maximize" else 1 - x, mode="qcolor")

        n, last_epoch = 0, 1
        for t in self.trials:  # the curves, pruned ones ending where they were stopped
            if t.intermediate_values:
                steps = sorted(t.intermediate_values)
                ys = [t.intermediate_values[s] for s in steps]
                # Coloured by value as in the parallel coordinates (a running trial: by its
                # latest), not by state: every complete trial was the same green.
                pen = pg.mkPen(color(t.value if t.value is not None else ys[-1]),
                               width=2 if t.state.name == "RUNNING" else 1.5,
                               style=Qt.PenStyle.DashLine if t.state.name == "PRUNED" else Qt.PenStyle.SolidLine)
                self._line("curves", n).setData(steps, ys, pen=pen)
                n, last_epoch = n + 1, max(last_epoch, steps[-1])
        self._hide_lines("curves", n)
        whole_numbers(self.plots["curves"], last_epoch)
        done = [t for t in self.trials if t.value is not None]
        if done:
            xs = [t.number for t in done]
            ys = [t.value for t in done]
            self.plots["history"].plot(xs, ys, pen=None, symbol="o", symbolBrush=BLUE, symbolSize=7)
            best = np.maximum.accumulate(ys) if self.direction == "maximize" else np.minimum.accumulate(ys)
            self.plots["history"].plot(xs, best, pen=pg.mkPen(VERMILLION, width=2), stepMode=None)
            item = self.plots["history"].getPlotItem()
            item.setXRange(min(xs) - 0.5, max(xs) + 0.5, padding=0)  # one trial: -0.5..0.5, not -400..400
            whole_numbers(self.plots["history"], max(xs) - min(xs) + 1)
        self._draw_parallel(done, color)
        self._draw_importance()

    def _draw_parallel(self, done, color) -> None:
        keys = sorted({k for t in done for k in t.params if isinstance(t.params[k], (int, float))})
        self._hide_lines("parallel", len(done) if keys else 0)
        if not keys:
            return
        scaled = {}
        for k in keys:
            vals = [t.params[k] for t in done if k in t.params]
            log = min(vals) > 0 and max(vals) / min(vals) > 20
            f = (lambda v: math.log10(v)) if log else (lambda v: v)
            a, b = min(map(f, vals)), max(map(f, vals))
            scaled[k] = (f, a, b)
        best = self._best(done)
        for i, t in enumerate(done):
            ys = [(scaled[k][0](t.params[k]) - scaled[k][1]) / ((scaled[k][2] - scaled[k][1]) or 1)
                  for k in keys if k in t.params]
            line = self._line("parallel", i)
            # The best thick and on top: the second best is nearly as light, and was drawn over it.
            line.setData(list(range(len(ys))), ys, pen=pg.mkPen(color(t.value), width=4 if t is best else 1.5))
            line.setZValue(10 if t is best else 0)
        item = self.plots["parallel"].getPlotItem()
        item.getAxis("bottom").setTicks([[(i, _label(k)) for i, k in enumerate(keys)]])
        item.setXRange(-0.5, len(keys) - 0.5, padding=0)  # room for the outer labels

    def _draw_importance(self) -> None:
        if self._importances:
            names = list(self._importances)
            bars = pg.BarGraphItem(x=list(range(len(names))), height=list(self._importances.values()), width=0.6,
                                   brush=BLUE)
            self.plots["importance"].addItem(bars)
            item = self.plots["importance"].getPlotItem()
            item.getAxis("bottom").setTicks([[(i, _label(n)) for i, n in enumerate(names)]])
            item.setXRange(-0.6, len(names) - 0.4, padding=0)

    def _best(self, done):
        complete = [t for t in done if t.state.name == "COMPLETE"] or done
        return (max if self.direction == "maximize" else min)(complete, key=lambda t: t.value) if complete else None

    def best_run_dir(self) -> Path | None:
        # Completed trials only, as the title's best: a pruned trial has a value too (its last
        # reported one), but it is no candidate for the test split.
        done = [t for t in self.trials if t.state.name == "COMPLETE" and t.value is not None
                and t.user_attrs.get("run_dir")]
        if not done:
            return None
        best = (max if getattr(self, "direction", "maximize") == "maximize" else min)(done, key=lambda t: t.value)
        return Path(best.user_attrs["run_dir"])

    def _on_best_on_test_clicked(self) -> None:
        path = self.best_run_dir()
        if path is not None:
            self.test_wanted.emit(path)

    def _emit_selected(self, signal) -> None:
        row = self.table.currentRow()
        if row >= 0:
            run_dir = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole + 1)
            if run_dir:
                signal.emit(Path(run_dir))

    def _on_table_double_clicked(self, row: int, _col: int) -> None:
        run_dir = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole + 1)
        if run_dir:
            self.trial_opened.emit(Path(run_dir))

    def cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""
