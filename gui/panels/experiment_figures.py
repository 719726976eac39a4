"""The Experiment tab's views of many runs as one: a cross-validation's bands over folds and
a learning curve's figures against the varied setting; and the cells of its tables."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem

from engine.core.i18n import C_, _, integer, n_, number, percent
from engine.runs.aggregate import band, by_value, mean_sd
from gui.panels.signed_number import signed
from gui.plotting.colors import BLACK, TEXT_RED, TRAIN, TRAIN_STYLE, VAL, VAL_STYLE, as_text
from gui.plotting.values import setting_value

BEST = BLACK
IN_PROGRESS = BLACK  # dash-dotted: the fold still training, told apart from the folds' (dashed) mean
GAP = BLACK


def _alpha(color: str, a: int) -> QColor:
    c = QColor(color)
    c.setAlpha(a)
    return c


def _cell(text: str, color: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)  # whole, where the column is too narrow for it (fit_columns)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if color:
        item.setForeground(QColor(as_text(color)))
    return item


def fill(table: QTableWidget, headers: list[str], rows: list[list]) -> None:
    table.clearContents()
    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setRowCount(len(rows))
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            text, color = cell if isinstance(cell, tuple) else (cell, None)
            table.setItem(i, j, _cell(text, color))
    fit_columns(table)


def fit_columns(table: QTableWidget) -> None:
    """Columns as wide as their contents where the table's width allows; else narrower in
    proportion (cells elided, their text in a tooltip), never scrolled sideways."""
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    n = table.columnCount()
    if not n:
        return
    table.resizeColumnsToContents()
    widths = [table.columnWidth(i) for i in range(n)]
    room = table.viewport().width() if table.isVisible() else table.width() - 2 * table.frameWidth()
    if room > 0 and sum(widths) > room:
        # The widest columns give way first, down to a common cap; narrow ones stay whole
        # (shrunk in proportion, every figure was cut: "67.6…", "+11.3 …").
        cap, left = room / n, room
        for k, w in enumerate(sorted(widths)):
            if w * (n - k) > left:
                cap = left / (n - k)
                break
            left -= w
        for i, w in enumerate(widths):
            table.setColumnWidth(i, max(24, int(min(w, cap))))
    header.setStretchLastSection(sum(table.columnWidth(i) for i in range(n)) < room)


TABLE_ROWS = 7  # the tour's seven runs: its key result is in the table, every row in view


def keep_rows_in_view(table: QTableWidget, rows: int = TABLE_ROWS, horizontal_bar: bool = True) -> None:
    """The table at least as tall as its first `rows` rows, its header and (where it has one)
    a horizontal scroll bar (the splitter gave it 2 of the tour's 6 rows at 1280 x 720, 1
    with larger text)."""
    shown = min(table.rowCount(), rows)
    bar = table.horizontalScrollBar().sizeHint().height() if horizontal_bar else 0
    rows_height = sum(table.rowHeight(i) for i in range(shown))  # rows as tall as the text (larger text)
    height = (table.horizontalHeader().sizeHint().height() + rows_height + bar + 2 * table.frameWidth())
    table.setMinimumHeight(height)


def _numeric(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _p(v) -> tuple[str, None]:
    return ("–" if v is None else percent(v * 100, 1), None)


def figure_at(figure: str, epoch: int | None) -> str:
    """A figure and, after it, the epoch its weights are from ("61.2 % (epoch 12)")."""
    # i18n: a figure (a percentage, accuracy points), then the epoch whose weights gave it
    return figure if epoch is None else _("{figure} (epoch {epoch})").format(figure=figure, epoch=integer(epoch))


def p_at(v, epoch: int | None = None) -> tuple[str, None]:
    """A percentage and, after it, the epoch its weights are from ("61.2 % (epoch 12)")."""
    return ("–" if v is None else figure_at(percent(v * 100, 1), epoch), None)


def points(value: float) -> str:
    """A difference of accuracies in points, with its sign ("+3.2 pts")."""
    # i18n: accuracy points (a difference of two percentages), with its sign: "+3.2 pts"
    return _("{value} pts").format(value=signed(value * 100, 1))


def _pts(v) -> tuple[str, None]:
    return ("–" if v is None else points(v), None)


def one(pair: tuple[float, float]) -> str:
    """A figure of one run: no spread to show (a "± 0.0" would claim one)."""
    return "–" if math.isnan(pair[0]) else number(pair[0] * 100, 1)


def pct(pair: tuple[float, float]) -> str:
    """A mean ± sd of shares, in percent (engine.runs.aggregate.pct in the language's numbers)."""
    m, sd = pair
    return "–" if math.isnan(m) else f"{number(m * 100, 1)} ± {number(sd * 100, 1)}"


def draw_cv(view) -> None:
    """Cross-validation: mean ± sd bands over the finished folds, the fold in progress, a table."""
    folds = [r for r in view.runs if r.finished]  # a stopped or running fold is no fold yet
    for r in view.runs:
        if not r.finished and not r.tail.finished and r.tail.epochs:  # the fold in progress
            x, y = r.series("val_accuracy")
            view.plots["accuracy"].plot(x, y * 100, pen=pg.mkPen(IN_PROGRESS, width=1.5,
                                                                                style=Qt.PenStyle.DashDotLine),
                                        name=_("fold in progress"))
    train, val = C_("split", "train"), C_("split", "validation")
    for key, plot, scale, color, name in (("train_accuracy", "accuracy", 100, TRAIN, train),
                                          ("val_accuracy", "accuracy", 100, VAL, val),
                                          ("val_loss", "loss", 1, VAL, val),
                                          ("train_loss", "loss", 1, TRAIN, train),
                                          ("accuracy_gap", "gap", 100, GAP, _("gap"))):
        # i18n: {series}: train, validation or gap; its mean over the folds and their standard deviation
        band_plot(view.plots[plot], [r.series(key) for r in folds], scale, color,
                  _("{series} mean ± sd").format(series=name),
                  VAL_STYLE if color == VAL else TRAIN_STYLE)
    if view.per_fold.isChecked():
        for r in folds:
            x, y = r.series("val_accuracy")
            # Thin and solid under the dashed mean; faded, yet 3:1 on white.
            # One series, a curve per fold (the table names the folds): one legend entry.
            view.plots["accuracy"].plot(x, y * 100, pen=pg.mkPen(_alpha(VAL, 215), width=1), name=_("each fold"))
            x, y = r.series("val_loss")
            view.plots["loss"].plot(x, y, pen=pg.mkPen(_alpha(VAL, 215), width=1), name=_("each fold"))
    best = [(e["epoch"], e["val_accuracy"] * 100) for r in folds
            for e in [max(r.tail.epochs, key=lambda e: e["val_accuracy"])]]
    if best:
        view.plots["accuracy"].plot([b[0] for b in best], [b[1] for b in best], pen=None, symbol="o",
                                    symbolSize=8, symbolBrush=VAL, symbolPen="w", name=_("each fold's best epoch"))
    rows, outs = [], []
    for r in view.runs:
        o = r.outcome(finished_only=True)
        outs += [o] if o else []
        fold = str(r.changes.get("data.fold", r.label))
        # i18n: {fold}: a fold's number (or a run's name) in the cross-validation's table
        fold = fold if r.finished else (_("{fold} (stopped)") if r.tail.finished else _("{fold} (training)")).format(fold=fold)
        rows.append([(fold, None), p_at(o and o.val_accuracy, r.weights_epoch if o else None),
                     _p(o and o.best_val_accuracy), _pts(o and o.gap),
                     integer(len(r.tail.epochs)) + ("" if r.tail.finished else " …")])
    if outs:  # first: the figure a cross-validation is for
        # i18n: the row of the folds' mean ± standard deviation; {count}: over how many folds
        rows.insert(0, [(_("mean ± sd ({count})").format(count=integer(len(outs))), None),
                        (pct(mean_sd([o.val_accuracy for o in outs])), None),
                     (pct(mean_sd([o.best_val_accuracy for o in outs])), None),
                     (pct(mean_sd([o.gap for o in outs])), None), ("", None)])
    folds_planned = view.meta.get("folds", len(view.runs))
    # i18n: the form follows {folds}, the folds planned: the noun goes with {folds} ("1 of 5 folds finished"), not {done}
    view.title.setText(n_("{folds}-fold cross-validation: {done} of {folds} fold finished",
                          "{folds}-fold cross-validation: {done} of {folds} folds finished", folds_planned).format(
        folds=integer(folds_planned), done=integer(len(outs))))
    fill(view.table, [C_("column", "fold"), _("final val acc %"), _("best val acc %"), _("gap (pts)"),
                      C_("column", "epochs")], rows)


def band_plot(plot, curves, scale: float, color: str, name: str, style=Qt.PenStyle.SolidLine) -> None:
    curves = [c for c in curves if len(c[0])]
    if not curves:
        return
    x, mean, sd, _count = band([(list(xs), list(ys)) for xs, ys in curves])
    upper = plot.plot(x, (mean + sd) * scale, pen=pg.mkPen(None))
    lower = plot.plot(x, (mean - sd) * scale, pen=pg.mkPen(None))
    plot.addItem(pg.FillBetweenItem(upper, lower, brush=_alpha(color, 60)))
    plot.plot(x, mean * scale, pen=pg.mkPen(color, width=2.5, style=style), name=name)


INTERPOLATES = 0.99  # training accuracy on the given labels that counts as fitting them all


def descent_points(xs, train: list[float], val: list[float]) -> tuple[float | None, int | None]:
    """(the interpolation threshold: the smallest x whose mean training accuracy on the given
    labels is >= INTERPOLATES; the index of an interior validation-accuracy minimum — the
    error's peak — lower than the best before it and the last, where there is one)."""
    threshold = next((float(x) for x, t in zip(xs, train, strict=True) if t >= INTERPOLATES), None)
    peak = None
    if len(val) >= 3:
        i = int(np.argmin(val[1:-1])) + 1
        if val[i] < max(val[:i]) and val[i] < val[-1]:
            peak = i
    return threshold, peak


def mark_descent(view, xs, groups) -> None:
    """On a sweep of model size: the interpolation threshold and the validation error's peak."""
    if len(groups) < 3 or view.meta.get("over") not in ("model.width", "model.depth"):
        return
    train = [g[1]["train_accuracy"][0] for g in groups]
    val = [g[1]["val_accuracy"][0] for g in groups]
    threshold, peak = descent_points(xs, train, val)
    log = view.plots["accuracy"].getPlotItem().getAxis("bottom").logMode
    at = (lambda x: math.log10(x)) if log else (lambda x: x)
    p = view.plots["accuracy"]
    if threshold is not None:
        line = pg.InfiniteLine(at(threshold), angle=90, pen=pg.mkPen("#555", width=1, style=Qt.PenStyle.DashLine),
                               label=_("interpolation\nthreshold"),
                               labelOpts={"position": 0.8, "color": "#555", "anchors": [(0, 0.5), (0, 0.5)]})
        # i18n: {value}: the swept setting's value (a width, a depth); {share} is a percentage's number
        line.setToolTip(_("From {value} on, the network fits every training label, the wrong ones too "
                          "(training accuracy ≥ {share}%)").format(value=number(threshold),
                                                                   share=number(INTERPOLATES * 100, 0)))
        p.addItem(line, ignoreBounds=True)
    if peak is not None:
        error = (1 - val[peak]) * 100
        # i18n: {error}: the validation error at the peak, a percentage ("12.5 %")
        text = pg.TextItem(_("peak: val error\n{error}").format(error=percent(error, 1)), color=TEXT_RED,
                           anchor=(0.5, 1.1))  # above the point
        text.setPos(at(float(xs[peak])), val[peak] * 100)
        p.addItem(text, ignoreBounds=True)
    view.descent = (threshold, None if peak is None else float(xs[peak]))


def empty_curve_axes(view) -> None:
    """No run finished yet: the axes span the planned values and 0–100 %, not pyqtgraph's
    default unit square (0–1 % on a log axis of 1–10)."""
    values = [float(v) for v in view.meta.get("values") or [] if _numeric(v)]
    for name, p in view.plots.items():
        item = p.getPlotItem()
        log = item.getAxis("bottom").logMode
        shown = [math.log10(v) for v in values if v > 0] if log else values
        if shown:
            lo, hi = min(shown), max(shown)
            item.setXRange(lo, hi if hi > lo else lo + 1, padding=0.05)
        item.setYRange(*((-10, 40) if name == "gap" else (0, 100)), padding=0.02)


def draw_curve(view) -> None:
    """A learning curve: final and best accuracies against the varied setting, bands over seeds."""
    key = view.meta.get("over", "")
    rows_in = [(r.changes.get(key), o) for r in view.runs for o in [r.outcome(finished_only=True)] if o]
    groups = by_value(rows_in)
    try:
        groups.sort(key=lambda g: float(g[0]))
    except (TypeError, ValueError):
        pass
    xs = np.array([float(g[0]) if _numeric(g[0]) else i for i, g in enumerate(groups)], float)
    for figure, plot, color, name in (("train_accuracy", "accuracy", TRAIN, _("train (final)")),
                                      ("val_accuracy", "accuracy", VAL, _("validation (final)")),
                                      ("best_val_accuracy", "loss", BEST, _("validation (best epoch)")),
                                      ("gap", "gap", GAP, _("gap (final)"))):
        if not groups:
            break
        mean = np.array([g[1][figure][0] for g in groups]) * 100
        sd = np.array([g[1][figure][1] for g in groups]) * 100
        p = view.plots[plot]
        upper = p.plot(xs, mean + sd, pen=pg.mkPen(None))
        lower = p.plot(xs, mean - sd, pen=pg.mkPen(None))
        p.addItem(pg.FillBetweenItem(upper, lower, brush=_alpha(color, 60)))
        style = VAL_STYLE if color == VAL else TRAIN_STYLE  # train and validation share the accuracy plot
        p.plot(xs, mean, pen=pg.mkPen(color, width=2.5, style=style), symbol="o", symbolBrush=color, name=name)
    if not groups:
        empty_curve_axes(view)
    mark_descent(view, xs, groups)
    rows = [[(setting_value(v, key), None), (integer(n), None)] + [(pct(f[k]) if n > 1 else one(f[k]), None) for k in
            ("train_accuracy", "val_accuracy", "best_val_accuracy", "gap")] for v, f, n in groups]
    done = len(rows_in)
    planned = len(view.meta.get("values") or []) * int(view.meta.get("seeds") or 0) or len(view.runs)
    # i18n: {key}: the setting varied, as its dotted key (data.train_size)
    view.title.setText(n_("Learning curve over {key}: {done} of {planned} run finished",
                          "Learning curve over {key}: {done} of {planned} runs finished", planned).format(
        key=key, done=integer(done), planned=integer(planned)))
    if view.plots["accuracy"].getPlotItem().getAxis("bottom").logMode and len(xs):
        ticks = [[(math.log10(v), number(v)) for v in xs if v > 0]]  # the sizes themselves, not decades
        for p in view.plots.values():
            p.getPlotItem().getAxis("bottom").setTicks(ticks)
    fill(view.table, [key, C_("column", "runs"), _("train acc %"), _("val acc %"), _("best val acc %"), _("gap (pts)")],
         rows)

