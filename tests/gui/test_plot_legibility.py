"""The Training tab's plots at 1280 x 720, as a new user read them: a live edit's marker
label whole and clear of the legend, plots tall enough to read and their tick labels apart."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from engine.core import events as ev
from tests.gui.conftest import RUN_TIMEOUT, trained_with_larger_text


def _labels_in_place(window):
    """(plot, drawn text, label rect, view rect, legend rect or None) for every marker shown."""
    markers = window.plots.markers
    for name, line in markers.shown:
        item = window.plots.plots[name].getPlotItem()
        legend = item.legend
        box = legend.sceneBoundingRect() if legend is not None and legend.items and legend.isVisible() else None
        yield name, line.label.textItem.toPlainText(), line.label.sceneBoundingRect(), item.vb.sceneBoundingRect(), box


def test_a_live_edit_marker_is_labelled_whole_inside_the_plot_and_clear_of_the_legend(qtbot, long_run):
    window = long_run
    window.resize(1280, 720)
    box = window.settings_panel.widgets["regularization.augment_hflip"]
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on its tick box
    assert box.isChecked()
    markers = window.plots.markers
    qtbot.waitUntil(lambda: "augment_hflip False→True" in markers.labels("loss"), timeout=10_000)

    def all_in_place():
        found = list(_labels_in_place(window))
        return len(found) == 4 and all(
            text == "hflip on" and view.contains(rect) and (legend is None or not rect.intersects(legend))
            for _, text, rect, view, legend in found)

    qtbot.waitUntil(all_in_place, timeout=5000)  # placed again once the legends are fitted
    for name, line in markers.shown:
        assert line.toolTip() == line.label.toolTip() == "augment_hflip False→True", name
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        window.actions["stop"].trigger()
    assert sig.args[0].reason == ev.USER_STOPPED
    qtbot.waitUntil(lambda: len(markers.shown) == 8, timeout=5000)

    def both_apart():  # the end-of-run label too, and the two labels not on each other
        found = list(_labels_in_place(window))
        if len(found) != 8:
            return False
        per_plot = {}
        for name, text, rect, view, legend in found:
            if not text:
                continue  # no room for it on this plot: the line alone, its tooltip says what it marks
            if not view.contains(rect) or (legend is not None and rect.intersects(legend)):
                return False
            per_plot.setdefault(name, []).append((text, rect))
        return all(not a[1].intersects(b[1]) for labels in per_plot.values() for a, b in zip(labels, labels[1:], strict=False))

    qtbot.waitUntil(both_apart, timeout=5000)


MIN_PLOT_PX = 150


def _tick_label_rects(axis):
    """The rects of the tick labels an axis draws, as pyqtgraph lays them out to paint them."""
    from PySide6.QtGui import QPainter, QPicture

    picture = QPicture()
    painter = QPainter(picture)
    try:
        painter.setFont(axis.style["tickFont"])
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [(rect, text) for rect, _, text in specs[2]]


def test_larger_text_twice_at_1280x720_keeps_every_plot_tall_and_its_tick_labels_apart(qtbot, window):
    trained_with_larger_text(qtbot, window)
    plots = window.plots.plots
    shown = [name for name, plot in plots.items() if plot.isVisible()]
    assert {"loss", "accuracy", "norms", "grads"} <= set(shown)
    # Every plot its room, whatever the window: the grid scrolls when they cannot all fit.
    qtbot.waitUntil(lambda: all(plots[name].height() >= MIN_PLOT_PX for name in shown), timeout=5000)
    for name in shown:
        for side in ("left", "bottom"):
            labels = _tick_label_rects(plots[name].getPlotItem().getAxis(side))
            assert len(labels) >= 2, (name, side, labels)
            for i, (a, ta) in enumerate(labels):
                for b, tb in labels[i + 1:]:
                    assert not a.intersects(b), (name, side, ta, tb)
