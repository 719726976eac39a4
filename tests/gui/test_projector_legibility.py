"""The window at 1280 × 720 on a projector, as a new user read it: the live run's curves in
their own colour under the legends, the Training tab within its width at every text size,
an Evaluation report of many classes without a black mass of cell texts."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def _drawn_in_colour(plot, series, color: str) -> list[int]:
    """The epochs of `series` whose point on screen has no pixel of `color` within 2 px."""
    image = plot.grab().toImage()
    vb = plot.getPlotItem().vb
    want = QColor(color)
    missing = []
    for x, y in zip(series.x[: series.n], series.y[: series.n], strict=True):
        at = plot.mapFromScene(vb.mapViewToScene(QPointF(float(x), float(y))))
        near = [image.pixelColor(at.x() + dx, at.y() + dy) for dx in range(-2, 3) for dy in range(-2, 3)
                if 0 <= at.x() + dx < image.width() and 0 <= at.y() + dy < image.height()]
        if not any(abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < 30
                   for c in near):
            missing.append(int(x))
    return missing


def test_the_live_gap_and_memorized_curves_keep_their_colour_under_the_legends(qtbot, window):
    """Before: the legend's white ground lay over the curves and took most of a short plot: the
    gap curve was pale pink but for its last epochs, 'label replaced' likewise."""
    window.resize(1280, 720)
    window.settings_panel.set_config(tiny_config({"optim.epochs": 12, "data.label_noise": 0.3}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    plots = window.plots
    qtbot.waitUntil(lambda: not plots.pending(), timeout=10_000)
    qtbot.wait(100)  # legends fitted
    for name, key, color in (("gap", "acc_gap", None), ("noise", "noisy_acc", None),
                             ("noise", "clean_acc", None), ("accuracy", "val_acc", None)):
        series = plots.series[key]
        assert series.n == 12
        color = color or series.curve.opts["pen"].color().name()
        assert _drawn_in_colour(plots.plots[name], series, color) == [], (name, key)
    legend = plots.plots["gap"].getPlotItem().legend
    assert legend.isVisible() and "accuracy gap (pts)" in [label.text for _, label in legend.items]


def test_an_evaluation_of_97_classes_draws_no_cell_texts_sparse_ticks_and_no_pr_legend(qtbot, window):
    """Before: 9,409 '0's over the matrix (a black mass), 97 overprinted tick labels and a
    97-entry legend over the precision-recall curves."""
    from engine.core.config import load_preset

    window.resize(1280, 720)
    window.settings_panel.set_config(load_preset("grokking").with_updates({"optim.epochs": 1, "run.device": "cpu"}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    qtbot.waitUntil(window.actions["validate"].isEnabled, timeout=RUN_TIMEOUT)
    window.actions["validate"].trigger()
    panel = window.evaluation
    qtbot.waitUntil(lambda: panel.report is not None and len(panel.pr_curves) == 97, timeout=RUN_TIMEOUT)
    assert len(panel.report.class_names) == 97
    assert panel.cell_texts.texts() == []
    item = panel.matrix_plot.getPlotItem()
    for side in ("left", "bottom"):
        ticks = item.getAxis(side)._tickLevels[0]
        assert 2 <= len(ticks) <= 20, (side, len(ticks))
    assert panel.pr.getPlotItem().legend.items == []
    assert [c.curve.toolTip() for c in panel.pr_curves[:2]] == panel.report.class_names[:2]
    window.tabs.setCurrentWidget(panel)
    for _ in range(5):
        window.menu_actions["Larger text"].trigger()
    qtbot.wait(100)
    bar = panel.charts.tabBar()  # every sub-tab in view, none behind scroll arrows
    assert all(bar.tabRect(i).left() >= 0 and bar.tabRect(i).right() <= bar.width() for i in range(bar.count()))


def test_the_training_plots_fit_their_width_and_keep_two_value_ticks_at_every_text_size(qtbot, window):
    """Before, at Larger text ×3: a title wider than its plot made the plot wider than its widget,
    its right part cut off ('Weight norm per layer (L', the legend 'fc1 fc2 ou', the last
    epochs); the gap's value axis had a single tick, '0'."""
    window.resize(1280, 720)
    window.settings_panel.set_config(tiny_config({"optim.epochs": 5, "data.label_noise": 0.3}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    panel = window.plots
    for presses in range(6):
        if presses:
            window.menu_actions["Larger text"].trigger()
        qtbot.wait(100)  # titles and legends are fitted in the next event-loop turn
        viewport = panel.scroll.viewport()
        for name, plot in panel.plots.items():
            if not plot.isVisible():
                continue
            drawn = plot.getPlotItem().geometry().width()
            assert drawn <= plot.viewport().width() + 1, (presses, name, drawn, plot.viewport().width())
            right = plot.mapTo(viewport, plot.rect().topRight()).x()
            assert right <= viewport.width(), (presses, name, right, viewport.width())
            axis = plot.getPlotItem().getAxis("left")
            if not axis.logMode:
                lo, hi = sorted(axis.range)
                labelled = [v for v in axis.tickValues(lo, hi, axis.height())[0][1] if lo <= v <= hi]
                assert len(labelled) >= 2, (presses, name, labelled, (lo, hi), axis.height())
        table = panel.table  # the comparison below: its run header whole ('earlier: dashed val, dotted' before)
        header = table.horizontalHeader()
        text = table.horizontalHeaderItem(0).text()
        assert header.fontMetrics().horizontalAdvance(text) + 8 <= header.sectionSize(0), (presses, text)
        assert "dashed" in table.horizontalHeaderItem(0).toolTip()


def test_a_short_value_axis_at_the_largest_text_keeps_two_labelled_ticks(qtbot):
    """The gap plot as the grokking run left it at Larger text ×3 (−50 … 100 on a short axis):
    its axis read a single '0' before."""
    from gui.plotting.axes import apply_text_scale, make_plot

    plot = make_plot("Gap: train − validation", "gap", legend_below=True, legend_columns=2)
    qtbot.addWidget(plot)
    plot.resize(420, 170)
    plot.show()
    apply_text_scale([plot], 3.0)
    plot.getPlotItem().setYRange(-50, 100, padding=0.02)
    qtbot.wait(50)
    axis = plot.getPlotItem().getAxis("left")
    lo, hi = sorted(axis.range)
    assert axis.height() < 100  # as short as on the projector
    labelled = [v for v in axis.tickValues(lo, hi, axis.height())[0][1] if lo <= v <= hi]
    assert len(labelled) >= 2, (labelled, axis.height())


def test_the_runs_docks_run_column_keeps_room_for_names_at_the_largest_text(qtbot, window):
    """Before: the other columns took the dock at Larger text and a run's name read 'nu-i…'."""
    from PySide6.QtCore import Qt

    from gui.panels.runs_browser import RUN

    window.resize(1280, 720)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    for _ in range(5):
        window.menu_actions["Larger text"].trigger()
    window.runs_dock.dock.show()
    window.runs_dock.dock.raise_()  # its tab beside Settings, clicked
    browser = window.runs_dock.browser
    browser.refresh()
    qtbot.waitUntil(lambda: browser.model.rowCount() >= 1, timeout=10_000)
    qtbot.wait(100)
    tree = browser.tree
    room = tree.viewport().width()
    assert room > 100
    assert tree.header().sectionSize(RUN) >= 0.5 * room, (tree.header().sectionSize(RUN), room)
    assert tree.textElideMode() == Qt.TextElideMode.ElideMiddle  # its start and its end stay in view
    cell = browser.model.item(0, RUN)
    assert cell.text() in cell.toolTip()  # and the whole name in the tooltip


def test_the_search_plots_titles_and_axis_labels_fit_at_the_largest_text(qtbot, window):
    """Before: ~120-px plots, titles cut ('Validation curve of each t') and axis labels carrying
    the colour key cut at both ends ('llow: best value, purple: worst;')."""
    window.resize(1280, 720)
    for _ in range(5):
        window.menu_actions["Larger text"].trigger()
    window.tabs.setCurrentWidget(window.search_view)
    qtbot.wait(200)
    for name, plot in window.search_view.plots.items():
        item = plot.getPlotItem()
        assert plot.height() >= 150, (name, plot.height())
        title = item.titleLabel.item.boundingRect().width()
        assert title <= item.vb.width() + 2, (name, title, item.vb.width())
        bottom, left = item.getAxis("bottom"), item.getAxis("left")
        assert bottom.label.boundingRect().width() <= bottom.width(), (name, bottom.labelString())
        assert left.label.boundingRect().width() <= left.height(), (name, left.labelString())  # drawn upright
    assert "best value" in window.search_view.key.text()  # the colour key, whole


def test_the_settings_panel_fits_its_dock_at_every_text_size(qtbot, window):
    """Before, at the largest text: a long setting name ('decay bias and norm') on one line made
    the form wider than the dock: a sideways scroll bar, spin boxes cut before their arrows."""
    window.resize(1280, 720)
    scroll = window.settings_panel.scroll
    for presses in range(6):
        if presses:
            window.menu_actions["Larger text"].trigger()
        qtbot.wait(50)
        assert scroll.widget().width() <= scroll.viewport().width(), presses
        assert not scroll.horizontalScrollBar().isVisible(), presses
