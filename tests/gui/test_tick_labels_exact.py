"""Tick labels say the ticks' values: a value axis ticked every 0.25 (its spacing made by
nice_step for a short plot) reads 0.25 and 0.75, where pyqtgraph's one decimal (its places
follow the spacing's magnitude) wrote 0.2 and 0.8."""

from __future__ import annotations


def test_an_axis_ticked_every_quarter_labels_its_ticks_exactly(qtbot, window):
    axis = window.plots.plots["gap"].getPlotItem().getAxis("left")
    quarter = [size for size in range(40, 800, 5) if any(abs(s - 0.25) < 1e-12 for s, _ in axis.tickSpacing(0, 1, size))]
    assert quarter, "no plot height ticks 0 … 1 every 0.25"
    for spacing, values in axis.tickValues(0, 1, quarter[0]):
        shown = axis.tickStrings(values, 1.0, spacing)  # what the axis draws for these ticks
        for value, text in zip(values, shown, strict=True):
            assert abs(float(text) - value) < 1e-9, (spacing, list(zip(values, shown, strict=True)))
        if abs(spacing - 0.25) < 1e-12:
            assert "0.25" in shown and "0.75" in shown, shown
