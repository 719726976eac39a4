"""Earlier runs, faded behind the current one, and a table comparing how each ended.

Only comparable runs are kept: runs of another dataset are dropped when a run starts,
unless pinned. A pinned run (the baseline an instructor compares every remedy with) stays
until it is unpinned; besides it, the last MAX_UNPINNED runs are kept."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from engine.core.i18n import C_, N_, _, integer, number, percent

MAX_UNPINNED = 3
# Muted, yet at least 3:1 on white (WCAG's for graph lines): grey, purple, green, brown.
GHOSTS = ["#858585", "#8e6bb0", "#4e9a5f", "#a8743a"]
PINNED = "#424242"
# Each earlier run has a dash pattern of its own (no curve of the current run uses one), so
# runs stay apart for an eye that cannot tell their colours: validation long dashes with
# 0-3 dots between, training dots with a longer gap after 1-4 of them.
VAL_PATTERNS = [[6, 3] + [1, 3] * k for k in range(len(GHOSTS))]
TRAIN_PATTERNS = [[1, 2] * k + [1, 5] for k in range(len(GHOSTS))]
TRAIN_PATTERNS[0] = [1, 3]
# (plot, curve key, patterns): validation dashed, training dotted. Earlier runs stay out
# of the plots' legends (five runs made them cover the curves); the comparison table
# names each run beside a swatch of its colour.
GHOST_CURVES = (("loss", "val_loss", VAL_PATTERNS),
                ("loss", "train_loss", TRAIN_PATTERNS),
                ("accuracy", "val_acc", VAL_PATTERNS),
                ("accuracy", "train_acc", TRAIN_PATTERNS),
                ("gap", "acc_gap", VAL_PATTERNS))


@dataclass(eq=False)  # two runs are the same run only if they are one object (curves are arrays)
class RunCurves:
    """A finished run's epoch curves, as the plots drew them (accuracy and gap in %)."""
    label: str
    dataset: str
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    pinned: bool = False
    final_metrics: dict | None = None  # the RunFinished's: of the weights the run ends with

    ENDING = {"train_acc": "end_train_accuracy", "val_acc": "end_val_accuracy", "acc_gap": "end_gap"}

    def final(self, key: str) -> float | None:
        """How the run ended (in %): of the weights it ends with (early stopping restores its
        best epoch's), where the run said so; else its last epoch's."""
        ending = (self.final_metrics or {}).get(self.ENDING.get(key, ""))
        if ending is not None:
            return float(ending) * 100
        x, y = self.curves.get(key, (None, None))
        return float(y[-1]) if y is not None and len(y) else None

    @property
    def weights_epoch(self) -> int | None:
        f = self.final_metrics or {}
        return f.get("weights_epoch", f.get("end_epoch"))


class EarlierRuns:
    """The faded curves of earlier runs on the loss, accuracy and gap plots."""

    def __init__(self, plots: dict[str, pg.PlotWidget]):
        self.plots = plots
        self.runs: list[RunCurves] = []
        self._items: dict[int, list[tuple[str, pg.PlotDataItem]]] = {}  # id(run) -> its items
        self._spare: list[list[tuple[str, pg.PlotDataItem]]] = []

    def keep(self, run: RunCurves) -> None:
        self.runs.append(run)
        unpinned = [r for r in self.runs if not r.pinned]
        for old in unpinned[:-MAX_UNPINNED] if len(unpinned) > MAX_UNPINNED else []:
            self._drop(old)
        self._draw(run)

    def only_comparable(self, dataset: str) -> None:
        """Keep runs of `dataset`; pinned runs of another dataset are hidden, not dropped."""
        for run in list(self.runs):
            if run.dataset != dataset and not run.pinned:
                self._drop(run)
        for run in self.runs:
            for _plot, item in self._items.get(id(run), []):
                item.setVisible(run.dataset == dataset)

    def shown(self) -> list[RunCurves]:
        return [r for r in self.runs if any(item.isVisible() for _plot, item in self._items.get(id(r), []))]

    def set_pinned(self, run: RunCurves, pinned: bool) -> None:
        run.pinned = pinned
        self._style(run)
        if not pinned:  # back among the others: the oldest beyond the limit goes
            unpinned = [r for r in self.runs if not r.pinned]
            for old in unpinned[:-MAX_UNPINNED] if len(unpinned) > MAX_UNPINNED else []:
                self._drop(old)

    def clear(self) -> None:
        for run in list(self.runs):
            self._drop(run)

    def items(self):
        return [item for items in self._items.values() for _plot, item in items]

    # ---- items ----------------------------------------------------------------------------
    def _draw(self, run: RunCurves) -> None:
        reuse = self._spare.pop() if self._spare else None
        taken = {getattr(r, "ghost", None) for r in self.runs if r is not run}
        run.ghost = min(set(range(len(GHOSTS) + 1)) - taken) % len(GHOSTS)  # the first look no shown run has
        run.color = GHOSTS[run.ghost]
        items = []
        for i, (plot, key, _style) in enumerate(GHOST_CURVES):
            x, y = run.curves.get(key, (np.empty(0), np.empty(0)))
            if reuse is None:
                item = self.plots[plot].plot(x, y)
                item.setZValue(-20)
            else:
                item = reuse[i][1]
                item.setData(x, y)
                item.show()
            items.append((plot, item))
        self._items[id(run)] = items
        self._style(run)

    def _style(self, run: RunCurves) -> None:
        run.shown_color = PINNED if run.pinned else run.color
        for (_plot, item), (_p, _k, patterns) in zip(self._items[id(run)], GHOST_CURVES, strict=True):
            pen = pg.mkPen(run.shown_color, width=2.5 if run.pinned else 1.5)
            pen.setDashPattern(patterns[run.ghost])
            item.setPen(pen)

    def _drop(self, run: RunCurves) -> None:
        self.runs.remove(run)
        items = self._items.pop(id(run), [])
        for _plot, item in items:
            item.hide()
        if items:
            self._spare.append(items)


