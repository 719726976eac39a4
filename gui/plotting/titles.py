"""Plot titles that fit their plot: smaller where the text scale would make them wider, and
never a minimum width that makes the plot wider than its widget."""

from __future__ import annotations

import weakref

import pyqtgraph as pg
import shiboken6

MIN_TITLE_PT = 7.0


def free_width(label: pg.LabelItem) -> None:
    """A plot's title that never asks for more than the plot's width: a long title is cut, not
    the plot (pyqtgraph sets a label's minimum width to its text's at every resize). An
    instance's method, not a subclass: assigning a wrapped Qt object's class crashed."""
    ref = weakref.ref(label)  # no cycle through the label

    def update_min() -> None:
        label = ref()
        if label is not None:
            pg.LabelItem.updateMin(label)
            label.setMinimumWidth(0)

    label.updateMin = update_min
    label.width_free = True


def fit_title(plot: pg.PlotWidget) -> None:
    """The title at the plot's text scale, smaller where that would be wider than the plot.

    pyqtgraph gives a title label its text's width as a minimum: a title wider than its plot
    (Larger text at 1280 x 720) made the plot wider than its widget, and its right part (the
    end of the title, of the legend and of the epoch axis) was cut off."""
    from PySide6.QtGui import QFont, QFontMetricsF

    item = getattr(plot, "plotItem", None)
    if item is None or not shiboken6.isValid(item.titleLabel):
        return  # a plot closed before its queued fit (pyqtgraph drops its items on close)
    title = getattr(plot, "title_text", "")
    from gui.plotting.axes import TITLE_PT

    pt = TITLE_PT * getattr(plot, "text_scale", 1.0)
    # The title spans the view box's column only, not the value axis's.
    room = plot.viewport().width() - item.getAxis("left").width() - 12
    if title and room > 0:
        font = QFont(plot.getPlotItem().titleLabel.item.font())  # the label's own family
        font.setPointSizeF(pt)
        wide = QFontMetricsF(font).horizontalAdvance(title) * 1.05  # the label's rich text runs wider
        if wide > room:
            pt = max(MIN_TITLE_PT, pt * room / wide)
    size = f"{pt:.1f}pt"
    label = plot.getPlotItem().titleLabel
    if (title, size) != getattr(plot, "_title_shown", None):
        plot._title_shown = (title, size)
        plot.getPlotItem().setTitle(title, size=size)
    if not getattr(label, "width_free", False):
        free_width(label)
    label.setMinimumWidth(0)
    item = plot.getPlotItem()
    if item.geometry().width() > plot.range.width() + 0.5:  # laid out wider while the title was
        item.setGeometry(plot.range)
