"""The tour's final figure at a projector's 1280 × 720 with Larger text twice: plots tall
enough to read, a Gap axis with real ticks, tables that fit the width, curves untangled;
and an empty learning curve with sane axes."""

from __future__ import annotations

import math

from engine.experiments.experiment import run_single
from tests.gui.test_experiment_tab import _show_in_the_dock
from tests.helpers import tiny_config

REMEDIES = ("overfit", "dropout", "weight_decay", "augmentation", "early_stopping", "all_remedies", "cleaned")


def _tour_like_runs(window):
    """Seven finished runs of the tour's names, each a little different (a gap that moves)."""
    return [run_single(tiny_config({"run.name": name, "optim.epochs": 3, "data.train_size": 128,
                                    "optim.lr": 0.003 * (1 + i / 3), "regularization.dropout": 0.1 * i}),
                       runs_dir=window.runs_dir).run_dir for i, name in enumerate(REMEDIES)]


def _at_1280x720_with_larger_text(qtbot, window):
    window.resize(1280, 720)
    window.show()
    larger = window.menu_actions["Larger text"]
    larger.trigger()
    larger.trigger()  # 1.56 ×: the back row of a room


def test_the_tours_figure_is_readable_at_1280x720_with_larger_text(qtbot, window):
    from PySide6.QtGui import QFontMetrics

    runs = _tour_like_runs(window)
    _at_1280x720_with_larger_text(qtbot, window)
    _show_in_the_dock(window, *runs)
    window.show_tab(window.experiment_view)
    view = window.experiment_view
    qtbot.waitUntil(lambda: view.isVisible() and view.table.rowCount() == 7 and "Highest" in view.title.text())
    qtbot.wait(50)  # the columns are fitted once the layout has given the table its width

    for name, plot in view.plots.items():
        item = plot.getPlotItem()
        line = QFontMetrics(item.getAxis("left").style["tickFont"]).height()
        # Before: the whole plot ~130 px tall, its data area four lines of its tick labels.
        assert item.vb.height() >= 8 * line, (name, item.vb.height(), line)

    gap = view.plots["gap"].getPlotItem()
    axis = gap.getAxis("left")
    lo, hi = gap.viewRange()[1]
    labelled = [v for v in axis.tickValues(lo, hi, axis.height())[0][1] if lo <= v <= hi]
    assert len(labelled) >= 2, labelled  # before: one tick, "0"

    table = view.table
    assert table.horizontalScrollBar().maximum() == 0  # no sideways scrolling
    assert sum(table.columnWidth(i) for i in range(table.columnCount())) <= table.viewport().width()
    assert table.item(0, 0).toolTip() == table.item(0, 0).text()  # an elided cell reads whole on hover
    last = table.rowViewportPosition(6) + table.rowHeight(6)
    assert last <= table.viewport().height()  # all seven rows in the table (the figure scrolls to them)

    # Seven validation curves, not fourteen: the training ones on a toggle.
    accuracy = view.plots["accuracy"].getPlotItem()
    assert len(accuracy.listDataItems()) == 7
    assert view.train_curves.isVisible()
    view.train_curves.click()
    assert len(accuracy.listDataItems()) == 14


def test_an_empty_learning_curve_has_sane_axes(qtbot, window, monkeypatch):
    from gui import dialogs
    from gui.controllers.experiment_dialogs import CurveDialog
    from gui.window.run_state import IDLE

    _at_1280x720_with_larger_text(qtbot, window)
    # A first run long enough to be still training when the figure is looked at (then stopped).
    window.settings_panel.set_config(tiny_config({"optim.epochs": 2000}))
    dialog = CurveDialog(window)
    dialog.values.setText("64, 128, 1024")
    dialog.seeds.setValue(1)
    dialog.accept()
    window.experiments.learning_curve(dialog)  # Experiments ▸ Learning curve…, its dialog answered
    view = window.experiment_view
    qtbot.waitUntil(lambda: view.mode == "curve" and view.isVisible(), timeout=60_000)
    assert not any(r.finished for r in view.runs)  # nothing to plot yet
    for name, plot in view.plots.items():
        item = plot.getPlotItem()
        (x0, x1), (y0, y1) = item.viewRange()
        # The planned sizes on the log axis and 0–100 % (was pyqtgraph's unit square, 1–10 and 0–1 %).
        assert x0 <= math.log10(64) and x1 >= math.log10(1024) and x1 - x0 < 3, (name, x0, x1)
        assert y1 - y0 >= 40 and y1 <= 110, (name, y0, y1)
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            assert axis.autoSIPrefixScale == 1.0 and "×" not in axis.labelString(), (name, side)
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: True)  # "Stop the experiment?": yes
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=60_000)
