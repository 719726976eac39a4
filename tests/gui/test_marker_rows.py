"""Live edits made a moment apart are lines a pixel apart on the epoch plots: each label is
drawn whole a row further in when the rows at the plot's top and bottom are taken (by the
legend or by the other labels), not dropped to a bare line."""

from __future__ import annotations

from tests.gui.conftest import RUN_TIMEOUT

EDITS = [("dropout 0→0.5", "dropout 0,5"), ("lr 0.01→0.1", "lr 0.1"), ("min_delta 0→2048", "min_delta 2048"),
         ("weight_decay_mode decoupled→l2_penalty", "weight_decay_mode l2_penalty"),
         ("augment_hflip False→True", "hflip on"), ("label_smoothing 0→0.1", "label_smoothing 0.1")]


def test_six_edits_at_one_epoch_are_each_labelled_whole_and_apart(qtbot, window):
    window.resize(1600, 900)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    plots = window.plots
    plots.markers.clear()
    for i, (text, short) in enumerate(EDITS):
        plots.add_marker(1.0 + i * 0.002, text, short=short)  # as the session marks edits a step apart
    # (placed again once the legends are fitted, in the next event-loop turns)
    qtbot.waitUntil(lambda: plots.markers.drawn("loss") == [short for _text, short in EDITS], timeout=5000)
    item = plots.plots["loss"].getPlotItem()
    view, legend = item.vb.sceneBoundingRect(), item.legend.sceneBoundingRect()
    rects = [line.label.sceneBoundingRect() for name, line in plots.markers.shown if name == "loss"]
    for i, a in enumerate(rects):
        assert view.contains(a) and not a.intersects(legend), (EDITS[i], a, view, legend)
        for b in rects[i + 1:]:
            assert not a.intersects(b), (a, b)


def _painted(plot, rect) -> int:
    """How many pixels of a marker label's grey text (#555) the plot widget paints inside `rect`
    (scene coordinates): what a reader sees, not what the label item holds."""
    image = plot.grab().toImage()
    view = plot.mapFromScene(rect).boundingRect()
    found = 0
    for x in range(max(view.left(), 0), min(view.right(), image.width() - 1)):
        for y in range(max(view.top(), 0), min(view.bottom(), image.height() - 1)):
            c = image.pixelColor(x, y)
            found += max(abs(c.red() - 0x55), abs(c.green() - 0x55), abs(c.blue() - 0x55)) < 40
    return found


def test_a_label_placed_again_is_painted_where_it_now_is(qtbot, window):
    """The loss plot keeps its items as pixmaps (it repaints every frame): a marker label moved
    or retitled after it was cached kept its old pixmap, so the loss plot showed no label at all
    once a second live edit placed the first one again."""
    from tests.gui.conftest import wait_for_step
    from tests.helpers import tiny_config

    window.resize(1280, 720)
    window.settings_panel.set_config(tiny_config({"optim.epochs": 100_000}))
    assert window.start_run()
    wait_for_step(qtbot, window)
    widgets, markers = window.settings_panel.widgets, window.plots.markers
    widgets["regularization.dropout"].setValue(0.5)
    qtbot.waitUntil(lambda: markers.drawn("loss") == ["dropout 0.5"], timeout=RUN_TIMEOUT)
    qtbot.wait(300)  # painted (and cached) where it was first placed
    mode = widgets["regularization.weight_decay_mode"]
    mode.setCurrentIndex(mode.findData("l2_penalty"))
    qtbot.waitUntil(lambda: len(markers.drawn("loss")) == 2 and all(markers.drawn("loss")), timeout=RUN_TIMEOUT)
    plot = window.plots.plots["loss"]
    for _name, line in (s for s in markers.shown if s[0] == "loss"):
        qtbot.waitUntil(lambda line=line: _painted(plot, line.label.sceneBoundingRect()) > 30, timeout=5000)
