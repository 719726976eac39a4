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