class ComparisonTable(QTableWidget):
    """Final training / validation accuracy and gap of the current run and the runs shown
    behind it; the checkbox pins a run as the baseline."""

    pin_toggled = Signal(int, bool)  # row (the last may be the current run), pinned or not

    # The line key in the run header's tooltip: in its text, Larger text cut it at both ends.
    HEADERS = ["run", "train acc", "val acc", "gap", "baseline"]  # as shown in English: headers() translates them
    RUN_TIP = N_("Each earlier run's curves in its colour: validation dashed, training dotted.")
    ROW_HEIGHT = 20

    def __init__(self, parent=None):
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(self.headers())
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # its pin boxes by Tab and Space; a click keeps the focus
        self.horizontalHeaderItem(0).setToolTip(_(self.RUN_TIP))
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a long run name keeps its end; tooltip: all of it
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(self.HEADERS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        # i18n: 'baseline' is the header of the table's last column
        self.setToolTip(_("How each run ended: training and validation accuracy of the weights it ends with "
                          "(early stopping's restored best; the epoch they are from in brackets), and the gap "
                          "between them (train − validation, percentage points). A remedy that works "
                          "closes the gap. Tick 'baseline' to keep a run for comparison until unticked."))
        self.row_height = self.ROW_HEIGHT
        self.itemChanged.connect(self._on_item_changed)
        self._filling = False
        self._shown: tuple[list[RunCurves], RunCurves | None] = ([], None)

    @staticmethod
    def headers() -> list[str]:
        """HEADERS, translated (the short ones with their context)."""
        return [C_("column", "run"), _("train acc"), _("val acc"), C_("column", "gap"), C_("column", "baseline")]

    def set_text_scale(self, scale: float) -> None:
        """Rows as tall as the (application-wide) text needs."""
        self.row_height = round(self.ROW_HEIGHT * max(1.0, scale))
        self.show_runs(*self._shown)

    def show_runs(self, earlier: list[RunCurves], current: RunCurves | None) -> None:
        self._shown = (earlier, current)
        self._filling = True
        self.verticalHeader().setMinimumSectionSize(self.row_height)
        self.verticalHeader().setDefaultSectionSize(self.row_height)
        rows = [*earlier, *([current] if current is not None else [])]
        self.setRowCount(len(rows))
        for row, run in enumerate(rows):
            is_current = run is current
            val = _pct(run.final("val_acc"))
            if run.weights_epoch is not None:
                # i18n: {accuracy} of the weights the run ends with, and the epoch they are from
                val = _("{accuracy} (epoch {epoch})").format(accuracy=val, epoch=integer(run.weights_epoch))
            # i18n: the run that trains now, among the earlier ones
            cells = [_("{run} (now)").format(run=run.label) if is_current else run.label,
                     _pct(run.final("train_acc")), val, _pts(run.final("acc_gap"))]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                else:
                    item.setToolTip(f"{text}\n{_(self.RUN_TIP)}")
                    if not is_current:
                        item.setData(Qt.ItemDataRole.DecorationRole, _swatch(run.shown_color))
                self.setItem(row, col, item)
            pin = QTableWidgetItem()  # the current run too: it is kept pinned when the next starts
            pin.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            pin.setCheckState(Qt.CheckState.Checked if run.pinned else Qt.CheckState.Unchecked)
            self.setItem(row, 4, pin)
        self.setVisible(bool(rows))
        # As tall as its rows, up to 6 of them at any text size: the pinned baseline, the last
        # MAX_UNPINNED runs and the current one all in view (with larger text it showed 3 of 5,
        # the rest a scroll away); the plots keep their minimum height (PlotGrid) beside it.
        shown = min(len(rows), 6)
        self.setFixedHeight(self.horizontalHeader().sizeHint().height() + shown * self.row_height + 4)
        self._filling = False

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if not self._filling and item.column() == 4:
            self.pin_toggled.emit(item.row(), item.checkState() == Qt.CheckState.Checked)


def _swatch(color: str):
    from PySide6.QtGui import QColor, QPixmap

    pixmap = QPixmap(14, 4)
    pixmap.fill(QColor(color))
    return pixmap


def _pct(v: float | None) -> str:
    return "–" if v is None else percent(v, 1)


def _pts(v: float | None) -> str:
    if v is None:
        return "–"
    sign = "+" if math.copysign(1.0, v) > 0 else ""  # as '+.1f' writes it: -0.0 keeps its '-'
    # i18n: a difference of two accuracies in percentage points, signed: "+12.5 pts"
    return _("{points} pts").format(points=sign + number(v, 1))


class RunComparison:
    """The earlier runs drawn behind the current one and the table of how each ended, kept
    in step: a finished run is kept (as the baseline if its box was ticked), runs of the
    dataset being trained are shown."""

    def __init__(self, plots: dict[str, pg.PlotWidget], on_pinned):
        """on_pinned(): a run was pinned or unpinned (its curves changed their pen)."""
        self.earlier = EarlierRuns(plots)
        self.table = ComparisonTable()
        self.pin_current = False  # the current run's "baseline" box is ticked
        self._on_pinned = on_pinned
        self._result: dict | None = None  # the current run's final metrics, once it has ended
        self._current: RunCurves | None = None
        self.table.pin_toggled.connect(self._on_table_pin_toggled)

    def keep(self, current: RunCurves | None) -> None:
        """The current run has become an earlier one (a new run is about to start)."""
        if current is not None:
            current.pinned, self.pin_current = self.pin_current, False
            current.final_metrics = self._result
            self.earlier.keep(current)
        self._result = self._current = None

    def running(self, label: str, dataset: str) -> None:
        """A run of `dataset` is starting: comparable runs only, and its row from the start
        (figures when it ends), so the table keeps its height while the run trains."""
        self.earlier.only_comparable(dataset)
        self._current = RunCurves(label, dataset, {}, pinned=self.pin_current)
        self.table.show_runs(self.earlier.shown(), self._current)

    def pin_running(self) -> None:
        """Keep the run in progress as the baseline (the remedy tour's `overfit`)."""
        self.pin_current = True
        if self._current is not None:
            self._current.pinned = True
            self.table.show_runs(self.earlier.shown(), self._current)

    def finished(self, current: RunCurves | None) -> None:
        if current is not None:
            current.pinned = self.pin_current
            current.final_metrics = self._result
        self._current = current
        self.table.show_runs(self.earlier.shown(), current)

    def ended_with(self, final_metrics: dict | None) -> None:
        """The current run's RunFinished has come: its row shows the weights it ends with."""
        self._result = dict(final_metrics or {}) or None
        if self._current is not None:
            self._current.final_metrics = self._result
            self.table.show_runs(self.earlier.shown(), self._current)

    def clear(self) -> None:
        self.earlier.clear()
        self.pin_current = False
        self._result = self._current = None
        self.table.show_runs([], None)

    def _on_table_pin_toggled(self, row: int, pinned: bool) -> None:
        shown = self.earlier.shown()
        if row < len(shown):
            self.earlier.set_pinned(shown[row], pinned)
            self._on_pinned()
        else:  # the current run: pinned once the next run starts
            self.pin_current = pinned
