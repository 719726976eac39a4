"""The Experiment tab: several runs at once, read from their folders as they are written.

Three views of the same data (each run's metrics.jsonl, tailed once a second, so a run
written by another process or machine shows up live, and an experiment resumed after a
crash shows its earlier runs too):
  overlay  runs side by side, one fixed colour each, a legend, how each ended against the
           first (the tour's baseline, a twin's reference) and the settings that differ;
  cv       the mean across folds with a ±1 sd band, thin per-fold curves on a toggle, each
           fold's best epoch marked, and per-fold and mean ± sd figures;
  curve    accuracy against the varied setting (training-set size, width) with bands over
           seeds: the gap shrinking as data grows.
Redrawn only while the tab is visible (the Training tab keeps the frame budget)."""

from __future__ import annotations

import json
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import C_, _, integer, n_
from engine.runs.index import EXPERIMENT_FILE
from gui.panels.experiment_figures import (
    _pts,
    draw_curve,
    draw_cv,
    fill,
    fit_columns,
    keep_rows_in_view,
    p_at,
)
from gui.panels.experiment_takeaway import takeaway
from gui.panels.tracked_runs import (
    Tracked,
    config_of,
    differing,
    run_label,
    setting_text,
    trial_label,
)
from gui.plotting.axes import apply_text_scale, make_plot
from gui.plotting.colors import glyph, series_color, series_pen, train_pen

LOG_X_KEYS = ("data.train_size", "model.width")
PLOTS_MIN_HEIGHT = 180  # the tables take what they need for their rows; the plots keep this much
PLOT_LINES = 16  # ... and at least this many lines of their tick labels (larger text: taller plots)
TRAIN_CURVES_UP_TO = 3  # more runs than this: their training accuracies on a toggle (14 curves tangled)


