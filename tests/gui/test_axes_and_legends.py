"""Axes and legends as a new user read them at 1280 × 720: no SI-prefix fragments on axes
whose quantities are not SI units, legends at a readable size, marker labels apart."""

from __future__ import annotations

import pyqtgraph as pg

from tests.gui.conftest import RUN_TIMEOUT


def test_no_axis_of_the_window_shows_an_si_prefix(qtbot, window):
    """Zoomed in to thousandths (a margin near 0, a small loss gap), an axis reads its
    values, not "m" or "×1e-3" beside its label."""
    window.resize(1280, 720)
    window.show()
    plots = window.findChildren(pg.PlotWidget)
    assert len(plots) >= 10  # the Training, Examples (margin, data map), Experiment, Search... plots
    for plot in plots:
        item = plot.getPlotItem()
        if item.getAxis("left").logMode:
            continue
        item.setRange(xRange=(0, 0.002), yRange=(0, 0.002), padding=0)
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            assert axis.autoSIPrefixScale == 1.0, (getattr(plot, "title_text", plot), side, axis.labelString())


def _legend_pts(window):
    """(plot, legend text size in pt, the plot's tick size in pt) of every legend entry shown."""
    for name, plot in window.plots.plots.items():
        item = plot.getPlotItem()
        if plot.isHidden() or not item.legend.isVisible():
            continue
        tick = item.getAxis("left").style["tickFont"].pointSizeF()
        for _sample, label in item.legend.items:
            yield name, float(label.opts["size"].removesuffix("pt")), tick


def test_legends_stay_readable_at_1280x720(qtbot, window):
    window.resize(1280, 720)
    window.show()
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    for presses in range(3):
        if presses:
            window.menu_actions["Larger text"].trigger()
        qtbot.wait(50)  # legends are fitted to their plots in the next event-loop turn
        found = list(_legend_pts(window))
        assert len(found) >= 4
        for name, pt, tick in found:
            # Before: shrunk to 0.6 of its size to fit (5 pt, letters 7 px high).
            assert pt >= 8 and pt >= 0.7 * tick, (presses, name, pt, tick)
    for plot in window.plots.plots.values():
        legend = plot.getPlotItem().legend
        # Its text above every curve, on a white ground that earlier runs' faded curves stay
        # under and the live run's curves are drawn over (they kept their colour).
        assert legend.ground.brush().color().alpha() >= 200
        assert legend.zValue() > max(c.zValue() for c in plot.getPlotItem().listDataItems() or [legend]) - 1


def test_two_marker_labels_side_by_side_keep_a_space_apart(qtbot, window):
    """A live edit at the run's last step, then its end: two labels at the top, one each side
    of the same line, read as one ("weight_decay 15finished") when they touched."""
    window.resize(1280, 720)
    window.show()
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    plots = window.plots
    plots.markers.clear()
    x = 1.0  # the middle of the two epochs: room for a label on either side
    plots.add_marker(x, "weight_decay 0→15")  # as the session marks a live edit, then the end
    plots.add_marker(x, "finished")
    qtbot.wait(50)  # placed again once the legends are fitted
    per_plot = {}
    for name, line in plots.markers.shown:
        if line.label.textItem.toPlainText():
            per_plot.setdefault(name, []).append(line.label.sceneBoundingRect())
    assert any(len(r) == 2 for r in per_plot.values())
    for name, rects in per_plot.items():
        for i, a in enumerate(rects):
            for b in rects[i + 1:]:
                if a.top() < b.bottom() and b.top() < a.bottom():  # on one height: a space between
                    gap = max(b.left() - a.right(), a.left() - b.right())
                    assert gap >= 4, (name, gap)
