"""View ▸ Larger text, pressed twice at 1280 x 720 (a projector): legends inside their plots,
the settings dock and the comparison table capped, the Search tab following the text."""

from __future__ import annotations

from tests.gui.conftest import trained_with_larger_text


def _legends(window):
    for name, plot in window.plots.plots.items():
        item = plot.getPlotItem()
        if plot.isVisible() and item.legend is not None and item.legend.isVisible() and item.legend.items:
            yield name, item.legend.sceneBoundingRect(), item.vb.sceneBoundingRect()


def test_larger_text_twice_at_1280x720_keeps_legends_inside_and_the_plots_their_room(qtbot, window):
    trained_with_larger_text(qtbot, window)

    def legends_inside():
        found = list(_legends(window))
        return len(found) >= 3 and all(view.left() <= box.left() and box.right() <= view.right()
                                       for _, box, view in found)

    qtbot.waitUntil(legends_inside, timeout=5000)  # each legend is fitted in the next event-loop turn
    assert window.dock.width() <= 0.3 * window.width() + 1
    assert window.plots.table.height() <= 0.2 * window.tabs.height()
    scale = window.plots.text_scale
    assert scale > 1.5
    axis = window.search_view.plots["curves"].getPlotItem().getAxis("left")
    assert axis.style["tickFont"].pointSizeF() == 9 * scale  # the Search tab follows the text too