class ExperimentView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.mode = "overlay"
        self.runs: list[Tracked] = []
        self.folder: Path | None = None  # an experiment being followed
        self.meta: dict = {}
        self.text_scale = 1.0
        self._dirty = False
        self._base_title = ""
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title = QLabel(_("Select runs in the Runs browser, or start an experiment from the Experiments menu."))
        self.title.setWordWrap(True)
        self.title.setAccessibleName(_("What the Experiment tab shows"))
        self.per_fold = QCheckBox(_("Per-fold curves"))
        self.per_fold.setToolTip(_("Draw each fold's validation curve thinly behind the mean and its band"))
        self.per_fold.toggled.connect(self._redraw)
        self.train_curves = QCheckBox(_("Training accuracy"))
        self.train_curves.setToolTip(_("Draw each run's training accuracy, dotted, beside its validation accuracy"))
        self.train_curves.toggled.connect(self._on_train_curves_toggled)
        head.addWidget(self.title, 1)
        head.addWidget(self.per_fold)
        head.addWidget(self.train_curves)
        layout.addLayout(head)
        # One legend for all three plots, in a line of its own: legends inside plots this
        # small covered the curves, or were cut off.
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setAccessibleName(_("Legend of the Experiment plots"))
        layout.addWidget(self.legend)
        self.plots = {"accuracy": make_plot(_("Accuracy"), "%"), "loss": make_plot(_("Loss"), _("loss")),
                      "gap": make_plot(_("Gap (train − val)"), _("accuracy pts"))}
        row = QHBoxLayout()
        for p in self.plots.values():
            p.setMinimumWidth(120)
            _title_may_shrink(p.getPlotItem().titleLabel)
            row.addWidget(p)
        plots = QWidget()
        plots.setLayout(row)
        plots.setMinimumHeight(PLOTS_MIN_HEIGHT)
        self.plot_row = plots
        self.table = QTableWidget(0, 0)
        self.table.setAccessibleName(_("How each run ended"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustIgnored)
        self.diff = QTableWidget(0, 0)
        self.diff.setAccessibleName(_("Settings that differ between the runs shown"))
        self.diff.setToolTip(_("Only the settings that differ between the runs shown"))
        self.diff.verticalHeader().hide()
        self.diff.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustIgnored)
        # One above the other, each the figure's width: side by side, both scrolled sideways
        # at 1280 x 720 with larger text. Their columns shrink to the width (cells elided, the
        # whole text as a tooltip).
        tables = QSplitter(Qt.Orientation.Vertical)
        tables.addWidget(self.table)
        tables.addWidget(self.diff)
        tables.setChildrenCollapsible(False)
        for t in (self.table, self.diff):
            t.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            t.setWordWrap(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(plots)
        split.addWidget(tables)
        split.setHandleWidth(8)  # plots against tables: drag to give the tables more rows
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setToolTip(_("Drag the bar between the plots and the tables to resize them"))
        split.setChildrenCollapsible(False)
        self.split = split
        # The figure scrolls (vertically) when the plots at their height and the tables'
        # rows do not fit: at 1280 x 720 with larger text the plots were squeezed to 130 px.
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(split)
        layout.addWidget(self.scroll, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self._show_mode()

    # ---- what to show --------------------------------------------------------------------
    def show_runs(self, paths: list[Path], title: str = "", labels: dict | None = None) -> None:
        """Runs side by side (the first is the one the others are compared with)."""
        self.mode, self.folder, self.meta = "overlay", None, {}
        self.runs = [Tracked(Path(p), (labels or {}).get(Path(p)) or run_label(Path(p))) for p in paths]
        self._distinct_labels()
        self.title.setText(title or (_("1 run") if len(paths) == 1 else n_(
            "{count} run, compared with the first", "{count} runs, compared with the first", len(paths)).format(
            count=integer(len(paths)))))
        self._base_title = self.title.text()
        self._start()

    def show_experiment(self, folder: Path, kind: str, meta: dict, title: str = "") -> None:
        """Follow an experiment folder: its members appear as its trials start."""
        self.mode = {"cv": "cv", "curve": "curve"}.get(kind, "overlay")
        self.folder, self.meta, self.runs = Path(folder), dict(meta), []
        self.title.setText(title or folder.name)
        self._base_title = self.title.text()
        self._members()
        self._start()

    def add_run(self, path: Path, label: str = "") -> None:
        """One more run to overlay (a twin that has just started)."""
        if all(r.path != Path(path) for r in self.runs):
            self.runs.append(Tracked(Path(path), label or run_label(Path(path))))
            self._start()

    def _distinct_labels(self) -> None:
        """Runs of one preset share a name: tell them apart by what differs (or by number)."""
        names = [r.label for r in self.runs]
        if len(set(names)) == len(names):
            return
        configs = [config_of(r.path) for r in self.runs]
        for name in {n for n in names if names.count(n) > 1}:
            same = [i for i, n in enumerate(names) if n == name]
            keys, flat = differing([configs[i] for i in same])  # what tells these runs apart
            for i, f in zip(same, flat, strict=True):
                what = ", ".join(f"{k.split('.')[-1]} {setting_text(f.get(k, '–'))}" for k in keys[:2])
                self.runs[i].label = f"{name} ({what})" if what else f"{name} #{same.index(i) + 1}"

    def _start(self) -> None:
        self._show_mode()
        self.tick()
        self._dirty = True
        self._redraw()
        self.timer.start()

    def _show_mode(self) -> None:
        self.per_fold.setVisible(self.mode == "cv")
        self.train_curves.setVisible(self.mode == "overlay" and len(self.runs) > TRAIN_CURVES_UP_TO)
        self.diff.setVisible(self.mode == "overlay")
        x = self.meta.get("over", _("value")) if self.mode == "curve" else _("epoch")  # the varied setting's key
        log_x = self.mode == "curve" and self.meta.get("over") in LOG_X_KEYS
        for _name, p in self.plots.items():
            item = p.getPlotItem()
            item.setLabel("bottom", x)
            item.setLogMode(x=log_x, y=False)
            item.getAxis("bottom").setTicks(None)
        curve = self.mode == "curve"
        self._title("loss", _("Best validation accuracy") if curve else _("Loss"))
        self.plots["loss"].getPlotItem().setLabel("left", "%" if curve else _("loss"))
        self._title("accuracy", _("Final accuracy") if curve else _("Accuracy"))

    def _title(self, plot: str, text: str) -> None:
        self.plots[plot].title_text = text  # apply_text_scale sets it again at each scale
        self.plots[plot].getPlotItem().setTitle(text)

    def _members(self) -> None:
        try:
            record = json.loads((self.folder / EXPERIMENT_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return
        known = {r.path.name for r in self.runs}
        for t in record.get("trials", []):
            if t.get("run_dir") and t["run_dir"] not in known:
                changes = t.get("changes", {})
                self.runs.append(Tracked(self.folder / t["run_dir"], trial_label(changes, self.meta), changes))
        # A re-run trial (resumed) replaces the folder it abandoned.
        dropped = {d for t in record.get("trials", []) for d in t.get("abandoned", [])}
        self.runs = [r for r in self.runs if r.path.name not in dropped]

    # ---- live ---------------------------------------------------------------------------------
    def tick(self) -> None:
        if self.folder is not None:
            before = len(self.runs)
            self._members()
            self._dirty |= len(self.runs) != before
        ended = sum(r.tail.finished for r in self.runs)
        for r in self.runs:
            before = len(r.tail.events)
            grew = bool(r.tail.read()) or len(r.tail.events) != before
            # A learning curve draws ended runs only: the one training changes nothing drawn.
            # Redrawn every second anyway, it cost the training a whole figure (every run's
            # events scanned) each second, more as the plan went on.
            self._dirty |= grew and self.mode != "curve"
        self._dirty |= self.mode == "curve" and sum(r.tail.finished for r in self.runs) != ended
        if all(r.tail.finished for r in self.runs) and self.folder is None and self.runs:
            self.timer.stop()  # nothing more will come (an experiment may still add members)
        self._redraw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._redraw()

    def _redraw(self) -> None:
        if not self.isVisible() and not self.testAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen):
            return
        if not self._dirty and self.sender() not in (self.per_fold, self.train_curves):
            return
        self._dirty = False
        for p in self.plots.values():
            p.getPlotItem().clear()
            if p.getPlotItem().legend is not None:
                p.getPlotItem().legend.clear()
        {"overlay": self._draw_overlay, "cv": lambda: draw_cv(self), "curve": lambda: draw_curve(self)}[self.mode]()
        apply_text_scale(self.plots.values(), self.text_scale)
        self._fit_figure()
        entries = []
        for item in self.plots["accuracy"].getPlotItem().listDataItems() + self.plots["loss"].getPlotItem().listDataItems():
            name = item.name()
            if name and name not in [e[0] for e in entries]:
                pen = item.opts.get("pen")
                color = item.opts.get("symbolBrush") if pen is None else pg.mkPen(pen).color().name()
                color = color if isinstance(color, str) else pg.mkBrush(color).color().name()
                symbol = "●" if item.opts.get("symbol") and pen is None else glyph(pg.mkPen(pen).style())
                entries.append((name, f'<span style="color:{color}">{symbol}</span>&nbsp;{name}'))
        train = self.mode == "overlay" and (len(self.runs) <= TRAIN_CURVES_UP_TO or self.train_curves.isChecked())
        styles = (" &nbsp; " + _("(accuracy: validation solid, training dotted)") if train else
                  " &nbsp; " + _("(accuracy: validation)") if self.mode == "overlay" else "")
        self.legend.setText(" &nbsp; ".join(html for _name, html in entries) + styles)
        for p in self.plots.values():
            if p.getPlotItem().legend is not None:
                p.getPlotItem().legend.setVisible(False)

    def _fit_figure(self) -> None:
        """Plots tall enough for their tick labels, every row of the tables in the figure
        (which scrolls when they do not fit), the tables' columns within its width."""
        from PySide6.QtGui import QFont, QFontMetrics

        font = QFont()
        font.setPointSizeF(9 * self.text_scale)
        self.plot_row.setMinimumHeight(max(PLOTS_MIN_HEIGHT, PLOT_LINES * QFontMetrics(font).height()))
        keep_rows_in_view(self.table, horizontal_bar=False)
        if self.diff.isVisible():
            keep_rows_in_view(self.diff, rows=max(self.diff.rowCount(), 1), horizontal_bar=False)
        self.train_curves.setVisible(self.mode == "overlay" and len(self.runs) > TRAIN_CURVES_UP_TO)
        for t in (self.table, self.diff):
            fit_columns(t)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self._fit_columns)  # once the layout has given the tables their width

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # Larger text sets the app's font after the plots'
            QTimer.singleShot(0, self._fit_figure)

    def _fit_columns(self) -> None:
        for t in (self.table, self.diff):
            fit_columns(t)

    def _on_train_curves_toggled(self, _on: bool) -> None:
        self._dirty = True
        self._redraw()

    def scale_text(self, scale: float) -> None:
        self.text_scale = scale
        self._dirty = True
        self._redraw()

    # ---- overlay --------------------------------------------------------------------------------
    def _draw_overlay(self) -> None:
        for i, r in enumerate(self.runs):
            # Three colours every eye tells apart; past them, each run a dash pattern of its own.
            pen = series_pen(i, width=2.5)
            x, val = r.series("val_accuracy")
            self.plots["accuracy"].plot(x, val * 100, pen=pen, name=r.label)
            if len(self.runs) <= TRAIN_CURVES_UP_TO or self.train_curves.isChecked():
                _x, train = r.series("train_accuracy")
                self.plots["accuracy"].plot(x, train * 100, pen=train_pen(i))
            _x, loss = r.series("val_loss")
            self.plots["loss"].plot(x, loss, pen=pen)
            _x, gap = r.series("accuracy_gap")
            self.plots["gap"].plot(x, gap * 100, pen=pen)
        base = self.runs[0].outcome() if self.runs else None
        rows = []
        for i, r in enumerate(self.runs):
            o = r.outcome()
            last = r.tail.epochs[-1] if r.tail.epochs else {}
            val = o.val_accuracy if o else last.get("val_accuracy")
            gap = o.gap if o else last.get("accuracy_gap")
            rows.append([(r.label, series_color(i)), p_at(val, r.weights_epoch if o else None),
                         p_at(o.best_val_accuracy if o else None),
                         _pts(gap), _pts(None if not (o and base) or i == 0 else o.val_accuracy - base.val_accuracy),
                         _pts(None if not (o and base) or i == 0 else o.gap - base.gap),
                         integer(len(r.tail.epochs)) + ("" if r.tail.finished else " …")])
        first = self.runs[0].label if self.runs else _("the first")
        fill(self.table, [C_("column", "run"), _("val acc"), C_("column", "best"), C_("column", "gap"), _("Δ val"),
                          _("Δ gap"), C_("column", "epochs")], rows)
        self.title.setText(self._base_title + takeaway(self.runs, base))
        # i18n: {first}: the first run's name (or "the first")
        self.table.setToolTip(_("How each run ended (the weights it ends with, and the epoch they are from; "
                                "best: the best epoch's validation accuracy). Δ: against {first}, the first row.").format(
            first=first))
        for col, tip in ((4, _("validation accuracy minus {first}'s")), (5, _("gap minus {first}'s"))):
            self.table.horizontalHeaderItem(col).setToolTip(tip.format(first=first))
        self._fill_diff()

    def _fill_diff(self) -> None:
        keys, flat = differing([config_of(r.path) for r in self.runs])
        rows = [[(k, None)] + [(setting_text(f.get(k, "–")), None) for f in flat] for k in keys]
        fill(self.diff, [C_("column", "setting")] + [r.label for r in self.runs], rows or [[(_("(no differences)"), None)]])

    # ---- tables ---------------------------------------------------------------------------------------
    def cell(self, row: int, column: int, table: QTableWidget | None = None) -> str:
        item = (table or self.table).item(row, column)
        return item.text() if item is not None else ""


def _title_may_shrink(label) -> None:
    """A pyqtgraph title asks for its text's width at least: with larger text in a third of
    1280 pixels that made the plot wider than its place, cut on the right (the title and the
    last epochs). The label's minimum width goes (LabelItem sets it again at every text and
    resize, so its updateMin is replaced): the title may be cut now, the axes never."""
    original = label.updateMin

    def update_min():
        original()
        label.setMinimumWidth(0)
        label._sizeHint[Qt.SizeHint.MinimumSize] = (0, label._sizeHint[Qt.SizeHint.MinimumSize][1])
        label.updateGeometry()

    label.updateMin = update_min
    update_min()
